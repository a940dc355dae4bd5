"""The ``Hologram.Network.NetworkManager`` path (re-export)."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.network.manager import NetworkManager

__all__ = ["NetworkManager"]

expose(NetworkManager, __name__, __all__)
