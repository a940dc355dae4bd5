"""``Hologram.Network.Modem``: the modem classes of both generations.

2017: ``Modem``, ``E303``, ``MS2131``, ``IOTA`` (``deviceName``, ``baudRate``,
``chatScriptFile``). 0.10: also ``E372``, ``Nova``, ``Nova_U201``, ``NovaM``,
``Quectel``, ``BG96``, ``EC21``, ``EC25``, ``MockModem`` (``device_name``,
``baud_rate``, ``chatscript_file``...). Every name is the class, which also
answers its own name (``E303.E303``), as 0.10's modules did. They are the
faces in :mod:`hologram_sdk.compat.modems`: the SDK's drivers with 0.10's
method surface in front.
"""

from hologram_sdk.compat.faces import keep_classes
from hologram_sdk.compat.modem import Modem010 as IModem
from hologram_sdk.compat.modems import (
    BG96,
    E303,
    E372,
    EC21,
    EC25,
    IOTA,
    MS2131,
    MockModem,
    Modem,
    Nova,
    Nova_U201,
    NovaM,
    Quectel,
)
from hologram_sdk.modem.e303 import E303_DEVICE_NAME
from hologram_sdk.modem.iota import IOTA_DEVICE_NAME
from hologram_sdk.modem.ms2131 import MS2131_DEVICE_NAME

__all__ = [
    "BG96", "E303", "E372", "EC21", "EC25", "IModem", "IOTA", "MS2131", "MockModem",
    "Modem", "Nova", "NovaM", "Nova_U201", "Quectel",
    "E303_DEVICE_NAME", "IOTA_DEVICE_NAME", "MS2131_DEVICE_NAME",
]

keep_classes(__name__, [name for name in __all__ if not name.endswith("_NAME")])
