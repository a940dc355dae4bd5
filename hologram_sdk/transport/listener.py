"""Inbound TCP listener: one connection is one message, ended by the peer's close.

One thread runs a :mod:`selectors` loop over the listening socket, the open
connections and a wake-up socket pair, so an idle listener sleeps in the
kernel (no polling). Rules, each configurable:

- a connection idle for ``idle_timeout`` seconds is cut; the bytes it sent so
  far are delivered as its message (nothing is lost to a sender that forgot to
  close), a connection that sent nothing is closed silently;
- a message over ``max_message_size`` bytes is **dropped** with a warning and
  its connection closed at once (a truncated message would be a corrupt one);
  other connections are not affected;
- at most ``max_connections`` connections are open; further senders wait in
  the kernel's accept backlog until one finishes (they are not refused);
- bytes are delivered as they came (``bytes``), never decoded here.

``on_message(data)`` runs on the listener thread; an exception in it is logged.
"""

from __future__ import annotations

import logging
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from hologram_sdk.base.errors import ConfigurationError, InboundBindError

logger = logging.getLogger(__name__)

DEFAULT_IDLE_TIMEOUT = 10.0
DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024
DEFAULT_MAX_CONNECTIONS = 128
_BACKLOG = socket.SOMAXCONN  # 8 senders at once overflow 128: dropped SYNs retry after 1 s
_RECV_SIZE = 16 * 1024


@dataclass
class _Connection:
    sock: socket.socket
    peer: str
    last_activity: float
    data: bytearray = field(default_factory=bytearray)


class InboundListener:
    """Listen on ``host:port`` and hand each received message to ``on_message``.

    :param host: address to bind ('0.0.0.0' for every interface)
    :param port: port to bind; 0 lets the OS pick one (read :attr:`port`)
    :param on_message: called with the bytes of each complete message
    :param idle_timeout: seconds without traffic before a connection is cut
    :param max_message_size: bytes; a larger message is dropped with a warning
    :param max_connections: connections served at once
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
    ) -> None:
        if idle_timeout <= 0:
            raise ConfigurationError(f"idle_timeout must be > 0 seconds, got {idle_timeout!r}")
        if max_message_size < 1:
            raise ConfigurationError(f"max_message_size must be >= 1, got {max_message_size!r}")
        if max_connections < 1:
            raise ConfigurationError(f"max_connections must be >= 1, got {max_connections!r}")
        self._on_message = on_message
        self._idle_timeout = float(idle_timeout)
        self._max_size = max_message_size
        self._max_connections = max_connections
        self._connections: dict[int, _Connection] = {}
        self._closed = False
        self._close_lock = threading.Lock()
        self._server = self._bind(host, port)
        self.host: str = host
        #: The bound port (the OS's pick when 0 was asked for).
        self.port: int = self._server.getsockname()[1]
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._server, selectors.EVENT_READ, "accept")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._accepting = True
        self._thread = threading.Thread(
            target=self._run, name=f"hologram-inbound-{self.port}", daemon=True
        )
        self._thread.start()
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
        return not self._closed

    def close(self) -> None:
        """Stop the thread, close every socket and free the port (idempotent)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        if threading.current_thread() is not self._thread:
            self._thread.join()
        # When called from on_message, the loop sees _closed and cleans up itself.

    def __enter__(self) -> InboundListener:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the loop ------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._closed:
                for key, _ in self._selector.select(self._next_timeout()):
                    if self._closed:
                        break
                    if key.data == "accept":
                        self._accept()
                    elif key.data == "wake":
                        self._drain_wake()
                    else:
                        self._read(key.data)
                self._cut_idle()
        except Exception:  # a bug here must not leave sockets behind
            logger.exception("inbound listener on port %d failed", self.port)
        finally:
            self._cleanup()

    def _next_timeout(self) -> Optional[float]:
        if not self._connections:
            return None  # sleep until a connection or close()
        oldest = min(c.last_activity for c in self._connections.values())
        return max(0.0, oldest + self._idle_timeout - time.monotonic())

    def _drain_wake(self) -> None:
        try:
            self._wake_r.recv(64)
        except OSError:
            pass

    def _accept(self) -> None:
        while len(self._connections) < self._max_connections:
            try:
                sock, address = self._server.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. ECONNABORTED, EMFILE
                logger.warning("inbound accept failed: %s", exc)
                return
            sock.setblocking(False)
            conn = _Connection(sock, _peer_name(address), time.monotonic())
            self._connections[sock.fileno()] = conn
            self._selector.register(sock, selectors.EVENT_READ, conn)
        if self._accepting:
            logger.debug("inbound connection cap (%d) reached", self._max_connections)
            self._selector.unregister(self._server)
            self._accepting = False

    def _read(self, conn: _Connection) -> None:
        try:
            chunk = conn.sock.recv(_RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:  # reset by the peer
            logger.warning("inbound connection from %s failed: %s", conn.peer, exc)
            self._finish(conn, deliver=bool(conn.data))
            return
        if not chunk:
            self._finish(conn, deliver=True)
            return
        conn.last_activity = time.monotonic()
        conn.data += chunk
        if len(conn.data) > self._max_size:
            logger.warning(
                "inbound message from %s dropped: over %d bytes", conn.peer, self._max_size
            )
            self._finish(conn, deliver=False)

    def _cut_idle(self) -> None:
        now = time.monotonic()
        for conn in list(self._connections.values()):
            if now - conn.last_activity >= self._idle_timeout:
                logger.info(
                    "inbound connection from %s idle for %g s: cut (%d bytes kept)",
                    conn.peer,
                    self._idle_timeout,
                    len(conn.data),
                )
                self._finish(conn, deliver=bool(conn.data))

    def _finish(self, conn: _Connection, deliver: bool) -> None:
        self._forget(conn)
        if not self._accepting and not self._closed:
            self._selector.register(self._server, selectors.EVENT_READ, "accept")
            self._accepting = True
        if deliver:
            try:
                self._on_message(bytes(conn.data))
            except Exception:
                logger.exception("inbound message handler raised")

    def _forget(self, conn: _Connection) -> None:
        self._connections.pop(conn.sock.fileno(), None)
        try:
            self._selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()

    def _cleanup(self) -> None:
        self._closed = True
        for conn in list(self._connections.values()):
            if conn.data:
                logger.info("inbound message from %s discarded at close", conn.peer)
            self._forget(conn)
        self._selector.close()
        self._server.close()
        self._wake_r.close()
        self._wake_w.close()
        logger.info("Stopped listening on %s:%d", self.host, self.port)


def _bind_message(host: str, port: int, exc: OSError) -> str:
    return (
        f"cannot listen for inbound messages on {host}:{port}: {exc.strerror or exc}; "
        "use another receive_host/receive_port, stop the program holding the port, "
        "or pass enable_inbound=False to turn inbound off"
    )


def _peer_name(address: object) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)
