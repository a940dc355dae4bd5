"""0.10's non-cellular network classes: ``Network`` (the base), ``NetworkScope``,
``Ethernet``, ``Wifi`` and ``BLE``.

They are what 0.10 made of them: names with events. None of them changes the
machine's interfaces (0.10 ran ``ifconfig up/down``; here the operating system
owns Ethernet and Wi-Fi, and a cloud on ``network='ethernet'`` or ``'wifi'``
runs in non-network mode under that name).
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import Optional

from hologram_sdk.base.errors import UnsupportedOperationError
from hologram_sdk.base.events import NETWORK_CONNECTED, NETWORK_DISCONNECTED, Event


class NetworkScope(Enum):
    """Whether a link takes the system's default route (0.10's knob)."""

    SYSTEM = 1
    HOLOGRAM = 2


_ABSTRACT = "Must instantiate a defined Network type"


class Network:
    """The base of 0.10's network classes: connect/disconnect broadcast events;
    the status calls belong to a concrete type."""

    def __init__(self, event: Optional[Event] = None) -> None:
        self.event = event if event is not None else Event()
        self.logger = logging.getLogger(__name__)
        self.scope = NetworkScope.SYSTEM
        if not hasattr(self, "_interfaceName"):
            self._interfaceName: Optional[str] = None

    def __repr__(self) -> str:
        return type(self).__name__

    def connect(self) -> bool:
        self.event.broadcast(NETWORK_CONNECTED)
        return True

    def disconnect(self) -> bool:
        self.event.broadcast(NETWORK_DISCONNECTED)
        return True

    def reconnect(self) -> bool:
        raise UnsupportedOperationError(_ABSTRACT)

    def getConnectionStatus(self) -> int:
        raise UnsupportedOperationError(_ABSTRACT)

    def getSignalStrength(self) -> str:
        raise UnsupportedOperationError(_ABSTRACT)

    def getAvgSignalStrength(self) -> str:
        raise UnsupportedOperationError(_ABSTRACT)

    def is_connected(self) -> bool:
        return False

    @property
    def interfaceName(self) -> Optional[str]:
        return self._interfaceName

    @interfaceName.setter
    def interfaceName(self, name: Optional[str]) -> None:
        self._interfaceName = name


class _LinkStub(Network):
    """A link the operating system manages: always up as far as the SDK knows."""

    _unsupported = "this mode doesn't support this call"

    def __init__(self, interfaceName: str, event: Optional[Event] = None) -> None:
        self._interfaceName = interfaceName
        super().__init__(event)

    def connect(self) -> bool:
        self.event.broadcast(f"{type(self).__name__.lower()}.connected")
        return super().connect()

    def disconnect(self) -> bool:
        self.event.broadcast(f"{type(self).__name__.lower()}.disconnected")
        return super().disconnect()

    def isConnected(self) -> bool:
        return True

    def is_connected(self) -> bool:
        return True

    def getBitRate(self) -> str:
        return ""

    def getConnectionStatus(self) -> int:
        raise UnsupportedOperationError(self._unsupported)


class Ethernet(_LinkStub):
    """``Ethernet(interfaceName='eth0')``."""

    _unsupported = "Ethernet mode doesn't support this call"

    def __init__(self, interfaceName: str = "eth0", event: Optional[Event] = None) -> None:
        super().__init__(interfaceName, event)

    def getSignalStrength(self) -> str:
        raise UnsupportedOperationError(self._unsupported)

    def getAvgSignalStrength(self) -> str:
        raise UnsupportedOperationError(self._unsupported)


class Wifi(_LinkStub):
    """``Wifi(interfaceName='wlan0')``; the radio details 0.10 stubbed are ``''`` here too."""

    _unsupported = "WiFi mode doesn't support this call yet"

    def __init__(self, interfaceName: str = "wlan0", event: Optional[Event] = None) -> None:
        super().__init__(interfaceName, event)

    def getSSID(self) -> str:
        return ""

    def getMode(self) -> str:
        return ""

    def getWirelessName(self) -> str:
        return ""

    def getAvgSignalStrength(self) -> str:
        return ""

    def getMaxSignalStrength(self) -> str:
        return ""


class BLE(_LinkStub):
    """``BLE()``: a name and its events, nothing more (as in 0.10)."""

    _unsupported = "BLE mode doesn't support this call yet"

    def __init__(self, event: Optional[Event] = None) -> None:
        super().__init__("ble", event)

    def reconnect(self) -> bool:
        return True


#: the 0.10 network names that are not cellular -> their class
STUB_NETWORKS: dict[str, type[Network]] = {"ethernet": Ethernet, "wifi": Wifi, "ble": BLE}
