"""The 0.10 module ``Hologram.Network.Wifi``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.network import Wifi

__all__ = ["Wifi"]

expose(Wifi, __name__, __all__)
