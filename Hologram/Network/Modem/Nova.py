"""The 0.10 module ``Hologram.Network.Modem.Nova``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modems import Nova
from hologram_sdk.compat.utilclasses import ModemResult

__all__ = ["Nova", "ModemResult"]

expose(Nova, __name__, ["Nova"])
