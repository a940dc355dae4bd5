"""The 0.10 module ``Hologram.Network.Modem.ModemMode.IPPP``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modem_mode import IPPP

__all__ = ["IPPP"]

expose(IPPP, __name__, __all__)
