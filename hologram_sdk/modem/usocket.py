"""u-blox AT sockets (+USOCR/+USOCO/+USOWR/+USORD/+USOCL/+USOLI) for "serial mode"."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
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

logger = logging.getLogger(__name__)

TCP = 6
UDP = 17
#: bytes per +USOWR in hex mode (a 256-byte hex write fails on the U201)
WRITE_CHUNK = 255
#: bytes per +USORD
READ_CHUNK = 512
#: +UUSORD length the U201 uses for "closed by the peer" (-1 as unsigned 32-bit)
CLOSED_LENGTH = 4294967295


def _fields(args: str) -> list[str]:
    return [f.strip().strip('"') for f in args.split(",")]


class USocketStack:
    """The modem's socket table: owns the URC bookkeeping for all its sockets.

    :param channel: an open-able :class:`ATChannel` to a u-blox modem
    :param hex_mode: exchange payloads as hex (``AT+UDCONF=1,1``), as the SDK does
    """

    def __init__(self, channel: ATChannel, *, hex_mode: bool = True) -> None:
        self.channel = channel
        self.hex_mode = hex_mode
        self._cond = threading.Condition()
        self._available: dict[int, int] = {}
        self._announcements: dict[int, int] = {}  # +UUSORD URCs seen, per socket
        self._closed_by_peer: set[int] = set()
        self._accepted: dict[int, deque[tuple[int, str, int]]] = {}
        self._hex_set = False
        self._closed = False
        channel.add_urc_handler(self._on_urc)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` ran (waits on the table then return at once)."""
        return self._closed

    def close(self) -> None:
        """Stop following URCs (sockets themselves are closed by their owners)."""
        if not self._closed:
            self._closed = True
            self.channel.remove_urc_handler(self._on_urc)
            with self._cond:
                self._cond.notify_all()

    def __enter__(self) -> USocketStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _on_urc(self, urc: URC) -> None:
        fields = _fields(urc.args)
        with self._cond:
            if urc.name in ("+UUSORD", "+UUSORF") and len(fields) >= 2:
                if is_digits(fields[0]) and is_digits(fields[1]):
                    sock, count = int(fields[0]), int(fields[1])
                    if count == CLOSED_LENGTH:
                        self._closed_by_peer.add(sock)
                    else:
                        self._available[sock] = count
                        # counted, not compared by value: a new +UUSORD may
                        # announce the same count as the one a read started with
                        self._announcements[sock] = self._announcements.get(sock, 0) + 1
            elif urc.name == "+UUSOCL" and fields and is_digits(fields[0]):
                self._closed_by_peer.add(int(fields[0]))
            elif urc.name == "+UUSOLI" and len(fields) >= 4:
                try:
                    new, ip, port, listener = (
                        int(fields[0]),
                        fields[1],
                        int(fields[2]),
                        int(fields[3]),
                    )
                except ValueError:
                    return
                # the modem reuses ids: the new connection starts with a clean slate
                self._forget(new)
                self._accepted.setdefault(listener, deque()).append((new, ip, port))
            else:
                return
            self._cond.notify_all()

    def _ensure_hex(self) -> None:
        if self.hex_mode and not self._hex_set:
            self.channel.command("AT+UDCONF=1,1")
            self._hex_set = True

    def create(self, protocol: int = TCP) -> ModemSocket:
        """``AT+USOCR``: a new socket.

        :param protocol: :data:`TCP` (6) or :data:`UDP` (17)
        """
        if protocol not in (TCP, UDP):
            raise ConfigurationError(f"protocol must be 6 (TCP) or 17 (UDP), not {protocol}")
        lines = self.channel.command(f"AT+USOCR={protocol}")
        for line in lines:
            if line.startswith("+USOCR:"):
                sock = _fields(line.partition(":")[2])[0]
                if is_digits(sock):
                    # the modem reuses ids: nothing cached for an earlier socket applies
                    self._reset(int(sock))
                    return ModemSocket(self, int(sock))
        raise ModemError(f"AT+USOCR={protocol} gave no socket id: {lines!r}")

    def _reset(self, sock: int) -> None:
        """Forget what is cached for ``sock`` (closed flag, pending bytes, accepts)."""
        with self._cond:
            self._forget(sock)

    def _forget(self, sock: int) -> None:
        # callers hold self._cond
        self._available.pop(sock, None)
        self._announcements.pop(sock, None)
        self._closed_by_peer.discard(sock)
        self._accepted.pop(sock, None)

    def wait_readable(self, sock: int, timeout: Optional[float]) -> bool:
        """Wait for ``+UUSORD`` (or a close) on ``sock``; True if data is announced."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                if self._available.get(sock, 0) > 0:
                    return True
                if sock in self._closed_by_peer or self._closed:
                    return False
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)

    def wait_accept(
        self, listener: int, timeout: Optional[float]
    ) -> Optional[tuple[int, str, int]]:
        """Wait for ``+UUSOLI`` on ``listener``; (new socket, peer ip, peer port) or None."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                pending = self._accepted.get(listener)
                if pending:
                    return pending.popleft()
                if self._closed:
                    return None
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._cond.wait(left)


