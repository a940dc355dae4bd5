"""The ``Hologram.Network`` package of both generations.

2017 / ours: ``NetworkManager`` and ``Cellular`` are the classes. 0.10:
``Network`` and ``NetworkScope`` are classes, and ``Cellular``,
``NetworkManager``, ``Ethernet``, ``Wifi``, ``BLE`` were modules holding a class
of the same name. Here every one of them is the class, and each class also
answers its own name, so ``NetworkManager.NetworkManager(...)`` and
``NetworkManager(...)`` both work (see :mod:`hologram_sdk.compat.faces`).
"""

from hologram_sdk.compat.faces import expose, keep_classes
from hologram_sdk.compat.network import BLE, Ethernet, Network, NetworkScope, Wifi
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
    "BLE",
    "CLOUD_CONNECTED",
    "CLOUD_DISCONNECTED",
    "CLOUD_ERR_CONNECT",
    "CLOUD_ERR_SIGNAL",
    "CLOUD_ERR_SIM",
    "Cellular",
    "Ethernet",
    "Network",
    "NetworkManager",
    "NetworkScope",
    "Wifi",
]

keep_classes(__name__, ["BLE", "Cellular", "Ethernet", "Network", "NetworkManager", "Wifi"])
expose(Cellular, __name__, [name for name in __all__ if name.startswith("CLOUD_")])
