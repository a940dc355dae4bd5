"""The 0.10 module ``Hologram.Network.Modem.EC25``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modems import EC25
from hologram_sdk.compat.utilclasses import ModemResult

__all__ = ["EC25", "ModemResult"]

expose(EC25, __name__, ["EC25"])
