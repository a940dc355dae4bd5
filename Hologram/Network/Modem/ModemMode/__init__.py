"""0.10's ``Hologram.Network.Modem.ModemMode`` package.

Faces of :mod:`hologram_sdk.compat.modem_mode`.
"""

from hologram_sdk.compat.faces import keep_classes
from hologram_sdk.compat.modem_mode import IPPP, PPP, MockPPP, ModemMode

__all__ = ["IPPP", "PPP", "MockPPP", "ModemMode"]

keep_classes(__name__, __all__)
