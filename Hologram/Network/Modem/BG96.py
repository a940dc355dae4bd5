"""The 0.10 module ``Hologram.Network.Modem.BG96``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modems import BG96
from hologram_sdk.compat.utilclasses import ModemResult

__all__ = ["BG96", "ModemResult"]

expose(BG96, __name__, ["BG96"])
