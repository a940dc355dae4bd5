"""The reference's ``Hologram.Network.Modem.Modem`` path (re-export)."""

from hologram_sdk.modem.modem import Modem

__all__ = ["Modem"]
