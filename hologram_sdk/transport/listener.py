"""Inbound TCP listener: one connection is one message, ended by the peer's close.

The one selector loop of :mod:`hologram_sdk.transport.server` serves it, so an
idle listener sleeps in the kernel (no polling). Rules, each configurable:

- a connection idle for ``idle_timeout`` seconds is cut; the bytes it sent so
  far are delivered as its message (nothing is lost to a sender that forgot to
  close), a connection that sent nothing is closed silently;
- a message over ``max_message_size`` bytes is **dropped** with a warning and
  its connection closed at once (a truncated message would be a corrupt one);
  other connections are not affected;
- at most ``max_connections`` connections are open; further senders wait in
  the kernel's accept backlog until one finishes (they are not refused);
- bytes are delivered as they came (``bytes``), never decoded here.

``on_message(data)`` runs on the listener thread, before the connection is
closed (a sender waiting for the close knows its message was taken); an
exception in it is logged.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Callable, Optional

from hologram_sdk.base.errors import ConfigurationError, InboundBindError
from hologram_sdk.transport.server import Connection, ConnectionHandler, SelectorServer

logger = logging.getLogger(__name__)

DEFAULT_IDLE_TIMEOUT = 10.0
DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024
DEFAULT_MAX_CONNECTIONS = 128
#: a message must be complete this long after its connection opened (slowloris)
DEFAULT_REQUEST_TIMEOUT = 30.0
_BACKLOG = socket.SOMAXCONN  # 8 senders at once overflow 128: dropped SYNs retry after 1 s
_RECV_SIZE = 16 * 1024


class _Connection(Connection):
    def __init__(self, sock: socket.socket, peer: str, deadline: float) -> None:
        super().__init__(sock, peer, deadline)
        self.data = bytearray()


class InboundListener:
    """Listen on ``host:port`` and hand each received message to ``on_message``.

    :param host: address to bind ('0.0.0.0' for every interface)
    :param port: port to bind; 0 lets the OS pick one (read :attr:`port`)
    :param on_message: called with the bytes of each complete message
    :param idle_timeout: seconds without traffic before a connection is cut
    :param max_message_size: bytes; a larger message is dropped with a warning
    :param max_connections: connections served at once; when all are taken, a new
        sender takes the place of the oldest unfinished one (open at least a
        second), whose bytes are dropped
    :param request_timeout: seconds from connecting to the sender's close; a
        message still arriving then is dropped with a line (however often
        bytes arrive)
    :param max_per_source: connections from one address before its own oldest
        unfinished one makes room for its next (half of ``max_connections``)
    :raises InboundBindError: the address cannot be bound (names host:port)
    """

    def __init__(
        self,
        host: str,
        port: int,
        on_message: Callable[[bytes], object],
        *,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        max_per_source: Optional[int] = None,
    ) -> None:
        if idle_timeout <= 0:
            raise ConfigurationError(f"idle_timeout must be > 0 seconds, got {idle_timeout!r}")
        if max_message_size < 1:
            raise ConfigurationError(f"max_message_size must be >= 1, got {max_message_size!r}")
        if max_connections < 1:
            raise ConfigurationError(f"max_connections must be >= 1, got {max_connections!r}")
        if not request_timeout > 0:
            raise ConfigurationError(f"request_timeout must be > 0, got {request_timeout!r}")
        if max_per_source is not None and max_per_source < 1:
            raise ConfigurationError(f"max_per_source must be >= 1, got {max_per_source!r}")
        self._on_message = on_message
        self._request_timeout = float(request_timeout)
        self._idle_timeout = float(idle_timeout)
        self._max_size = max_message_size
        self._max_connections = max_connections
        self._closed = False
        self._close_lock = threading.Lock()
        listening = self._bind(host, port)
        self.host: str = host
        #: The bound port (the OS's pick when 0 was asked for).
        self.port: int = listening.getsockname()[1]
        self._server = SelectorServer(
            listening,
            _MessageHandler(self),
            max_connections=max_connections,
            evict_after=min(1.0, self._idle_timeout),
            max_per_source=max_per_source or max(1, max_connections // 2),
            name=f"hologram-inbound-{self.port}",
            log=logger,
        )
        self._thread = self._server.thread
        self._server.start()
        logger.info("Listening for inbound messages on %s:%d", host, self.port)

    @staticmethod
    def _bind(host: str, port: int) -> socket.socket:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
            family, _, _, _, address = infos[0]
            server = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:
            raise InboundBindError(_bind_message(host, port, exc)) from exc
        try:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(address)
            server.listen(_BACKLOG)
            server.setblocking(False)
        except OSError as exc:
            server.close()
            raise InboundBindError(_bind_message(host, port, exc)) from exc
        return server

    @property
    def is_open(self) -> bool:
        """Whether the listener still accepts connections."""
        return not self._closed and self._server.is_open

    def close(self) -> None:
        """Stop the thread, close every socket and free the port (idempotent).

        From ``on_message`` (the listener thread) the loop stops after the
        message and cleans up on its way out.
        """
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._server.close()
        logger.info("Stopped listening on %s:%d", self.host, self.port)

    def __enter__(self) -> InboundListener:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _MessageHandler(ConnectionHandler[_Connection]):
    """One connection is one message, ended by the peer's close (or idleness)."""

    def __init__(self, owner: InboundListener) -> None:
        self._on_message = owner._on_message
        self._idle_timeout = owner._idle_timeout
        self._request_timeout = owner._request_timeout
        self._max_size = owner._max_size

    def accepted(self, sock: socket.socket, peer: str) -> _Connection:
        return _Connection(sock, peer, time.monotonic() + self._idle_timeout)

    def readable(self, server: SelectorServer[_Connection], conn: _Connection) -> None:
        try:
            chunk = conn.sock.recv(_RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:  # reset by the peer
            logger.warning("inbound connection from %s failed: %s", conn.peer, exc)
            self._finish(server, conn, deliver=bool(conn.data))
            return
        if not chunk:  # the sender closed: its message is complete (none if it sent nothing)
            self._finish(server, conn, deliver=bool(conn.data))
            return
        conn.deadline = conn.total_deadline(self._idle_timeout, self._request_timeout)
        conn.data += chunk
        if len(conn.data) > self._max_size:
            logger.warning(
                "inbound message from %s dropped: over %d bytes", conn.peer, self._max_size
            )
            self._finish(server, conn, deliver=False)

    def evictable(self, conn: _Connection) -> bool:
        return True  # every open connection is a message still arriving

    def evicted(self, server: SelectorServer[_Connection], conn: _Connection) -> None:
        logger.debug(
            "inbound connection from %s closed to make room: %d unfinished bytes dropped",
            conn.peer,
            len(conn.data),
        )
        self._finish(server, conn, deliver=False)

    def expired(self, server: SelectorServer[_Connection], conn: _Connection) -> None:
        if time.monotonic() >= conn.opened + self._request_timeout:
            logger.warning(
                "inbound message from %s dropped: not finished within %g s (%d bytes)",
                conn.peer,
                self._request_timeout,
                len(conn.data),
            )
            self._finish(server, conn, deliver=False)
            return
        logger.info(
            "inbound connection from %s idle for %g s: cut (%d bytes kept)",
            conn.peer,
            self._idle_timeout,
            len(conn.data),
        )
        self._finish(server, conn, deliver=bool(conn.data))

    def discarded(self, conn: _Connection) -> None:
        if conn.data:
            logger.info("inbound message from %s discarded at close", conn.peer)

    def _finish(
        self, server: SelectorServer[_Connection], conn: _Connection, deliver: bool
    ) -> None:
        # The message is handed over before the connection closes: a sender
        # that waits for our close (``push``) then knows it was taken.
        if deliver:
            try:
                self._on_message(bytes(conn.data))
            except Exception:
                logger.exception("inbound message handler raised")
        server.finish(conn)


def _bind_message(host: str, port: int, exc: OSError) -> str:
    return (
        f"cannot listen for inbound messages on {host}:{port}: {exc.strerror or exc}; "
        "use another receive_host/receive_port, stop the program holding the port, "
        "or pass enable_inbound=False to turn inbound off"
    )
