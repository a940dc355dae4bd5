"""Direct reads and writes on an AT port's file descriptor (for the AT channel).

When the port is a plain non-blocking descriptor (pyserial's POSIX ``Serial``
on a tty or pty, its ``socket://`` ports and so ``sim://``), the channel does
not hand every line from a reader thread to the caller: the thread that sends
a command reads the answer itself, and the watcher thread reads only between
commands. :class:`DirectIO` holds what both need: ``poll`` on the descriptor
with two pipes beside it (``wake`` gets the idle watcher out of its poll when
a command takes the port, ``stop`` ends every wait when the channel closes),
non-blocking reads, and writes bounded in time.

Other ports (``loop://``, ``rfc2217://``, VTIME ports, an opener's own port
objects) may buffer inside the object, so they keep the reader thread.
"""

from __future__ import annotations

import fcntl
import os
import select
import sys
import time
from typing import Optional

#: the port classes whose ``read`` is a bare ``os.read``/``recv`` on ``fileno()``
_DIRECT_MODULES = ("serial.serialposix", "serial.urlhandler.protocol_socket")
#: bytes asked for per read (a whole answer in one call, usually)
CHUNK = 4096
#: seconds a write may wait for the port to take the bytes
WRITE_TIMEOUT = 5.0

_POLL_IN = select.POLLIN | select.POLLPRI
#: the longest single poll() in milliseconds (its argument is a C int); callers loop
_MAX_POLL_MS = 60_000


def _ms(seconds: float) -> int:
    """A poll() timeout: rounded up (never a busy 0 for a short wait), at most a minute."""
    return min(_MAX_POLL_MS, max(0, int(seconds * 1000) + 1))


class StopRequested(Exception):
    """The channel is closing: stop waiting on the port."""


def port_fd(port: object) -> Optional[int]:
    """The descriptor to read ``port`` through directly, or None to keep the reader thread.

    Only pyserial's POSIX and socket ports qualify (their objects keep no bytes
    of their own), only while their descriptor is non-blocking, and only on
    Linux (macOS's ``poll`` does not work on ttys).
    """
    if not sys.platform.startswith("linux"):
        return None
    if not any(cls.__module__ in _DIRECT_MODULES for cls in type(port).__mro__):
        return None
    try:
        fd = port.fileno()  # type: ignore[attr-defined]
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    except (AttributeError, OSError, ValueError, TypeError):
        return None
    if not isinstance(fd, int) or fd < 0 or not flags & os.O_NONBLOCK:
        return None
    return fd


def _pipe() -> tuple[int, int]:
    r, w = os.pipe()
    for fd in (r, w):
        os.set_blocking(fd, False)
    return r, w


class DirectIO:
    """Poll, read and write one port descriptor; wake or stop whoever waits on it.

    The caller decides who may read when (the channel's lock); this class never
    reads from two threads at once by itself. :meth:`close` closes only the
    pipes, never the port's descriptor.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._wake_r, self._wake_w = _pipe()
        self._stop_r, self._stop_w = _pipe()
        # one poll object per thread that waits: a poll object is not shareable
        self._command_poll = select.poll()
        self._command_poll.register(fd, _POLL_IN)
        self._command_poll.register(self._stop_r, select.POLLIN)
        self._watch_poll = select.poll()
        self._watch_poll.register(fd, _POLL_IN)
        self._watch_poll.register(self._wake_r, select.POLLIN)
        self._watch_poll.register(self._stop_r, select.POLLIN)
        self._write_poll = select.poll()
        self._write_poll.register(fd, select.POLLOUT)
        self._write_poll.register(self._stop_r, select.POLLIN)
        self.closed = False

    # -- the command's thread ---------------------------------------------------

    def read(self, timeout: float) -> bytes:
        """Bytes that arrive within ``timeout`` seconds (b"" when none did).

        :raises StopRequested: :meth:`stop` was called
        :raises EOFError: the other end is gone
        :raises OSError: the port failed (e.g. EIO: the device was unplugged)
        """
        events = self._command_poll.poll(_ms(timeout))
        if not events:
            return b""
        for fd, _ in events:
            if fd == self._stop_r:
                raise StopRequested()
        return self.read_now(ready=True)

    def read_now(self, ready: bool = False) -> bytes:
        """What the port has ready, without waiting (b"" when nothing).

        :param ready: poll just said the descriptor is readable. A tty in raw
            mode answers an empty read with 0 bytes rather than EAGAIN, so only
            then do 0 bytes mean the other end is gone (as pyserial reads it).
        :raises EOFError: the other end is gone
        :raises OSError: the port failed
        """
        try:
            data = os.read(self.fd, CHUNK)
        except (BlockingIOError, InterruptedError):
            return b""
        if not data and ready:
            raise EOFError("end of file")
        return data

    def write(self, data: bytes, timeout: float = WRITE_TIMEOUT) -> None:
        """Write all of ``data``, waiting at most ``timeout`` for the port to take it.

        :raises StopRequested: :meth:`stop` was called while waiting
        :raises TimeoutError: the port took nothing for ``timeout`` seconds
        :raises OSError: the port failed
        """
        view = memoryview(data)
        deadline: Optional[float] = None
        while view:
            try:
                sent = os.write(self.fd, view)
            except (BlockingIOError, InterruptedError):
                sent = 0
            view = view[sent:]
            if not view:
                return
            now = time.monotonic()
            if deadline is None:
                deadline = now + timeout
            if now >= deadline:
                raise TimeoutError(f"the port took no data for {timeout:g} s")
            for fd, _ in self._write_poll.poll(_ms(deadline - now)):
                if fd == self._stop_r:
                    raise StopRequested()

    # -- the watcher thread ----------------------------------------------------------

    def wait(self) -> tuple[bool, bool]:
        """Block until the port has bytes, a wake-up or a stop (no timeout: idle is free).

        :returns: ``(readable, stop)``; a wake-up is left for :meth:`drain_wake`
        """
        readable = stop = False
        for fd, _ in self._watch_poll.poll():
            if fd == self._stop_r:
                stop = True
            elif fd == self.fd:
                readable = True
        return readable, stop

    def drain_wake(self) -> None:
        """Empty the wake-up pipe (the watcher, once it saw the wake-up)."""
        try:
            while os.read(self._wake_r, 64):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    # -- any thread -------------------------------------------------------------------

    def wake(self) -> None:
        """Get the watcher out of :meth:`wait` (a command is taking the port)."""
        try:
            os.write(self._wake_w, b"w")
        except (BlockingIOError, OSError):  # full: a wake-up is pending anyway
            pass

    def stop(self) -> None:
        """End every wait on the port, now and later (the pipe is never drained)."""
        try:
            os.write(self._stop_w, b"s")
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
        """Close the pipes (not the port); idempotent."""
        if self.closed:
            return
        self.closed = True
        for fd in (self._wake_r, self._wake_w, self._stop_r, self._stop_w):
            try:
                os.close(fd)
            except OSError:
                pass
