"""The reference's ``Hologram.Network.Modem`` package: re-exports of the modem classes.

The submodules ``E303``, ``MS2131``, ``IOTA`` and ``Modem`` share their class's
name. Importing one (``from Hologram.Network.Modem.E303 import E303``) would make
the import system overwrite the package attribute ``E303`` with the submodule;
the module class below keeps the class there, so both documented forms work.
"""

import sys
import types

from hologram_sdk.modem.e303 import E303, E303_DEVICE_NAME
from hologram_sdk.modem.iota import IOTA, IOTA_DEVICE_NAME
from hologram_sdk.modem.modem import Modem
from hologram_sdk.modem.ms2131 import MS2131, MS2131_DEVICE_NAME

__all__ = [
    "E303",
    "E303_DEVICE_NAME",
    "IOTA",
    "IOTA_DEVICE_NAME",
    "MS2131",
    "MS2131_DEVICE_NAME",
    "Modem",
]


class _ClassesStay(types.ModuleType):
    def __setattr__(self, name: str, value: object) -> None:
        if name in ("E303", "MS2131", "IOTA", "Modem") and isinstance(value, types.ModuleType):
            return  # the submodule stays reachable through sys.modules
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _ClassesStay
