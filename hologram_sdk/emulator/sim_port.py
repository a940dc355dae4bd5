"""A pyserial-like port joined to a ModemEmulator by a socketpair (``open_port()``)."""

from __future__ import annotations

import fcntl
import select
import socket
import struct
import termios
import time
from typing import TYPE_CHECKING, Optional

import serial

if TYPE_CHECKING:
    from hologram_sdk.emulator.modem import ModemEmulator


class SimPort:
    """A pyserial-like port joined to a :class:`ModemEmulator` by a socketpair.

    Supports what AT clients use from ``serial.Serial``: ``read``, ``read_until``,
    ``readline``, ``write``, ``flush``, ``in_waiting``, ``timeout``,
    ``write_timeout``, ``reset_input_buffer``, ``reset_output_buffer``,
    ``fileno``, ``is_open``, ``close`` and the context manager. Errors are
    ``serial.SerialException``, as pyserial raises them.

    :param emulator: the emulator behind the port (``.emulator``)
    :param owns_emulator: close the emulator when the port closes
    """

    def __init__(
        self,
        emulator: ModemEmulator,
        sock: socket.socket,
        *,
        timeout: Optional[float] = None,
        write_timeout: Optional[float] = None,
        owns_emulator: bool = False,
    ) -> None:
        self.emulator = emulator
        sock.setblocking(False)  # never changed again: safe for a reader and a writer thread
        self._sock = sock
        self.timeout = timeout
        self.write_timeout = write_timeout
        self._owns = owns_emulator
        self.is_open = True
        self.port = f"sim://{emulator.profile.name}"
        self.name = self.port
        self.baudrate = 9600
        #: accepted and ignored, as on a pty
        self.dtr = True
        self.rts = True

    def _check(self) -> socket.socket:
        if not self.is_open:
            raise serial.PortNotOpenError()
        return self._sock

    @property
    def in_waiting(self) -> int:
        """Bytes ready to read now."""
        sock = self._check()
        buf = fcntl.ioctl(sock.fileno(), termios.FIONREAD, struct.pack("i", 0))
        return int(struct.unpack("i", buf)[0])

    def fileno(self) -> int:
        """The file descriptor (readable when data is waiting)."""
        return self._check().fileno()

    def _wait(self, events: int, deadline: Optional[float]) -> bool:
        poller = select.poll()
        poller.register(self._sock.fileno(), events)
        wait = None if deadline is None else max(0.0, deadline - time.monotonic()) * 1000
        return bool(poller.poll(wait))

    def read(self, size: int = 1) -> bytes:
        """Read up to ``size`` bytes, waiting at most ``timeout`` (None = forever).

        :raises serial.SerialException: the emulated modem was unplugged
        """
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        return self._read(size, deadline)

    def _read(self, size: int, deadline: Optional[float]) -> bytes:
        sock = self._check()
        out = bytearray()
        while len(out) < size:
            if not self._wait(select.POLLIN, deadline):
                break
            try:
                chunk = sock.recv(size - len(out))
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as exc:
                raise serial.SerialException(f"read failed: {exc}") from exc
            if not chunk:
                raise serial.SerialException(
                    "device reports readiness to read but returned no data "
                    "(device disconnected or multiple access on port?)"
                )
            out += chunk
        return bytes(out)

    def read_until(self, expected: bytes = b"\n", size: Optional[int] = None) -> bytes:
        """Read until ``expected``, ``size`` bytes or the timeout."""
        out = bytearray()
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while size is None or len(out) < size:
            chunk = self._read(1, deadline)
            if not chunk:
                break
            out += chunk
            if out.endswith(expected):
                break
        return bytes(out)

    def readline(self, size: Optional[int] = None) -> bytes:
        """Read one ``\\n``-terminated line (or less on timeout)."""
        return self.read_until(b"\n", size)

    def write(self, data: bytes) -> int:
        """Send bytes to the modem.

        :raises serial.SerialException: the emulated modem was unplugged
        :raises serial.SerialTimeoutException: not sent within ``write_timeout``
        """
        sock = self._check()
        view = memoryview(bytes(data))
        deadline = None if self.write_timeout is None else time.monotonic() + self.write_timeout
        while view:
            if not self._wait(select.POLLOUT, deadline):
                raise serial.SerialTimeoutException("Write timeout")
            try:
                sent = sock.send(view)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as exc:
                raise serial.SerialException(f"write failed: {exc}") from exc
            view = view[sent:]
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered on this side."""

    def reset_input_buffer(self) -> None:
        """Discard bytes waiting to be read."""
        sock = self._check()
        try:
            while sock.recv(4096):
                pass
        except OSError:
            pass

    def reset_output_buffer(self) -> None:
        """Nothing is buffered on this side."""

    def close(self) -> None:
        """Close the port (and the emulator when this port owns it). Idempotent."""
        if self.is_open:
            self.is_open = False
            self._sock.close()
        if self._owns:
            self.emulator.close()

    def __enter__(self) -> SimPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