class ModemSocket:
    """One u-blox AT socket; blocking calls with float-second timeouts.

    Create with :meth:`USocketStack.create` or :meth:`USocketStack` ``.create()``.
    """

    def __init__(self, stack: USocketStack, sock: int, peer: Optional[tuple[str, int]] = None):
        self.stack = stack
        self.id = sock
        self.peer = peer
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` ran."""
        return self._closed

    @property
    def peer_closed(self) -> bool:
        """Whether the remote side closed (``+UUSOCL``) and nothing is left to read."""
        with self.stack._cond:
            return self.id in self.stack._closed_by_peer and not self.stack._available.get(
                self.id, 0
            )

    def _check(self) -> None:
        if self._closed:
            raise ModemError(f"socket {self.id} is closed")

    def connect(self, host: str, port: int, timeout: float = 20.0) -> None:
        """``AT+USOCO``: connect to ``host:port`` (blocks up to ``timeout``)."""
        self._check()
        if not 0 < int(port) < 65536:
            raise ConfigurationError(f"port must be 1-65535, not {port}")
        if '"' in host:
            raise ConfigurationError(f"bad host name {host!r}")
        self.stack.channel.command(f'AT+USOCO={self.id},"{host}",{int(port)}', timeout=timeout)
        self.peer = (host, int(port))

    def send(self, data: Union[bytes, bytearray], timeout: float = 10.0) -> int:
        """``AT+USOWR`` in chunks; returns the number of bytes the modem took."""
        self._check()
        self.stack._ensure_hex()
        sent = 0
        view = bytes(data)
        while sent < len(view):
            if self.peer_closed:
                raise ModemError(
                    f"socket {self.id} was closed by the peer (+UUSOCL) "
                    f"after {sent} of {len(view)} bytes"
                )
            chunk = view[sent : sent + WRITE_CHUNK]
            payload = chunk.hex().upper() if self.stack.hex_mode else chunk.decode("latin-1")
            lines = self.stack.channel.command(
                f'AT+USOWR={self.id},{len(chunk)},"{payload}"', timeout=timeout
            )
            taken = len(chunk)
            for line in lines:
                if line.startswith("+USOWR:"):
                    fields = _fields(line.partition(":")[2])
                    if len(fields) >= 2 and is_digits(fields[1]):
                        taken = int(fields[1])
            sent += taken
            if taken == 0:
                break
        return sent

    sendall = send

    def receive(self, max_bytes: int = 1024, timeout: Optional[float] = 10.0) -> bytes:
        """Read what is buffered, waiting up to ``timeout`` for ``+UUSORD``.

        :returns: the bytes read; ``b''`` when the peer closed
        :raises ModemTimeoutError: nothing arrived in time
        """
        self._check()
        stack = self.stack
        if not stack.wait_readable(self.id, timeout):
            if self.peer_closed or stack.closed:
                return b""
            raise ModemTimeoutError(f"+UUSORD for socket {self.id}", [], timeout or 0.0)
        stack._ensure_hex()
        with stack._cond:
            announced = stack._available.get(self.id, 0)
            generation = stack._announcements.get(self.id, 0)
        want = max(1, min(max_bytes, announced, READ_CHUNK))
        lines = stack.channel.command(f"AT+USORD={self.id},{want}")
        data = b""
        for line in lines:
            if line.startswith("+USORD:"):
                data = self._parse_usord(line)
        with stack._cond:
            # a +UUSORD with the remaining count may have overtaken us: it wins
            if stack._announcements.get(self.id, 0) == generation:
                stack._available[self.id] = max(0, announced - len(data))
        return data

    recv = receive

    def _parse_usord(self, line: str) -> bytes:
        args = line.partition(":")[2].strip()
        _sock, _, rest = args.partition(",")
        count_text, _, quoted = rest.partition(",")
        if not is_digits(count_text.strip()):
            return b""
        count = int(count_text)
        body = quoted.strip()
        if body.startswith('"'):
            body = body[1:]
        if self.stack.hex_mode:
            hex_text = body[: 2 * count]
            try:
                return bytes.fromhex(hex_text)
            except ValueError as exc:
                raise ModemError(f"bad hex in +USORD: {hex_text[:40]!r}") from exc
        return body[:count].encode("latin-1")

    def listen(self, port: int) -> None:
        """``AT+USOLI``: accept TCP connections on ``port``."""
        self._check()
        if not 0 < int(port) < 65536:
            raise ConfigurationError(f"port must be 1-65535, not {port}")
        self.stack.channel.command(f"AT+USOLI={self.id},{int(port)}")

    def accept(self, timeout: Optional[float] = 30.0) -> ModemSocket:
        """Wait for ``+UUSOLI`` and return the accepted connection's socket.

        :raises ModemTimeoutError: no connection in time
        """
        self._check()
        got = self.stack.wait_accept(self.id, timeout)
        if got is None:
            raise ModemTimeoutError(f"+UUSOLI for socket {self.id}", [], timeout or 0.0)
        new, ip, port = got
        return ModemSocket(self.stack, new, (ip, port))

    def close(self, timeout: float = 10.0) -> None:
        """``AT+USOCL``; safe to call twice, and after the peer closed."""
        if self._closed:
            return
        self._closed = True
        try:
            self.stack.channel.command(f"AT+USOCL={self.id}", timeout=timeout)
        except ATCommandError as exc:  # already closed on the modem side
            logger.debug("AT+USOCL=%d: %s", self.id, exc.result)
        finally:
            self.stack._reset(self.id)

    def __enter__(self) -> ModemSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
