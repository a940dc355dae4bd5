"""The 0.10 module ``Hologram.Network.Modem.ModemMode.ModemMode``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modem_mode import ModemMode

__all__ = ["ModemMode"]

expose(ModemMode, __name__, __all__)
