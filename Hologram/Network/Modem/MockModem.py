"""The 0.10 module ``Hologram.Network.Modem.MockModem``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modems import MockModem
from hologram_sdk.compat.utilclasses import ModemResult

__all__ = ["MockModem", "ModemResult"]

expose(MockModem, __name__, ["MockModem"])
