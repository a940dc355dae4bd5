"""The reference's ``Hologram.Network`` package: ``NetworkManager`` and ``Cellular``.

The submodules ``NetworkManager`` and ``Cellular`` share their class's name.
Importing one (``from Hologram.Network.Cellular import Cellular``) would make the
import system overwrite the package attribute with the submodule; the module
class below keeps the class there, so both documented forms work.
"""

import sys
import types

from hologram_sdk.network.cellular import (
    CLOUD_CONNECTED,
    CLOUD_DISCONNECTED,
    CLOUD_ERR_CONNECT,
    CLOUD_ERR_SIGNAL,
    CLOUD_ERR_SIM,
    Cellular,
)
from hologram_sdk.network.manager import NetworkManager

__all__ = [
    "CLOUD_CONNECTED",
    "CLOUD_DISCONNECTED",
    "CLOUD_ERR_CONNECT",
    "CLOUD_ERR_SIGNAL",
    "CLOUD_ERR_SIM",
    "Cellular",
    "NetworkManager",
]


class _ClassesStay(types.ModuleType):
    def __setattr__(self, name: str, value: object) -> None:
        if name in ("NetworkManager", "Cellular") and isinstance(value, types.ModuleType):
            return  # the submodule stays reachable through sys.modules
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _ClassesStay
