"""The 0.10 module ``Hologram.Network.Network``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.network import Network, NetworkScope

__all__ = ["Network", "NetworkScope"]

expose(Network, __name__, __all__)
