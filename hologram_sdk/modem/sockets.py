"""Socket families: how one kind of modem brings its data context up and opens sockets.

Serial mode (:mod:`hologram_sdk.network.serial_mode`) is given a family's
socket table and never asks which modem it talks to. Each family is one
strategy object with the same three calls:

* :meth:`SocketFamily.activate` brings the modem's own data (PDP) context up
  and returns the address it got;
* :meth:`SocketFamily.open_stack` returns the socket table (``create()``,
  then ``connect``/``send``/``receive``/``listen``/``accept``/``close`` on a socket);
* :meth:`SocketFamily.deactivate` takes the context down again.

The families:

=================  ===========================================  =======================
family             data context                                 sockets
=================  ===========================================  =======================
``ublox-psd``      ``+UPSD``/``+UPSDA`` (SARA-U201)             ``+USO*`` (usocket.py)
``ublox-r4``       ``+CGDCONT``/``+CGACT``, no ``+UPSD`` (R4)   ``+USO*``, longer connect
``quectel``        ``+QICSGP``/``+QIACT``/``+QIDEACT``          ``+QI*`` (qsocket.py)
=================  ===========================================  =======================
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Optional, Protocol

from hologram_sdk.base.errors import ATCommandError, ConfigurationError, UnknownInterfaceError
from hologram_sdk.modem.at import ATChannel
from hologram_sdk.modem.qsocket import QSocketStack
from hologram_sdk.modem.usocket import USocketStack

logger = logging.getLogger(__name__)

#: ``command(line, timeout) -> information lines``, e.g. :meth:`Modem.command`
Command = Callable[[str, Optional[float]], list[str]]


class SocketStack(Protocol):
    """What serial mode needs of a socket table (both families have it)."""

    channel: ATChannel

    @property
    def closed(self) -> bool: ...

    def create(self, protocol: int = 6) -> Any: ...

    def close(self) -> None: ...


def _check_apn(apn: str) -> str:
    if not isinstance(apn, str) or not apn or any(c in apn for c in '"\r\n,;'):
        raise ConfigurationError(f"bad APN {apn!r}")
    return apn


def _answer(lines: list[str], prefix: str) -> list[list[str]]:
    """The comma fields of every ``prefix:`` line (quotes stripped)."""
    found = []
    for line in lines:
        if line.upper().startswith(prefix.upper() + ":"):
            found.append([f.strip().strip('"') for f in line.partition(":")[2].split(",")])
    return found


class SocketFamily:
    """A strategy: one modem family's data context and sockets.

    :param context: the PDP context id (``cid``) the sockets use
    :param connect_timeout: the most one socket connect may take, in seconds
    """

    name = "none"

    def __init__(self, *, context: int = 1, connect_timeout: float = 20.0) -> None:
        if not isinstance(context, int) or not 0 <= context <= 16:
            raise ConfigurationError(f"PDP context must be 0-16, not {context!r}")
        self.context = context
        self.connect_timeout = float(connect_timeout)

    def activate(self, command: Command, apn: str, timeout: float) -> Optional[str]:
        """Bring the data context up (if it is not); returns its IP address when known."""
        raise NotImplementedError

    def deactivate(self, command: Command) -> None:
        """Take the data context down (best effort is the caller's business)."""
        raise NotImplementedError

    def open_stack(self, channel: ATChannel) -> SocketStack:
        """The socket table on ``channel`` (the caller closes it)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(context={self.context})"


class UbloxPsdFamily(SocketFamily):
    """SARA-U201: the internal PSD profile 0 (``+UPSD``/``+UPSDA``), ``+USO*`` sockets."""

    name = "ublox-psd"

    def activate(self, command: Command, apn: str, timeout: float) -> Optional[str]:
        apn = _check_apn(apn)
        if _upsnd(command("AT+UPSND=0,8", None), 8) != "1":
            if self.context != 1:
                command(f"AT+UPSD=0,100,{self.context}", None)
            command(f'AT+UPSD=0,1,"{apn}"', None)
            command('AT+UPSD=0,7,"0.0.0.0"', None)
            command("AT+UPSDA=0,3", max(1.0, min(30.0, timeout)))
        try:
            return _upsnd(command("AT+UPSND=0,0", None), 0)
        except ATCommandError:
            return None

    def deactivate(self, command: Command) -> None:
        command("AT+UPSDA=0,4", 30.0)

    def open_stack(self, channel: ATChannel) -> SocketStack:
        return USocketStack(channel)


class UbloxR4Family(SocketFamily):
    """SARA-R404M/R410M: no ``+UPSD``; the EPS bearer from ``+CGDCONT``/``+CGACT``.

    On LTE the default bearer comes up with the attach, on the APN set with
    ``+CGDCONT``; ``+CGACT`` activates it when it is not. Deactivating the only
    EPS bearer would detach the modem, so :meth:`deactivate` leaves it up.
    """

    name = "ublox-r4"

    def __init__(self, *, context: int = 1, connect_timeout: float = 122.0) -> None:
        super().__init__(context=context, connect_timeout=connect_timeout)

    def activate(self, command: Command, apn: str, timeout: float) -> Optional[str]:
        apn = _check_apn(apn)
        cid = self.context
        if not self._active(command):
            command(f'AT+CGDCONT={cid},"IP","{apn}"', None)
            command(f"AT+CGACT=1,{cid}", max(1.0, min(150.0, timeout)))
        for fields in _answer(command(f"AT+CGPADDR={cid}", None), "+CGPADDR"):
            if len(fields) >= 2 and fields[0] == str(cid) and fields[1]:
                return fields[1]
        return None

    def _active(self, command: Command) -> bool:
        for fields in _answer(command("AT+CGACT?", None), "+CGACT"):
            if len(fields) >= 2 and fields[0] == str(self.context):
                return fields[1] == "1"
        return False

    def deactivate(self, command: Command) -> None:
        logger.debug("R4: the EPS bearer stays up (deactivating it would detach)")

    def open_stack(self, channel: ATChannel) -> SocketStack:
        return USocketStack(channel)


class QuectelFamily(SocketFamily):
    """Quectel BG96/EC21/EC25: ``+QICSGP``/``+QIACT`` context, ``+QI*`` sockets."""

    name = "quectel"

    def __init__(self, *, context: int = 1, connect_timeout: float = 150.0) -> None:
        super().__init__(context=context, connect_timeout=connect_timeout)

    def activate(self, command: Command, apn: str, timeout: float) -> Optional[str]:
        apn = _check_apn(apn)
        found = self._address(command)
        if found is not None:
            return found or None
        command(f'AT+QICSGP={self.context},1,"{apn}","","",1', None)
        command(f"AT+QIACT={self.context}", max(1.0, min(150.0, timeout)))
        return self._address(command) or None

    def _address(self, command: Command) -> Optional[str]:
        """The active context's address ('' when active without one); None when inactive."""
        for fields in _answer(command("AT+QIACT?", None), "+QIACT"):
            if len(fields) >= 2 and fields[0] == str(self.context) and fields[1] == "1":
                return fields[3] if len(fields) >= 4 else ""
        return None

    def deactivate(self, command: Command) -> None:
        command(f"AT+QIDEACT={self.context}", 40.0)

    def open_stack(self, channel: ATChannel) -> SocketStack:
        return QSocketStack(channel, context=self.context, open_timeout=self.connect_timeout)


def _upsnd(lines: list[str], param: int) -> Optional[str]:
    """The value of ``+UPSND: 0,<param>,<value>``."""
    for fields in _answer(lines, "+UPSND"):
        if len(fields) >= 3 and fields[1] == str(param):
            return fields[2]
    return None


#: family name -> class
FAMILIES: dict[str, type[SocketFamily]] = {
    UbloxPsdFamily.name: UbloxPsdFamily,
    UbloxR4Family.name: UbloxR4Family,
    QuectelFamily.name: QuectelFamily,
}


def family(name: str, **options: Any) -> SocketFamily:
    """A new family strategy by name (``ublox-psd``, ``ublox-r4``, ``quectel``).

    :raises UnknownInterfaceError: no such family; the message lists them
    """
    cls = FAMILIES.get(name)
    if cls is None:
        raise UnknownInterfaceError(
            f"unknown socket family {name!r}; valid: {', '.join(sorted(FAMILIES))}"
        )
    return cls(**options)
