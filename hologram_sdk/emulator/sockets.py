"""A modem's TCP sockets, bridged to real loopback TCP: the part every socket dialect shares.

A :class:`SocketTable` owns real sockets (connected, listening, accepted),
watches them on the emulator's :class:`~hologram_sdk.emulator.transport.Link`
and tells its dialect (u-blox ``+USO*``, Quectel ``+QI*``) what happened
through three callbacks: data arrived, the peer closed, a connection came in.
Only loopback is bridged: other addresses are unreachable.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable, Optional

from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.transport import Link

LOOPBACK = ("127.0.0.1", "::1")


@dataclass
class BridgedSocket:
    """One modem socket and the real socket behind it."""

    sid: int
    proto: int = 6
    sock: Optional[socket.socket] = None
    listening: bool = False
    local_port: int = 0
    rx: bytearray = field(default_factory=bytearray)
    remote_closed: bool = False
    close_reported: bool = False
    sent: int = 0
    received: int = 0
    last_error: int = 0
    peer: tuple[str, int] = ("", 0)
    #: the listener that accepted it, if any
    server: Optional[int] = None
    #: dialect settings (Quectel: context, access mode, service type)
    options: dict[str, object] = field(default_factory=dict)

    @property
    def connected(self) -> bool:
        return self.sock is not None and not self.listening


class Unreachable(Exception):
    """Not a name the bridge knows or not a loopback address; ``dns`` tells which."""

    def __init__(self, dns: bool) -> None:
        super().__init__(dns)
        self.dns = dns


def check_hosts(hosts: Mapping[str, str]) -> dict[str, str]:
    """The host table (name -> loopback address), with ``localhost``.

    :raises ConfigurationError: an address is not loopback
    """
    for name, ip in hosts.items():
        if ip not in LOOPBACK:
            raise ConfigurationError(f"hosts[{name!r}] must be 127.0.0.1 or ::1, not {ip!r}")
    return {"localhost": "127.0.0.1", **dict(hosts)}


class SocketTable:
    """Up to ``capacity`` sockets numbered from 0, bridged to loopback.

    :param on_data: ``(socket, was_empty)`` after bytes arrived
    :param on_closed: the peer closed (called once only; with ``closed_after_read``
        not before the buffered bytes are read)
    :param on_incoming: ``(listener, accepted or None when the table is full, (ip, port))``
    """

    def __init__(
        self,
        link: Link,
        capacity: int,
        hosts: dict[str, str],
        *,
        on_data: Callable[[BridgedSocket, bool], None],
        on_closed: Callable[[BridgedSocket], None],
        on_incoming: Callable[[BridgedSocket, Optional[BridgedSocket], tuple[str, int]], None],
        closed_after_read: bool = True,
    ) -> None:
        self._closed_after_read = closed_after_read
        self._link = link
        self.capacity = capacity
        self.hosts = hosts
        self._on_data = on_data
        self._on_closed = on_closed
        self._on_incoming = on_incoming
        self.sockets: dict[int, BridgedSocket] = {}

    def free_id(self) -> Optional[int]:
        for sid in range(self.capacity):
            if sid not in self.sockets:
                return sid
        return None

    def new(self, sid: int, proto: int = 6, local_port: int = 0) -> BridgedSocket:
        bsock = BridgedSocket(sid, proto, local_port=local_port)
        self.sockets[sid] = bsock
        return bsock

    def resolve(self, host: str) -> str:
        """The loopback address for ``host``.

        :raises Unreachable: an unknown name, or an address the bridge does not reach
        """
        ip = self.hosts.get(host.lower(), host)
        if ip in LOOPBACK:
            return ip
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)
        except OSError:
            raise Unreachable(dns=True) from None
        raise Unreachable(dns=False)

    def connect(self, bsock: BridgedSocket, ip: str, port: int) -> None:
        """Connect to ``ip:port`` (blocking, 5 s at most).

        :raises OSError: refused, timed out...
        """
        conn = socket.create_connection((ip, port), timeout=5.0)
        conn.setblocking(False)
        bsock.sock = conn
        bsock.peer = (ip, port)
        self._link.watch(conn, lambda mask: self._readable(bsock.sid))

    def listen(self, bsock: BridgedSocket, port: int) -> None:
        """Listen on 127.0.0.1:``port`` (0: any free port).

        :raises OSError: the port is taken...
        """
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", port))
            listener.listen(5)
        except OSError:
            listener.close()
            raise
        listener.setblocking(False)
        bsock.sock = listener
        bsock.listening = True
        bsock.local_port = int(listener.getsockname()[1])
        self._link.watch(listener, lambda mask: self._accept(bsock.sid))

    def send(self, bsock: BridgedSocket, data: bytes) -> None:
        """Send all of ``data`` (5 s at most).

        :raises OSError: the connection failed
        """
        assert bsock.sock is not None
        try:
            bsock.sock.settimeout(5.0)
            bsock.sock.sendall(data)
        finally:
            bsock.sock.setblocking(False)
        bsock.sent += len(data)

    def read(self, bsock: BridgedSocket, size: int) -> bytes:
        """Take up to ``size`` buffered bytes."""
        data = bytes(bsock.rx[:size])
        del bsock.rx[: len(data)]
        return data

    def close(self, bsock: BridgedSocket) -> None:
        """Close the real socket and forget the modem socket."""
        self._release(bsock)
        self.sockets.pop(bsock.sid, None)

    def close_all(self) -> None:
        for bsock in list(self.sockets.values()):
            self._release(bsock)
        self.sockets.clear()

    def _release(self, bsock: BridgedSocket) -> None:
        if bsock.sock is not None:
            self._link.unwatch(bsock.sock)
            bsock.sock.close()
            bsock.sock = None

    def local_port(self, sid: int) -> int:
        """The real local TCP port behind socket ``sid``.

        :raises ConfigurationError: no such socket
        """
        bsock = self.sockets.get(sid)
        if bsock is None:
            raise ConfigurationError(f"no modem socket {sid}")
        if bsock.sock is not None:
            return int(bsock.sock.getsockname()[1])
        return bsock.local_port

    # --- events from the link ---------------------------------------------------------

    def _accept(self, lsid: int) -> None:
        listener = self.sockets.get(lsid)
        if listener is None or listener.sock is None:
            return
        try:
            conn, addr = listener.sock.accept()
        except OSError:  # BlockingIOError and others: nothing to accept now
            return
        peer = (str(addr[0]), int(addr[1]))
        sid = self.free_id()
        if sid is None:
            conn.close()
            self._on_incoming(listener, None, peer)
            return
        conn.setblocking(False)
        bsock = BridgedSocket(sid, listener.proto, conn, peer=peer, server=lsid)
        bsock.local_port = listener.local_port
        bsock.options = dict(listener.options)
        self.sockets[sid] = bsock
        self._link.watch(conn, lambda mask: self._readable(sid))
        self._on_incoming(listener, bsock, peer)

    def _readable(self, sid: int) -> None:
        bsock = self.sockets.get(sid)
        if bsock is None or bsock.sock is None:
            return
        try:
            data = bsock.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            bsock.remote_closed = True
            self._link.unwatch(bsock.sock)
            self.report_closed(bsock)
            return
        was_empty = not bsock.rx
        bsock.rx += data
        bsock.received += len(data)
        self._on_data(bsock, was_empty)

    def report_closed(self, bsock: BridgedSocket) -> None:
        """Tell the dialect of a peer close once the buffer is empty (once only)."""
        unread = bsock.rx and self._closed_after_read
        if bsock.remote_closed and not unread and not bsock.close_reported:
            bsock.close_reported = True
            self._on_closed(bsock)
