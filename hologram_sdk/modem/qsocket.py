"""Quectel AT sockets (+QIOPEN/+QISENDEX/+QIRD/+QICLOSE, +QIURC) for "serial mode".

The same shape as :mod:`hologram_sdk.modem.usocket` (a table owning the URC
bookkeeping, and sockets with blocking calls and float-second timeouts), so
the serial-mode transport and listener drive either family. Facts from the
Quectel TCP/IP AT commands manual (BG96, EC2x):

* ``AT+QIOPEN=<ctx>,<id>,"TCP","<host>",<port>,0,0`` answers ``OK`` and later
  ``+QIOPEN: <id>,<err>`` (0 = connected; otherwise a 5xx TCP/IP error code).
  Access mode 0 (buffer) is used: the data waits in the modem until read.
* ``+QIURC: "recv",<id>`` announces data; ``AT+QIRD=<id>,<len>`` answers
  ``+QIRD: <n><CR><LF><n bytes>`` then ``OK`` (``+QIRD: 0`` when empty). No new
  "recv" URC comes until the buffer was read empty.
* ``AT+QISENDEX=<id>,"<hex>"`` sends up to 512 hex characters: ``SEND OK``,
  ``SEND FAIL`` (the peer's window is full) or ``ERROR``.
* ``+QIURC: "closed",<id>``: the peer closed; ``AT+QICLOSE=<id>`` frees the id.
* ``AT+QIOPEN=<ctx>,<id>,"TCP LISTENER","127.0.0.1",0,<port>,0`` listens;
  ``+QIURC: "incoming",<new id>,<server id>,"<ip>",<port>`` is an accepted
  connection, read like any other.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Optional, Union

from hologram_sdk.base.digits import is_digits
from hologram_sdk.base.errors import (
    ATCommandError,
    ConfigurationError,
    ModemError,
    ModemTimeoutError,
)
from hologram_sdk.modem.at import ATChannel
from hologram_sdk.modem.at_codec import URC
from hologram_sdk.modem.sockettable import SocketTable, TableSocket, check_port

logger = logging.getLogger(__name__)

TCP = 6
#: connect ids the modem has (0-11)
MAX_SOCKETS = 12
#: bytes per +QISENDEX (512 hex characters at most; the 0.10 SDK stays at 510)
WRITE_CHUNK = 255
#: bytes per +QIRD (the manual's maximum read length is 1500)
READ_CHUNK = 1500
#: seconds the modem may take to answer +QIOPEN with its URC (the manual says 150)
OPEN_TIMEOUT = 150.0

#: Quectel TCP/IP error codes (the <err> of +QIOPEN and +CME ERROR) and their meaning
QI_ERRORS = {
    550: "unknown error",
    551: "operation blocked",
    552: "invalid parameters",
    553: "memory not enough",
    554: "create socket failed",
    555: "operation not supported",
    556: "socket bind failed",
    557: "socket listen failed",
    558: "socket write failed",
    559: "socket read failed",
    560: "socket accept failed",
    561: "open PDP context failed",
    562: "close PDP context failed",
    563: "socket identity has been used",
    564: "DNS busy",
    565: "DNS parse failed",
    566: "socket connect failed",
    567: "socket has been closed",
    568: "operation busy",
    569: "operation timeout",
    570: "PDP context broken down",
    571: "cancel send",
    572: "operation not allowed",
    573: "APN not configured",
    574: "port busy",
}


def _fields(args: str) -> list[str]:
    return [f.strip().strip('"') for f in args.split(",")]


def _int(text: str) -> Optional[int]:
    return int(text) if is_digits(text) and len(text) <= 10 else None


@dataclass(frozen=True)
class QiUrc:
    """One ``+QIURC`` (or ``+QIOPEN``) URC, parsed.

    :param kind: ``recv``, ``closed``, ``incoming``, ``incoming full``, ``pdpdeact``,
        ``dnsgip`` or ``open`` (for ``+QIOPEN: <id>,<err>``)
    :param socket: the connect id it is about (None when it names none)
    :param value: ``recv``: the announced length in direct-push mode;
        ``incoming``: the listening server's id; ``open``: the error code
    :param host: ``incoming``: the peer's address
    :param port: ``incoming``: the peer's port
    """

    kind: str
    socket: Optional[int] = None
    value: Optional[int] = None
    host: Optional[str] = None
    port: Optional[int] = None


def parse_qiopen(args: str) -> QiUrc:
    """``+QIOPEN: <id>,<err>`` as a :class:`QiUrc` of kind ``open``.

    :raises ModemError: not two numbers
    """
    fields = _fields(args)
    if len(fields) != 2 or _int(fields[0]) is None or _int(fields[1]) is None:
        raise ModemError(f"cannot read +QIOPEN: {args[:60]!r}")
    return QiUrc("open", _int(fields[0]), _int(fields[1]))


def parse_qiurc(args: str) -> QiUrc:
    """The arguments of a ``+QIURC`` URC as a :class:`QiUrc`.

    :raises ModemError: a known kind with fields that are not what it needs
    """
    fields = _fields(args)
    kind = fields[0].lower()
    numbers = [_int(f) for f in fields[1:]]
    if kind in ("recv", "closed"):
        if not numbers or numbers[0] is None:
            raise ModemError(f"+QIURC {kind!r} without a connect id: {args[:60]!r}")
        length = numbers[1] if len(numbers) > 1 else None
        return QiUrc(kind, numbers[0], length)
    if kind == "incoming":
        if len(fields) < 5 or None in (numbers[0], numbers[1], numbers[3]):
            raise ModemError(f'cannot read +QIURC "incoming": {args[:80]!r}')
        return QiUrc(kind, numbers[0], numbers[1], fields[3], numbers[3])
    if kind == "pdpdeact":
        return QiUrc(kind, None, numbers[0] if numbers else None)
    return QiUrc(kind)


def parse_qird_header(line: str) -> Optional[int]:
    """The ``<n>`` of a ``+QIRD: <n>`` header (the raw data length), else None.

    The three-number answer of ``AT+QIRD=<id>,0`` (totals) is not a header.
    """
    if not line.upper().startswith("+QIRD:"):
        return None
    fields = _fields(line.partition(":")[2])
    if len(fields) != 1:
        return None
    return _int(fields[0])


def qi_error(command: str, code: int, line: str) -> ATCommandError:
    """The typed error for a Quectel TCP/IP error code (names command and code)."""
    return ATCommandError(command, line, code, QI_ERRORS.get(code))


class QSocketStack(SocketTable):
    """The Quectel modem's socket table: ids, URC bookkeeping, PDP context number.

    :param channel: the modem's :class:`ATChannel`
    :param context: the PDP context the sockets use (``AT+QICSGP``/``AT+QIACT``)
    :param open_timeout: the most one ``+QIOPEN`` may take to report
    """

    def __init__(
        self, channel: ATChannel, *, context: int = 1, open_timeout: float = OPEN_TIMEOUT
    ) -> None:
        self.context = int(context)
        self.open_timeout = float(open_timeout)
        self._in_use: set[int] = set()
        self._opened: dict[int, int] = {}  # id -> +QIOPEN error code
        self._readable: dict[int, int] = {}  # id -> "recv" URCs seen (a counter)
        super().__init__(channel)

    def _on_urc(self, urc: URC) -> None:
        try:
            if urc.name == "+QIOPEN":
                event = parse_qiopen(urc.args)
            elif urc.name == "+QIURC":
                event = parse_qiurc(urc.args)
            else:
                return
        except ModemError as exc:
            logger.debug("ignoring %s: %s", urc.name, exc)
            return
        sock = event.socket
        with self._cond:
            if event.kind == "open" and sock is not None and event.value is not None:
                self._opened[sock] = event.value
            elif event.kind == "recv" and sock is not None:
                self._readable[sock] = self._readable.get(sock, 0) + 1
            elif event.kind == "closed" and sock is not None:
                self._closed_by_peer.add(sock)
            elif event.kind == "incoming" and sock is not None and event.value is not None:
                self._record_accept(event.value, sock, event.host or "", event.port or 0)
                self._in_use.add(sock)
            elif event.kind == "pdpdeact":
                logger.warning("the modem's PDP context %s was deactivated", event.value)
                self._closed_by_peer.update(self._in_use)
            else:
                return
            self._cond.notify_all()

    def _has_data(self, sock: int) -> bool:
        return self._readable.get(sock, 0) > 0

    def _forget(self, sock: int) -> None:
        super()._forget(sock)
        self._opened.pop(sock, None)
        self._readable.pop(sock, None)

    def create(self, protocol: int = TCP) -> QSocket:
        """Reserve a free connect id (nothing is sent until connect/listen).

        :raises ModemError: all twelve ids are in use
        """
        if protocol != TCP:
            raise ConfigurationError(f"only TCP (6) is supported here, not {protocol}")
        with self._cond:
            for sock in range(MAX_SOCKETS):
                if sock not in self._in_use:
                    self._in_use.add(sock)
                    self._forget(sock)
                    return QSocket(self, sock)
        raise ModemError(f"all {MAX_SOCKETS} modem sockets are in use")

    def _release(self, sock: int) -> None:
        with self._cond:
            self._in_use.discard(sock)
        super()._release(sock)

    def _open(self, sock: int, command: str, timeout: float) -> None:
        """Send a +QIOPEN and wait for its ``+QIOPEN: <id>,<err>`` URC."""
        with self._cond:
            self._opened.pop(sock, None)
            self._closed_by_peer.discard(sock)
        deadline = time.monotonic() + timeout
        self.channel.command(command, timeout=min(timeout, 10.0))
        with self._cond:
            while sock not in self._opened:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise ModemTimeoutError(f"{command} (+QIOPEN URC)", [], timeout)
                self._cond.wait(left)
            code = self._opened[sock]
        if code != 0:
            raise qi_error(command, code, f"+QIOPEN: {sock},{code}")


class QSocket(TableSocket):
    """One Quectel connect id; blocking calls with float-second timeouts."""

    CLOSE_COMMAND = "AT+QICLOSE"
    ACCEPT_URC = '+QIURC: "incoming"'
    stack: QSocketStack

    @property
    def peer_closed(self) -> bool:
        """Whether the remote side closed (``+QIURC: "closed"``)."""
        with self.stack._cond:
            return self.id in self.stack._closed_by_peer

    def connect(self, host: str, port: int, timeout: float = 20.0) -> None:
        """``AT+QIOPEN`` to ``host:port``, then wait for its ``+QIOPEN`` URC.

        :raises ATCommandError: the modem refused, or reported an error code
        :raises ModemTimeoutError: no ``+QIOPEN`` URC within ``timeout``
        """
        self._check()
        check_port(port)
        if '"' in host or "," in host or not host:
            raise ConfigurationError(f"bad host name {host!r}")
        stack = self.stack
        command = f'AT+QIOPEN={stack.context},{self.id},"TCP","{host}",{int(port)},0,0'
        stack._open(self.id, command, timeout)
        self.peer = (host, int(port))

    def send(self, data: Union[bytes, bytearray], timeout: float = 10.0) -> int:
        """``AT+QISENDEX`` in chunks; returns the number of bytes sent.

        :raises ModemError: the peer closed the socket before or while sending
        :raises ATCommandError: ``SEND FAIL`` or ``ERROR`` (the command is named)
        """
        self._check()
        view = bytes(data)
        sent = 0
        while sent < len(view):
            if self.peer_closed:
                raise ModemError(
                    f'socket {self.id} was closed by the peer (+QIURC: "closed") '
                    f"after {sent} of {len(view)} bytes"
                )
            chunk = view[sent : sent + WRITE_CHUNK]
            self.stack.channel.command(
                f'AT+QISENDEX={self.id},"{chunk.hex().upper()}"', timeout=timeout
            )
            sent += len(chunk)
        return sent

    def receive(self, max_bytes: int = 1024, timeout: Optional[float] = 10.0) -> bytes:
        """Read what is buffered, waiting up to ``timeout`` for ``+QIURC: "recv"``.

        :returns: the bytes read; ``b''`` when the peer closed and nothing is left
        :raises ModemTimeoutError: nothing arrived in time
        """
        self._check()
        stack = self.stack
        while True:
            if not stack.wait_readable(self.id, timeout):
                if self.peer_closed or stack.closed:
                    # data may still sit in the modem after the close: read it first
                    return self._read_once(max_bytes)[0]
                raise ModemTimeoutError(f'+QIURC: "recv" for socket {self.id}', [], timeout or 0)
            data, seen = self._read_once(max_bytes)
            if data:
                return data
            with stack._cond:
                # empty: forget the announcement unless a new one came meanwhile
                if stack._readable.get(self.id, 0) == seen:
                    stack._readable[self.id] = 0

    def _read_once(self, max_bytes: int) -> tuple[bytes, int]:
        """One ``AT+QIRD``: (data, the "recv" counter seen before it)."""
        stack = self.stack
        with stack._cond:
            seen = stack._readable.get(self.id, 0)
        want = max(1, min(max_bytes, READ_CHUNK))
        try:
            lines = stack.channel.command(
                f"AT+QIRD={self.id},{want}", data_length=parse_qird_header
            )
        except ATCommandError as exc:
            if self.peer_closed:
                return b"", seen
            raise exc
        for position, line in enumerate(lines):
            count = parse_qird_header(line)
            if count is None:
                continue
            if count == 0:
                return b"", seen
            if position + 1 >= len(lines):
                raise ModemError(f"+QIRD announced {count} bytes but none came")
            return lines[position + 1].encode("latin-1")[:count], seen
        raise ModemError(f"AT+QIRD={self.id} gave no +QIRD line: {lines[:3]!r}")

    def listen(self, port: int) -> None:
        """``AT+QIOPEN ... "TCP LISTENER"``: accept TCP connections on ``port``."""
        self._check()
        check_port(port)
        stack = self.stack
        command = f'AT+QIOPEN={stack.context},{self.id},"TCP LISTENER","127.0.0.1",0,{int(port)},0'
        stack._open(self.id, command, min(stack.open_timeout, 30.0))
