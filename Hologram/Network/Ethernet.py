"""The 0.10 module ``Hologram.Network.Ethernet``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.network import Ethernet

__all__ = ["Ethernet"]

expose(Ethernet, __name__, __all__)
