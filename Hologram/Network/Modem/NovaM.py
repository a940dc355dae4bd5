"""The 0.10 module ``Hologram.Network.Modem.NovaM``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modems import NovaM
from hologram_sdk.compat.utilclasses import ModemResult

__all__ = ["NovaM", "ModemResult"]

expose(NovaM, __name__, ["NovaM"])
