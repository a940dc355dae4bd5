"""The ``Hologram.Network.Modem.Modem`` path of both generations."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modem import MODEM_ERROR, MODEM_NO_MATCH, MODEM_OK, MODEM_TIMEOUT
from hologram_sdk.compat.modems import Modem
from hologram_sdk.compat.utilclasses import SMS, ModemResult

__all__ = ["MODEM_ERROR", "MODEM_NO_MATCH", "MODEM_OK", "MODEM_TIMEOUT", "SMS", "Modem",
           "ModemResult"]

expose(Modem, __name__, ["Modem"])
