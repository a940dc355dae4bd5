"""What the network layer needs from a modem: the :class:`CellularModem` protocol.

:class:`~hologram_sdk.network.cellular.Cellular` and
:class:`~hologram_sdk.network.manager.NetworkManager` are written against this
protocol, not against :class:`~hologram_sdk.modem.modem.Modem`, so mypy checks
the seam and any object with these members (a driver of another modem family,
a test double) can carry a link. Serial mode needs a ``socket_family``.
"""

from __future__ import annotations

from typing import Optional, Protocol

from hologram_sdk.base.events import Event
from hologram_sdk.modem.modem import Registration, Signal, SIMState
from hologram_sdk.modem.sockets import SocketFamily, SocketStack


class ModemLink(Protocol):
    """What a modem's ``connect()``/``disconnect()`` delegate to (a ``Cellular``)."""

    def connect(self, timeout: float = ...) -> bool: ...

    def disconnect(self) -> bool: ...


class CellularModem(Protocol):
    """A modem that can carry a cellular data link (PPP, or its own sockets)."""

    #: the bus for modem events (``Cellular`` uses it when given none)
    event: Event
    #: the link the modem's ``connect()``/``disconnect()`` delegate to
    link: Optional[ModemLink]

    @property
    def mode(self) -> str:
        """``'ppp'`` or ``'serial'``."""
        ...

    @property
    def deviceName(self) -> str:
        """The AT/PPP port (device path or URL)."""
        ...

    @property
    def baudRate(self) -> str:
        """The serial speed, as the reference's string."""
        ...

    @property
    def chatScriptFile(self) -> str:
        """The chat script pppd runs."""
        ...

    @property
    def sim_state(self) -> SIMState:
        """The SIM's state (``AT+CPIN?``)."""
        ...

    @property
    def signal(self) -> Signal:
        """Signal quality (``AT+CSQ``)."""
        ...

    @property
    def registration(self) -> Registration:
        """Network registration, best of the domains."""
        ...

    def command(self, command: str, timeout: Optional[float] = None) -> list[str]:
        """Send one AT command line and return its information lines."""
        ...

    def close(self) -> None:
        """Close the modem's port (idempotent)."""
        ...

    @property
    def socket_family(self) -> Optional[SocketFamily]:
        """How this modem's own sockets work (serial mode); None: PPP only."""
        ...

    def sockets(self) -> SocketStack:
        """The modem's own TCP socket table, sharing its AT port (the caller closes it)."""
        ...

    def activate_data(self, apn: str, timeout: float = 30.0) -> Optional[str]:
        """Bring the modem's data context up; its IP address when known."""
        ...

    def deactivate_data(self) -> None:
        """Take the modem's data context down."""
        ...

    def release_port(self) -> None:
        """Close the AT port so chat and pppd can own it."""
        ...

    def reacquire_port(self) -> None:
        """Open the AT port again after pppd let it go."""
        ...

    def set_ip_addresses(self, local: Optional[str], remote: Optional[str]) -> None:
        """Record the link's addresses (the reference's ``localIPAddress``...)."""
        ...
