"""The reference's ``Hologram.Network.Modem.IOTA`` path (re-export)."""

from hologram_sdk.modem.iota import IOTA, IOTA_DEVICE_NAME

__all__ = ["IOTA", "IOTA_DEVICE_NAME"]
