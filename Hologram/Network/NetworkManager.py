"""The reference's ``Hologram.Network.NetworkManager`` path (re-export)."""

from hologram_sdk.network.manager import NetworkManager

__all__ = ["NetworkManager"]
