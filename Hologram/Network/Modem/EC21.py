"""The 0.10 module ``Hologram.Network.Modem.EC21``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modems import EC21
from hologram_sdk.compat.utilclasses import ModemResult

__all__ = ["EC21", "ModemResult"]

expose(EC21, __name__, ["EC21"])
