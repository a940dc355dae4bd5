"""The 0.10 module ``Hologram.Network.Modem.Quectel``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modems import Quectel
from hologram_sdk.compat.utilclasses import ModemResult

__all__ = ["Quectel", "ModemResult"]

expose(Quectel, __name__, ["Quectel"])
