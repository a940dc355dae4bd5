"""The 0.10 module ``Hologram.Network.BLE``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.network import BLE

__all__ = ["BLE"]

expose(BLE, __name__, __all__)
