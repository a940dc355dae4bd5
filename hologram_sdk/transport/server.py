"""THE selector server loop: one thread serves a listening socket and its connections.

Used by the inbound listener (:mod:`hologram_sdk.transport.listener`) and the
local cloud's server, which differ only in what they do with the bytes. The
loop owns what they share:

- one thread in :mod:`selectors` over the listening socket, the connections
  and a wake-up socket pair, so an idle server sleeps in the kernel (no
  polling) and :meth:`SelectorServer.close` wakes it at once;
- per-connection deadlines: the loop sleeps until the nearest one and calls
  the handler's :meth:`~ConnectionHandler.expired` when it passes;
- rounds: after the events of one wake-up the handler's
  :meth:`~ConnectionHandler.round_done` runs (the local cloud answers the
  requests of a round together, one database commit for all);
- a cap on open connections: at the cap the listening socket is taken out of
  the selector, so further clients wait in the kernel's accept backlog (they
  are not refused) until a connection finishes;
- accepting: every pending connection up to the cap per wake-up;
- eviction (``evict_after``): at the cap, a new client takes the place of the
  oldest connection the handler calls :meth:`~ConnectionHandler.evictable`
  (e.g. one still dribbling its request) once that one has been open
  ``evict_after`` seconds, so a slowloris holding every slot cannot shut good
  clients out; ``max_per_source`` connections from one address is a soft cap
  the same way (over it, that address's own oldest evictable one makes room;
  with none, the new one is kept within the overall cap);
- cleanup: every socket is closed when the loop ends, even after a bug in a
  handler (logged).

A handler (:class:`ConnectionHandler`) makes the connection objects and gets
the events; it reads and writes the sockets itself and calls
:meth:`SelectorServer.finish` to close one.
"""

from __future__ import annotations

import logging
import math
import selectors
import socket
import threading
import time
from collections.abc import Callable
from typing import Generic, Optional, TypeVar

logger = logging.getLogger(__name__)


class Connection:
    """One accepted connection; a handler subclasses it to keep its own state.

    :param sock: the non-blocking socket
    :param peer: ``host:port`` of the client, for logs
    :param deadline: :func:`time.monotonic` time at which the handler's
        ``expired`` is called (None: never); the handler moves it
    """

    def __init__(self, sock: socket.socket, peer: str, deadline: Optional[float]) -> None:
        self.sock = sock
        self.peer = peer
        #: told of every new deadline (set by the loop that serves this connection)
        self._deadline_moved: Optional[Callable[[float], None]] = None
        self._deadline = deadline
        #: :func:`time.monotonic` time the connection was accepted
        self.opened = time.monotonic()
        #: the client's address without the port (set by the loop)
        self.source = ""

    @property
    def deadline(self) -> Optional[float]:
        """:func:`time.monotonic` time at which the handler's ``expired`` is called."""
        return self._deadline

    @deadline.setter
    def deadline(self, when: Optional[float]) -> None:
        self._deadline = when
        if when is not None and self._deadline_moved is not None:
            self._deadline_moved(when)

    def total_deadline(self, idle: float, total: Optional[float]) -> float:
        """``idle`` seconds from now, but never past ``total`` seconds after it opened
        (a request that keeps sending a byte at a time still ends)."""
        soon = time.monotonic() + idle
        return soon if total is None else min(soon, self.opened + total)


C = TypeVar("C", bound=Connection)


class ConnectionHandler(Generic[C]):
    """What a server does with its connections (every method runs on the loop thread)."""

    def accepted(self, sock: socket.socket, peer: str) -> C:
        """The connection object for a new client (its socket is already non-blocking)."""
        raise NotImplementedError

    def readable(self, server: SelectorServer[C], conn: C) -> None:
        """``conn`` has bytes (or EOF) to read."""

    def writable(self, server: SelectorServer[C], conn: C) -> None:
        """``conn`` can be written (only while :meth:`SelectorServer.want_write` asked)."""

    def round_done(self, server: SelectorServer[C]) -> None:
        """Every event of one wake-up was handled (e.g. answer what came in it together)."""

    def expired(self, server: SelectorServer[C], conn: C) -> None:
        """``conn.deadline`` has passed; the default closes the connection."""
        server.finish(conn)

    def discarded(self, conn: C) -> None:
        """``conn`` is about to be closed because the server stops."""

    def evictable(self, conn: C) -> bool:
        """Whether ``conn`` may be closed to make room for a new client (default: no)."""
        return False

    def evicted(self, server: SelectorServer[C], conn: C) -> None:
        """``conn`` makes room for a new client; the default closes it."""
        server.finish(conn)


