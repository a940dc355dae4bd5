"""Local cloud: a TCP server that speaks the Hologram cloud protocol and stores what it accepts.

``LocalCloud`` answers device requests (JSON messages in both credential formats,
SMS) exactly as ``shared/reference/cloud-protocol.md`` describes, keeps what it
accepts in SQLite (:mod:`.store`) before it replies, and can push cloud-to-device
messages to a device's inbound port. Decoding is ``hologram_sdk.wire.protocol``'s,
so the client and this server agree byte for byte.

(Just over 500 lines: the connection's states, reading to draining, read best
in one place; the request logic itself is in :mod:`.requests`.)
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Callable, Optional, Union

from hologram_sdk.base.errors import (
    ConfigurationError,
    HologramError,
    InboundBindError,
)
from hologram_sdk.emulator.cloud import auth as cloud_auth
from hologram_sdk.emulator.cloud.devices import DeviceTable, load_devices_file
from hologram_sdk.emulator.cloud.records import PathLike, StoredMessage, StoredSMS
from hologram_sdk.emulator.cloud.registration import (
    DEFAULT_MAX_DEVICES,
    DEFAULT_PER_MINUTE,
    RegistrationLimit,
)
from hologram_sdk.emulator.cloud.requests import (
    OnStored,
    RequestHandler,
    _reason,
    _Told,
    find_terminator,
    push,
    request_kind,
)
from hologram_sdk.emulator.cloud.store import CloudStore
from hologram_sdk.transport.server import Connection, ConnectionHandler, SelectorServer
from hologram_sdk.wire.protocol import (
    ResultCode,
    encode_reply,
)

#: The package's name: log lines keep the name they had before the split.
logger = logging.getLogger("hologram_sdk.emulator.cloud")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9999
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024
DEFAULT_IDLE_TIMEOUT = 5.0
#: connections served at once: what one epoll loop holds easily, so 128 slow or
#: idle clients (issue 15) do not reach it; lowered to fit the process's file limit
DEFAULT_MAX_CONNECTIONS = 1024
#: at the cap, a new client may take the place of a connection open this long
EVICT_AFTER = 0.25
#: A request must be complete this long after its connection opened, however
#: often it sends a byte (slowloris).
DEFAULT_REQUEST_TIMEOUT = 15.0
#: After the reply, how long the server waits for the client to close first.
DEFAULT_DRAIN_TIMEOUT = 1.0
_DRAIN_LIMIT = 256 * 1024

def _default_max_connections() -> int:
    """:data:`DEFAULT_MAX_CONNECTIONS`, less where the file limit is lower (a
    connection over it would fail in accept, again and again)."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return 128
    if soft == resource.RLIM_INFINITY:
        return DEFAULT_MAX_CONNECTIONS
    return max(16, min(DEFAULT_MAX_CONNECTIONS, soft - 64))


class _Conn(Connection):
    def __init__(self, sock: socket.socket, peer: str, deadline: float) -> None:
        super().__init__(sock, peer, deadline)
        self.buf = bytearray()
        self.out = b""
        self.state = "reading"  # -> "writing" -> "draining"
        self.deadline: float = deadline
        self.drained = 0
        #: the whole input was the request: closing after the reply resets nothing
        self.consumed = False
        #: the SIM-OTP nonce issued on this connection (.auth), used once
        self.ticket: Optional[cloud_auth.NonceTicket] = None


class _Serve(ConnectionHandler[_Conn]):
    """The loop's events, handed to the cloud's request/reply logic."""

    def __init__(self, cloud: LocalCloud) -> None:
        self._cloud = cloud

    def accepted(self, sock: socket.socket, peer: str) -> _Conn:
        return _Conn(sock, peer, time.monotonic() + self._cloud.idle_timeout)

    def evictable(self, conn: _Conn) -> bool:
        # still sending its request, or answered and lingering: never one being answered
        return conn.state in ("reading", "draining")

    def evicted(self, server: SelectorServer[_Conn], conn: _Conn) -> None:
        if conn.state == "reading":
            self._cloud.log.info(
                "connection from %s closed to make room (request unfinished after %.1f s)",
                conn.peer,
                time.monotonic() - conn.opened,
            )
        server.finish(conn)

    def readable(self, server: SelectorServer[_Conn], conn: _Conn) -> None:
        self._cloud._service(conn)

    def writable(self, server: SelectorServer[_Conn], conn: _Conn) -> None:
        self._cloud._write(conn)

    def round_done(self, server: SelectorServer[_Conn]) -> None:
        self._cloud._answer_batch()

    def expired(self, server: SelectorServer[_Conn], conn: _Conn) -> None:
        self._cloud._expire(conn)


