"""The serving thread: a selector, the pty or socketpair link and a timed output queue."""

from __future__ import annotations

import logging
import os
import selectors
import threading
import time
from typing import Optional

from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.state import EmulatorState

logger = logging.getLogger(__name__)


class Transport(EmulatorState):
    """Moves bytes between the link and the command-line state machine."""

    def _check_startable(self) -> None:
        if self._closed:
            raise ConfigurationError("this modem emulator is closed")
        if self._thread is not None:
            raise ConfigurationError("this modem emulator is already serving a link")

    def _start_thread(self, link_fd: int, *, is_socket: bool) -> None:
        self._link_fd = link_fd
        self._link_is_socket = is_socket
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, ("wake", -1))
        self._sel.register(link_fd, selectors.EVENT_READ, ("link", -1))
        self._thread = threading.Thread(
            target=self._serve, name=f"modem-emulator-{self.profile.name}", daemon=True
        )
        self._thread.start()

    def _wake(self) -> None:
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
                    if self._unplugged:
                        self._drop_link()
                        self._close_sockets()
                        self._unplug_done.set()
                        return
                    timeout = self._next_timeout()
                events = self._sel.select(timeout)
                with self._lock:
                    for key, mask in events:
                        self._dispatch(key.data, mask)
                    self._tick()
                    self._flush()
        except Exception:  # pragma: no cover - a bug; keep the traceback visible
            logger.exception("modem emulator thread failed")
        finally:
            self._unplug_done.set()

    def _next_timeout(self) -> Optional[float]:
        now = time.monotonic()
        deadlines = []
        if self._outq and not self._write_blocked:
            deadlines.append(self._outq[0][0])
        if self._esc_deadline is not None:
            deadlines.append(self._esc_deadline)
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - now)

    def _dispatch(self, data: tuple[str, int], mask: int) -> None:
        kind, sid = data
        if kind == "wake":
            assert self._wake_r is not None
            try:
                while os.read(self._wake_r, 512):
                    pass
            except BlockingIOError:
                pass
        elif kind == "link":
            if mask & selectors.EVENT_WRITE:
                self._write_blocked = False
                assert self._link_fd is not None
                self._sel.modify(self._link_fd, selectors.EVENT_READ, ("link", -1))
            if mask & selectors.EVENT_READ:
                self._read_link()
        elif kind == "listen":
            self._accept(sid)
        elif kind == "sock":
            self._socket_readable(sid)

    def _read_link(self) -> None:
        assert self._link_fd is not None
        try:
            data = os.read(self._link_fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the port's other end is gone: stop listening to it
            self._sel.unregister(self._link_fd)
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
                self._sel.modify(
                    fd, selectors.EVENT_READ | selectors.EVENT_WRITE, ("link", -1)
                )
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

    def _send(self, data: bytes, delay: float = 0.0) -> None:
        if not data:
            return
        due = max(time.monotonic() + delay, self._last_due)
        self._last_due = due
        self._outq.append((due, data))
