"""The 0.10 module ``Hologram.Network.Modem.Nova_U201``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modems import Nova_U201
from hologram_sdk.compat.utilclasses import ModemResult

__all__ = ["Nova_U201", "ModemResult"]

expose(Nova_U201, __name__, ["Nova_U201"])