class LocalCloud:
    """A local Hologram cloud on TCP, backed by SQLite.

    One selector thread serves every connection, so a slow or silent client
    never blocks the others: each connection has an idle timeout, requests over
    ``max_request_bytes`` are answered ``4`` and closed, and at most
    ``max_connections`` are open at once (the rest wait in the listen backlog).

    :param host: address to listen on (loopback by default)
    :param port: TCP port; ``0`` picks a free one (see :attr:`port`)
    :param db: SQLite file for what is accepted; ``":memory:"`` keeps nothing
    :param devices: HJSON devices file; only those devices are accepted. Without
        it, any well-formed credentials are accepted and registered on first contact.
    :param max_request_bytes: larger requests are refused
    :param idle_timeout: seconds a connection may stay silent before it is closed
    :param max_connections: connections served at once (1024, or fewer when the
        process may open fewer files); when all are taken, a new client takes the
        place of the oldest one still sending its request (open at least 0.25 s),
        so slow clients cannot shut good ones out
    :param request_timeout: seconds from connecting to the end of the request,
        however often bytes arrive (15)
    :param max_per_source: connections from one address before its own oldest
        unfinished one makes room for its next (half of ``max_connections``)
    :param drain_timeout: seconds to wait for the client to close after the reply
    :param auth_window: TOTP/SIM-OTP: time steps a device's clock may be off (±)
    :param auth_clock: TOTP/SIM-OTP: the cloud's time (Unix seconds; ``time.time``)
    :param nonce_ttl: SIM-OTP: seconds a nonce stays valid
    :param store: an open database to use instead of opening ``db`` (its owner
        closes it; a gateway shares it with its routes)
    :param on_stored: told about each row once it is committed (see :data:`OnStored`)
    :param device_prefix: devices registered on first contact are named ``<prefix>-N``
    :param registration_rate: without ``devices``: new devices per minute one source
        address may register (and at once); ``0``: no limit (see :mod:`.registration`)
    :param max_devices: without ``devices``: devices registered in all (``0``: no cap)
    :param registration_clock: monotonic seconds for the registration limit
    :raises ConfigurationError: bad devices file or database path

    TOTP and SIM-OTP devices come only from the devices file (``auth``,
    ``iccid``, ``imsi``, ``ki``, ``opc``): see :mod:`~hologram_sdk.emulator.cloud.auth`.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        db: PathLike = ":memory:",
        devices: Optional[PathLike] = None,
        *,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        max_connections: Optional[int] = None,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        max_per_source: Optional[int] = None,
        drain_timeout: float = DEFAULT_DRAIN_TIMEOUT,
        auth_window: int = cloud_auth.DEFAULT_WINDOW,
        auth_clock: Optional[Callable[[], float]] = None,
        nonce_ttl: float = cloud_auth.DEFAULT_NONCE_TTL,
        store: Optional[CloudStore] = None,
        on_stored: Optional[OnStored] = None,
        device_prefix: str = "device",
        registration_rate: float = DEFAULT_PER_MINUTE,
        max_devices: int = DEFAULT_MAX_DEVICES,
        registration_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigurationError(f"port must be 0..65535, not {port!r}")
        if max_connections is None:
            max_connections = _default_max_connections()
        if max_request_bytes < 16 or max_connections < 1 or not idle_timeout > 0:
            raise ConfigurationError(
                "max_request_bytes must be >= 16, max_connections >= 1, idle_timeout > 0"
            )
        if not request_timeout > 0 or (max_per_source is not None and max_per_source < 1):
            raise ConfigurationError("request_timeout must be > 0 and max_per_source >= 1")
        self.host = host
        self.port = port
        self.db = os.fspath(db)
        self.devices_file = os.fspath(devices) if devices is not None else None
        self.max_request_bytes = max_request_bytes
        self.idle_timeout = float(idle_timeout)
        self.max_connections = max_connections
        self.request_timeout = float(request_timeout)
        self.max_per_source = (
            max_per_source if max_per_source is not None else max(1, max_connections // 2)
        )
        self.drain_timeout = float(drain_timeout)
        self.log = logger.getChild(type(self).__name__)
        self.registration = RegistrationLimit(
            registration_rate, max_devices, clock=registration_clock, log=self.log
        )
        self._listed = load_devices_file(devices) if devices is not None else None
        self._auth = cloud_auth.AuthVerifier(
            cloud_auth.load_auth_devices_file(devices) if devices is not None else (),
            window=auth_window,
            clock=auth_clock or time.time,
            nonce_ttl=nonce_ttl,
        )
        self._compact: Optional[cloud_auth.CompactHandler] = None
        self._lifecycle = threading.Lock()
        self._started = False
        self._closed = False
        self._thread: Optional[threading.Thread] = None
        self._server: Optional[SelectorServer[_Conn]] = None
        self._store: Optional[CloudStore] = None
        self._given_store = store
        self.device_prefix = device_prefix
        self._on_stored = on_stored
        self._handler: Optional[RequestHandler] = None
        self._batch: list[tuple[_Conn, bytes]] = []
        #: the most requests committed together so far (group commit at work)
        self.largest_batch = 0

    # lifecycle

    def start(self) -> LocalCloud:
        """Bind, open the database and start serving (a second call does nothing).

        :raises InboundBindError: the address cannot be bound
        :raises HologramError: the cloud was closed
        """
        with self._lifecycle:
            if self._closed:
                raise HologramError("this LocalCloud is closed; create a new one")
            if self._started:
                return self
            store = self._given_store or CloudStore(self.db)
            try:
                listener = self._bind()
            except BaseException:
                if store is not self._given_store:
                    store.close()
                raise
            self._store = store
            if self._listed is not None:
                table = DeviceTable(self._listed, open_registration=False)
            else:
                table = DeviceTable(
                    store.devices(),
                    open_registration=True,
                    on_register=store.add_device,
                    name_prefix=self.device_prefix,
                    seal=store.seal,
                    limit=self.registration,
                )
            self._handler = RequestHandler(
                store, table, log=self.log, on_stored=self._on_stored
            )
            self._told = _Told(store, self._on_stored)
            self._compact = cloud_auth.CompactHandler(self._auth, self._told, log=self.log)
            self.port = listener.getsockname()[1]
            self._server = SelectorServer(
                listener,
                _Serve(self),
                max_connections=self.max_connections,
                evict_after=min(EVICT_AFTER, self.idle_timeout),
                max_per_source=self.max_per_source,
                name=f"LocalCloud-{self.port}",
                log=self.log,
            )
            self._thread = self._server.thread
            self._started = True
            self._server.start()
        mode = (
            f"{len(table) + len(self._auth)} listed devices"
            if self._listed is not None
            else "any credentials (devices registered on first contact)"
        )
        self.log.info("listening on %s:%d, accepting %s", self.host, self.port, mode)
        return self

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            sock = socket.create_server((self.host, self.port), family=family, backlog=128)
        except OSError as exc:
            raise InboundBindError(
                f"cannot listen on {self.host}:{self.port}: {_reason(exc)}"
            ) from exc
        sock.setblocking(False)
        return sock

    def close(self) -> None:
        """Stop serving, close every connection and the database (idempotent)."""
        with self._lifecycle:
            if self._closed:
                return
            self._closed = True
            server = self._server
        if server is not None:
            server.close()
        if self._store is not None and self._store is not self._given_store:
            self._store.close()
        if server is not None:
            self.log.info("stopped")

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` the cloud listens on (the real port once started)."""
        return self.host, self.port

    # what was stored

    def _reader(self) -> tuple[CloudStore, bool]:
        if self._store is not None and not self._closed:
            return self._store, False
        return CloudStore(self.db, readonly=True), True

    def messages(self) -> list[StoredMessage]:
        """Every message stored so far, oldest first."""
        store, owned = self._reader()
        try:
            return store.messages()
        finally:
            if owned:
                store.close()

    def sms(self) -> list[StoredSMS]:
        """Every SMS stored so far, oldest first."""
        store, owned = self._reader()
        try:
            return store.sms()
        finally:
            if owned:
                store.close()

    def handle_request(self, body: bytes, peer: str = "-") -> bytes:
        """Answer one request (terminator removed) as the server would, without a socket."""
        if self._handler is None:
            raise HologramError("start the LocalCloud first")
        return self._handler.handle(body, peer)

    def push(self, host: str, port: int, message: Union[str, bytes], timeout: float = 5.0) -> int:
        """Deliver a cloud-to-device message to a device's inbound port (see :func:`push`)."""
        sent = push(host, port, message, timeout)
        self.log.info("pushed %d bytes to %s:%d", sent, host, port)
        return sent

    # what the one selector loop (hologram_sdk.transport.server) hands over

    def _finish(self, conn: _Conn) -> None:
        assert self._server is not None
        self._server.finish(conn)

    def _service(self, conn: _Conn) -> None:
        if conn.state == "writing":
            self._write(conn)
            return
        try:
            limit = self.max_request_bytes + 1 - len(conn.buf) if conn.state == "reading" else 65536
            data = conn.sock.recv(max(limit, 1))
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._finish(conn)
            return
        if conn.state == "draining":
            conn.drained += len(data)
            if not data or conn.drained > _DRAIN_LIMIT:
                self._finish(conn)
            return
        if not data:  # the client half-closed: what came is the request
            if conn.buf:
                conn.consumed = True
                self._answer(conn, bytes(conn.buf))
            else:
                self._finish(conn)
            return
        start = max(0, len(conn.buf) - 3)
        conn.buf += data
        conn.deadline = conn.total_deadline(self.idle_timeout, self.request_timeout)
        if self._service_compact(conn):  # TOTP/SIM-OTP (.auth)
            return
        found = find_terminator(conn.buf, start)
        if found is not None and sum(found) <= self.max_request_bytes:
            conn.consumed = sum(found) == len(conn.buf)
            self._answer(conn, bytes(conn.buf[: found[0]]))
        elif len(conn.buf) > self.max_request_bytes:
            kind = request_kind(conn.buf)
            self.log.info(
                "%s from %s refused: %d (over %d bytes)",
                kind,
                conn.peer,
                int(ResultCode.ERR_PAYLOADINVALID),
                self.max_request_bytes,
            )
            self._reply(conn, encode_reply(kind, ResultCode.ERR_PAYLOADINVALID))

    def _service_compact(self, conn: _Conn) -> bool:
        """Serve a compact request (TOTP/SIM-OTP); False when the input is not one."""
        if not cloud_auth.is_compact(conn.buf):  # JSON or SMS: no copy
            return False
        kind = cloud_auth.frame(bytes(conn.buf))
        assert self._compact is not None
        if kind == "nonce":  # answered at once; the request follows on this connection
            conn.buf = bytearray()
            conn.ticket = self._auth.issue_nonce()
            try:
                sent = conn.sock.send(conn.ticket.nonce)
            except OSError:
                sent = 0
            if sent != len(conn.ticket.nonce):
                self._finish(conn)
        elif kind == "request":
            ticket, conn.ticket = conn.ticket, None  # a nonce is used once
            conn.consumed = True
            self._told.peer = conn.peer
            self._reply(conn, self._compact.handle(bytes(conn.buf), ticket, conn.peer))
        elif len(conn.buf) > self.max_request_bytes:
            self.log.info(
                "compact request from %s refused: %d (over %d bytes)",
                conn.peer,
                int(ResultCode.ERR_PAYLOADINVALID),
                self.max_request_bytes,
            )
            self._reply(conn, str(int(ResultCode.ERR_PAYLOADINVALID)).encode())
        return True

    def _answer(self, conn: _Conn, body: bytes) -> None:
        # answered at the end of this round of events, with the others that came
        # in it: their rows are committed together (group commit)
        conn.state = "answering"
        self._batch.append((conn, body))

    def _answer_batch(self) -> None:
        batch, self._batch = self._batch, []
        if not batch:
            return
        assert self._handler is not None
        self.largest_batch = max(self.largest_batch, len(batch))
        replies = self._handler.handle_batch([(body, conn.peer) for conn, body in batch])
        for (conn, _), reply in zip(batch, replies):
            if conn.sock.fileno() >= 0:
                self._reply(conn, reply)

    def _reply(self, conn: _Conn, reply: bytes) -> None:
        conn.buf = bytearray()
        conn.out = reply
        conn.state = "writing"
        self._write(conn)

    def _write(self, conn: _Conn) -> None:
        assert self._server is not None
        try:
            sent = conn.sock.send(conn.out)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._finish(conn)
            return
        conn.out = conn.out[sent:]
        if conn.out:
            self._server.want_write(conn)
            return
        if conn.consumed:  # nothing unread: a plain close sends FIN, not RST
            self._finish(conn)
            return
        # Reply written: half-close so the client sees the end, then wait
        # briefly for its close (closing with unread input would reset the
        # connection and could destroy the reply before the client reads it).
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._finish(conn)
            return
        conn.state = "draining"
        conn.deadline = time.monotonic() + self.drain_timeout
        self._server.want_write(conn, False)

    def _expire(self, conn: _Conn) -> None:
        if conn.state == "reading" and conn.buf:
            kind = request_kind(conn.buf)
            self.log.info(
                "%s from %s refused: %d (incomplete after %.1f s)",
                kind,
                conn.peer,
                int(ResultCode.ERR_MSGINVALID),
                time.monotonic() - conn.opened,
            )
            self._reply(conn, encode_reply(kind, ResultCode.ERR_MSGINVALID))
        else:
            self._finish(conn)
