"""``NetworkManager``: picks the network interface by name and reports link events."""

from __future__ import annotations

import logging
from typing import Any, Optional

from hologram_sdk.errors import DriverNotAvailableError, UnknownInterfaceError
from hologram_sdk.events import NETWORK_CONNECTED, NETWORK_DISCONNECTED, Event

logger = logging.getLogger(__name__)

#: interface name -> (module, class) imported only when the interface is used;
#: ``None`` is non-network mode (the application brings the link up itself).
INTERFACES: dict[str, Optional[tuple[str, str]]] = {
    "": None,
    "cellular-e303": ("hologram_sdk.network.cellular", "Cellular"),
    "cellular-ms2131": ("hologram_sdk.network.cellular", "Cellular"),
    "cellular-iota": ("hologram_sdk.network.cellular", "Cellular"),
}
VALID_INTERFACES = frozenset(INTERFACES)


class NetworkManager:
    """The network layer of a cloud; ``''`` is non-network mode.

    In non-network mode the link is assumed up: ``connect()`` only broadcasts
    ``network.connected``. The cellular interfaces are not built yet: they can
    be selected, but ``connect()`` raises ``DriverNotAvailableError``.

    :param event: the owner's event bus (``network.*`` events go there)
    :param network: an interface name from :func:`listAvailableInterfaces`
    :param modem: a modem object for the cellular interfaces (optional)
    :raises UnknownInterfaceError: ``network`` is not a known name
    """

    def __init__(self, event: Event, network: str = "", modem: Any = None) -> None:
        name = "" if network is None else network
        if name not in INTERFACES:
            valid = ", ".join(repr(n) for n in self.listAvailableInterfaces())
            raise UnknownInterfaceError(f"unknown network interface {network!r}; valid: {valid}")
        self._log = logger.getChild(type(self).__name__)
        self.event = event
        self.modem = modem
        self._interface = name
        self._connected = name == ""

    @property
    def interface(self) -> str:
        """The selected interface name ('' = non-network mode)."""
        return self._interface

    @property
    def is_connected(self) -> bool:
        """Whether the link is up (non-network mode counts as up)."""
        return self._connected

    up = is_connected

    def listAvailableInterfaces(self) -> list[str]:
        """The interface names this SDK supports, sorted."""
        return sorted(INTERFACES)

    def connect(self, timeout: float = 200) -> bool:
        """Bring the link up and broadcast ``network.connected``.

        :param timeout: seconds allowed for the link to come up
        :returns: True when the link is up
        :raises DriverNotAvailableError: the cellular interfaces are not built yet
        """
        self._require_driver()
        self._connected = True
        self._log.info("Network connected")
        self.event.broadcast(NETWORK_CONNECTED)
        return True

    def disconnect(self) -> bool:
        """Take the link down and broadcast ``network.disconnected``.

        :returns: True
        """
        self._require_driver()
        self._connected = self._interface == ""
        self._log.info("Network disconnected")
        self.event.broadcast(NETWORK_DISCONNECTED)
        return True

    def reconnect(self) -> bool:
        """Disconnect, then connect again.

        :returns: what :meth:`connect` returns
        """
        self.disconnect()
        return self.connect()

    def _require_driver(self) -> None:
        if INTERFACES[self._interface] is not None:
            raise DriverNotAvailableError(
                f"network interface {self._interface!r} is not built yet; use '' "
                "(non-network mode) and bring the link up outside the SDK"
            )
