"""The 0.10 module ``Hologram.Network.Modem.E372``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modems import E372
from hologram_sdk.compat.utilclasses import ModemResult

__all__ = ["E372", "ModemResult"]

expose(E372, __name__, ["E372"])
