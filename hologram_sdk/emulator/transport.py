"""The emulator's I/O: one serving thread, a selector, the link to the client, an output queue.

The link is a pty master (``start_pty``) or one end of a socketpair
(``start_socket``, for :class:`~hologram_sdk.emulator.sim_port.SimPort`).
Other objects watch their own sockets here (the bridged TCP sockets) with a
callback. Without a thread (``feed`` mode) :meth:`Link.poll` and
:meth:`Link.drain` do the same work in the caller's thread.
"""

from __future__ import annotations

import collections
import logging
import os
import selectors
import socket
import termios
import threading
import time
import tty
from typing import Callable, Optional

from hologram_sdk.base.errors import ConfigurationError

logger = logging.getLogger(__name__)

Callback = Callable[[], None]
#: called with the selector's event mask when a watched file is ready
Watcher = Callable[[int], None]


class Link:
    """Moves bytes between the client and ``receive``; runs the callbacks of watched sockets.

    :param lock: held while anything runs (shared with the emulator's public methods)
    :param name: names the thread
    :param receive: gets every chunk the client writes
    :param tick: called after every wake-up (timers)
    :param deadline: the next monotonic time ``tick`` must run at, or None
    :param on_unplug: called in the serving thread when the modem is unplugged
    """

    def __init__(
        self,
        lock: threading.RLock,
        name: str,
        receive: Callable[[bytes], None],
        tick: Callback,
        deadline: Callable[[], Optional[float]],
        on_unplug: Callback,
    ) -> None:
        self._lock = lock
        self._name = name
        self._receive = receive
        self._tick = tick
        self._deadline = deadline
        self._on_unplug = on_unplug
        self._sel = selectors.DefaultSelector()
        self._outq: collections.deque[tuple[float, bytes]] = collections.deque()
        self._last_due = 0.0
        self._link_fd: Optional[int] = None
        self._link_sock: Optional[socket.socket] = None
        self._write_blocked = False
        self._slave_fd: Optional[int] = None
        self.device: Optional[str] = None
        self._thread: Optional[threading.Thread] = None
        self._wake_r: Optional[int] = None
        self._wake_w: Optional[int] = None
        self._stopping = False
        self.closed = False
        self.unplugged = False
        self._unplug_done = threading.Event()

    @property
    def serving(self) -> bool:
        """A thread serves (or served) a link."""
        return self._thread is not None

    # --- watched sockets --------------------------------------------------------

    def watch(self, fileobj: socket.socket, callback: Watcher) -> None:
        """Call ``callback`` whenever ``fileobj`` is readable."""
        self._sel.register(fileobj, selectors.EVENT_READ, callback)

    def unwatch(self, fileobj: socket.socket) -> None:
        try:
            self._sel.unregister(fileobj)
        except (KeyError, ValueError):
            pass

    # --- output -----------------------------------------------------------------

    def queue(self, data: bytes, delay: float = 0.0) -> None:
        """Send ``data`` to the client ``delay`` seconds from now, after what is queued."""
        if not data:
            return
        due = max(time.monotonic() + delay, self._last_due)
        self._last_due = due
        self._outq.append((due, data))

    def drain(self) -> bytes:
        """Everything queued (feed mode: no link, no delays)."""
        out = b"".join(chunk for _due, chunk in self._outq)
        self._outq.clear()
        return out

    # --- starting ---------------------------------------------------------------

    def _check_startable(self) -> None:
        if self.closed:
            raise ConfigurationError("this modem emulator is closed")
        if self._thread is not None:
            raise ConfigurationError("this modem emulator is already serving a link")

    def start_pty(self) -> str:
        """Open a raw pseudo-terminal and serve its master; returns the slave path.

        :raises ConfigurationError: already started or closed
        """
        self._check_startable()
        master, slave = os.openpty()
        try:
            tty.setraw(slave, termios.TCSANOW)
            os.set_blocking(master, False)
            device = os.ttyname(slave)
        except OSError:
            os.close(master)
            os.close(slave)
            raise
        self._slave_fd = slave
        self.device = device
        self._start_thread(master)
        return device

    def start_socket(self) -> socket.socket:
        """Serve one end of a new socketpair; returns the client's end.

        :raises ConfigurationError: already started or closed
        """
        self._check_startable()
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        self._link_sock = ours
        self._start_thread(ours.fileno())
        return theirs

    def _start_thread(self, link_fd: int) -> None:
        self._link_fd = link_fd
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, self._drain_wake)
        self._sel.register(link_fd, selectors.EVENT_READ, self._link_event)
        self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
        self._thread.start()

    # --- the serving thread -------------------------------------------------------

    def wake(self) -> None:
        """Make the serving thread look at the queue and the timers now."""
        fd = self._wake_w
        if fd is not None:
            try:
                os.write(fd, b"x")
            except OSError:  # full (already awake) or closed
                pass

    def _serve(self) -> None:
        try:
            while True:
                with self._lock:
                    if self._stopping:
                        return
                    if self.unplugged:
                        self._drop_link()
                        self._on_unplug()
                        self._unplug_done.set()
                        return
                    timeout = self._next_timeout()
                events = self._sel.select(timeout)
                with self._lock:
                    for key, mask in events:
                        key.data(mask)
                    self._tick()
                    self._flush()
        except Exception:  # pragma: no cover - a bug; keep the traceback visible
            logger.exception("modem emulator thread failed")
        finally:
            self._unplug_done.set()

    def poll(self) -> None:
        """Feed mode: run the callbacks of the sockets readable now."""
        for key, _mask in self._sel.select(0):
            key.data(selectors.EVENT_READ)

    def _next_timeout(self) -> Optional[float]:
        now = time.monotonic()
        deadlines = []
        if self._outq and not self._write_blocked:
            deadlines.append(self._outq[0][0])
        deadline = self._deadline()
        if deadline is not None:
            deadlines.append(deadline)
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - now)

    def _drain_wake(self, mask: int) -> None:
        assert self._wake_r is not None
        try:
            while os.read(self._wake_r, 512):
                pass
        except BlockingIOError:
            pass

    def _link_event(self, mask: int) -> None:
        if mask & selectors.EVENT_WRITE:
            self._write_blocked = False
            assert self._link_fd is not None
            self._sel.modify(self._link_fd, selectors.EVENT_READ, self._link_event)
        if mask & selectors.EVENT_READ:
            self._read_link()

    def _read_link(self) -> None:
        assert self._link_fd is not None
        try:
            data = os.read(self._link_fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the port's other end is gone: stop listening to it
            self._drop_link()
            return
        self._receive(data)

    def _flush(self) -> None:
        fd = self._link_fd
        if fd is None:
            self._outq.clear()
            return
        now = time.monotonic()
        while self._outq and self._outq[0][0] <= now:
            due, chunk = self._outq.popleft()
            try:
                n = os.write(fd, chunk)
            except BlockingIOError:
                n = 0
            except OSError:
                self._outq.clear()
                return
            if n < len(chunk):
                self._outq.appendleft((due, chunk[n:]))
                self._write_blocked = True
                self._sel.modify(fd, selectors.EVENT_READ | selectors.EVENT_WRITE, self._link_event)
                return

    def _drop_link(self) -> None:
        fd = self._link_fd
        if fd is not None:
            try:
                self._sel.unregister(fd)
            except (KeyError, ValueError):
                pass
            if self._link_sock is not None:
                self._link_sock.close()
                self._link_sock = None
            else:
                os.close(fd)
            self._link_fd = None
        if self._slave_fd is not None:
            os.close(self._slave_fd)
            self._slave_fd = None

    # --- ending -------------------------------------------------------------------

    def unplug(self) -> None:
        """The modem vanishes: the link closes (in the serving thread when there is one).

        Idempotent; waits (without the lock) until the serving thread has let go.
        """
        with self._lock:
            if self.unplugged:
                return
            self.unplugged = True
            threaded = self._thread is not None and self._thread.is_alive()
            if not threaded:
                self._drop_link()
                self._on_unplug()
                return
        if self._thread is not threading.current_thread():
            self.wake()
            self._unplug_done.wait(5.0)

    def close(self) -> None:
        """Stop the thread and close the link, the wake pipe and the selector. Idempotent.

        Called without the lock held.
        """
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self._stopping = True
            thread = self._thread
        self.wake()
        if thread is not None and thread is not threading.current_thread():
            thread.join(10.0)
        with self._lock:
            self._drop_link()
            for fd in (self._wake_r, self._wake_w):
                if fd is not None:
                    os.close(fd)
            self._wake_r = self._wake_w = None
            self._sel.close()
