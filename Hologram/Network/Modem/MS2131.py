"""The reference's ``Hologram.Network.Modem.MS2131`` path (re-export)."""

from hologram_sdk.modem.ms2131 import MS2131, MS2131_DEVICE_NAME

__all__ = ["MS2131", "MS2131_DEVICE_NAME"]
