"""The 0.10 module ``Hologram.Network.Modem.ModemMode.MockPPP``."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modem_mode import MockPPP

__all__ = ["MockPPP"]

expose(MockPPP, __name__, __all__)
