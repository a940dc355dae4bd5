"""The reference's ``Hologram.Network.Modem.E303`` path (re-export)."""

from hologram_sdk.modem.e303 import E303, E303_DEVICE_NAME

__all__ = ["E303", "E303_DEVICE_NAME"]