def peer_name(address: object) -> str:
    """``host:port`` of a socket address, for logs."""
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)


class SelectorServer(Generic[C]):
    """Serve the clients of ``listener`` on one thread until :meth:`close`.

    :param listener: a bound, listening socket (the server owns and closes it)
    :param handler: makes the connections and gets their events
    :param max_connections: connections open at once; the rest wait in the backlog
    :param name: the thread's name
    :param log: where the loop logs accept failures and bugs
    """

    def __init__(
        self,
        listener: socket.socket,
        handler: ConnectionHandler[C],
        *,
        max_connections: int,
        name: str,
        log: logging.Logger = logger,
        evict_after: Optional[float] = None,
        max_per_source: Optional[int] = None,
    ) -> None:
        listener.setblocking(False)
        self._listener = listener
        self._handler = handler
        self._max_connections = max_connections
        self._log = log
        self._connections: dict[int, C] = {}
        self._evict_after = evict_after
        self._max_per_source = max_per_source
        self._per_source: dict[str, int] = {}
        #: connections closed to make room for new clients
        self.evictions = 0
        #: the earliest deadline of any connection (inf: none); may be early, never late
        self._scan_at = math.inf
        self._closed = False
        self._close_lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(listener, selectors.EVENT_READ, None)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._accepting = True
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    @property
    def is_open(self) -> bool:
        """Whether the loop serves (False once closed, or stopped by a bug)."""
        return not self._closed

    @property
    def thread(self) -> threading.Thread:
        """The loop's thread (for joining and leak checks)."""
        return self._thread

    @property
    def connections(self) -> int:
        """How many connections are open."""
        return len(self._connections)

    def start(self) -> None:
        """Start the loop thread."""
        self._thread.start()

    def close(self) -> None:
        """Stop the loop and close every socket (idempotent).

        From the loop thread itself (a handler), the loop stops after the
        current event and cleans up on its way out.
        """
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._wake_w.send(b"x")
        except OSError:  # full: a wake-up is already pending
            pass
        if not self._thread.is_alive() and self._thread.ident is None:
            self._cleanup()  # never started
        elif threading.current_thread() is not self._thread:
            self._thread.join()

    # --- for handlers --------------------------------------------------------------

    def want_write(self, conn: C, write: bool = True) -> None:
        """Watch ``conn`` for writability (True) or for input (False)."""
        events = selectors.EVENT_WRITE if write else selectors.EVENT_READ
        self._selector.modify(conn.sock, events, conn)

    def finish(self, conn: C) -> None:
        """Close ``conn`` and accept again if the cap had stopped accepting."""
        if self._connections.pop(conn.sock.fileno(), None) is not None:
            self._forget_source(conn)
        try:
            self._selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()
        if not self._accepting and not self._closed:
            self._selector.register(self._listener, selectors.EVENT_READ, None)
            self._accepting = True

    # --- the loop ------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._closed:
                for key, mask in self._selector.select(self._next_timeout()):
                    if self._closed:
                        break
                    if key.fileobj is self._listener:
                        self._accept()
                    elif key.fileobj is self._wake_r:
                        self._drain_wake()
                    elif mask & selectors.EVENT_WRITE:
                        self._handler.writable(self, key.data)
                    else:
                        self._handler.readable(self, key.data)
                self._handler.round_done(self)
                self._expire()
        except Exception:  # a bug here must not leave sockets behind
            self._log.exception("server loop failed")
        finally:
            self._cleanup()

    def _deadline_moved(self, when: float) -> None:
        if when < self._scan_at:
            self._scan_at = when

    def _next_timeout(self) -> Optional[float]:
        # O(1) per turn: the earliest deadline is kept up to date (not found by
        # looking at every connection, which made each event cost more with
        # every open connection)
        deadlines = [] if self._scan_at == math.inf else [self._scan_at]
        if not self._accepting and self._evict_after is not None and self._connections:
            # at the cap: wake when the oldest connection may make room
            deadlines.append(
                min(c.opened for c in self._connections.values()) + self._evict_after
            )
        if not deadlines:
            return None  # sleep until a client or close()
        return max(0.0, min(deadlines) - time.monotonic())

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(512):
                pass
        except OSError:  # BlockingIOError: drained
            pass

    def _victim(self, source: Optional[str], spare: Optional[C] = None) -> Optional[C]:
        """The oldest evictable connection open ``evict_after`` seconds (from ``source``)."""
        if self._evict_after is None:
            return None
        ripe = time.monotonic() - self._evict_after
        best: Optional[C] = None
        for conn in self._connections.values():
            if (
                conn is not spare
                and conn.opened <= ripe
                and (source is None or conn.source == source)
                and (best is None or conn.opened < best.opened)
                and self._handler.evictable(conn)
            ):
                best = conn
        return best

    def _evict(self, conn: C) -> None:
        self.evictions += 1
        self._log.debug("%s evicted to make room (open %.1f s)", conn.peer,
                        time.monotonic() - conn.opened)
        self._handler.evicted(self, conn)
        if conn.sock.fileno() >= 0:  # the handler kept it: close it anyway
            self.finish(conn)

    def _forget_source(self, conn: C) -> None:
        left = self._per_source.get(conn.source, 1) - 1
        if left > 0:
            self._per_source[conn.source] = left
        else:
            self._per_source.pop(conn.source, None)

    def _accept(self) -> None:
        while True:
            if len(self._connections) >= self._max_connections:
                victim = self._victim(None)
                if victim is None:
                    break
                self._evict(victim)
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. ECONNABORTED, EMFILE: again on the next event
                self._log.warning("accept failed: %s", exc.strerror or exc)
                return
            sock.setblocking(False)
            conn = self._handler.accepted(sock, peer_name(address))
            conn.source = str(address[0]) if isinstance(address, tuple) else str(address)
            self._connections[sock.fileno()] = conn
            conn._deadline_moved = self._deadline_moved
            if conn.deadline is not None:
                self._deadline_moved(conn.deadline)
            self._per_source[conn.source] = self._per_source.get(conn.source, 0) + 1
            self._selector.register(sock, selectors.EVENT_READ, conn)
            if (
                self._max_per_source is not None
                and self._per_source[conn.source] > self._max_per_source
            ):
                victim = self._victim(conn.source, spare=conn)
                if victim is not None:
                    self._evict(victim)
        if self._accepting:  # at the cap: leave the rest in the backlog
            self._log.debug("connection cap (%d) reached", self._max_connections)
            self._selector.unregister(self._listener)
            self._accepting = False

    def _expire(self) -> None:
        if not self._accepting and not self._closed and self._victim(None) is not None:
            # at the cap, but a connection may now make room: watch for clients again
            self._selector.register(self._listener, selectors.EVENT_READ, None)
            self._accepting = True
        now = time.monotonic()
        if now < self._scan_at:
            return
        self._scan_at = math.inf  # found again below; expired() may set new deadlines
        for conn in list(self._connections.values()):
            when = conn.deadline
            if when is None or conn.sock.fileno() not in self._connections:
                continue
            if when <= now:
                self._handler.expired(self, conn)
            elif when < self._scan_at:
                self._scan_at = when

    def _cleanup(self) -> None:
        self._closed = True
        for conn in list(self._connections.values()):
            self._handler.discarded(conn)
            self._connections.pop(conn.sock.fileno(), None)
            conn.sock.close()
        self._selector.close()
        self._listener.close()
        self._wake_r.close()
        self._wake_w.close()
