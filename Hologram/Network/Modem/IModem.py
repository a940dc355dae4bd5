"""The 0.10 module ``Hologram.Network.Modem.IModem`` (its methods are on every modem class)."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modem import MODEM_ERROR, MODEM_NO_MATCH, MODEM_OK, MODEM_TIMEOUT
from hologram_sdk.compat.modem import Modem010 as IModem

__all__ = ["MODEM_ERROR", "MODEM_NO_MATCH", "MODEM_OK", "MODEM_TIMEOUT", "IModem"]

expose(IModem, __name__, __all__)
