"""The 0.10 module ``Hologram.Network.Modem.ModemMode.PPP``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modem_mode import PPP

__all__ = ["PPP"]

expose(PPP, __name__, __all__)
