"""``sim://<profile>``: a pyserial port whose other end is an in-process :class:`ModemEmulator`.

:class:`SimPort` is pyserial's own ``socket://`` URL handler
(``serial.urlhandler.protocol_socket.Serial``) opened on one end of a
socketpair the emulator serves instead of a TCP connection: ``read``,
``write``, ``readline``, ``read_until``, the timeouts and the errors are
pyserial's. What differs: ``open`` (the socketpair, and a new emulator when
the port was opened by URL), ``close`` (no reconnect pause; closes an owned
emulator), ``in_waiting`` (the exact byte count); the URL is the emulator's to read.
"""

from __future__ import annotations

import fcntl
import struct
import termios
from typing import TYPE_CHECKING, Any, Optional

from serial import PortNotOpenError, SerialException
from serial.urlhandler import protocol_socket

from hologram_sdk.base.errors import ConfigurationError

if TYPE_CHECKING:
    from hologram_sdk.emulator.modem import ModemEmulator


class SimPort(protocol_socket.Serial):
    """A pyserial port on an emulated modem (``port.emulator`` gives the tests' controls).

    :param port: ``sim://<profile>[?option=value&...]``
    :param emulator: the emulator to attach to; None: a new one from the URL,
        owned by the port
    :param owns_emulator: close the emulator when the port closes
    :param kwargs: pyserial's settings (``timeout``, ``write_timeout``...)
    """

    def __init__(
        self,
        port: Optional[str] = None,
        *,
        emulator: Optional[ModemEmulator] = None,
        owns_emulator: bool = False,
        **kwargs: Any,
    ) -> None:
        self.emulator = emulator
        self._owns = owns_emulator or emulator is None
        super().__init__(port, **kwargs)

    def open(self) -> None:
        """Attach to the emulator (a new one for the URL when none was given).

        :raises SerialException: no port configured, already open, or a bad sim:// URL
        :raises ConfigurationError: the emulator already serves another link
        """
        self.logger = None
        if self.port is None:
            raise SerialException("Port must be configured before it can be used.")
        if self.is_open:
            raise SerialException("Port is already open.")
        if self.emulator is None:
            from hologram_sdk.emulator.modem import emulator_for_url

            try:
                self.emulator = emulator_for_url(self.port)
            except ConfigurationError as exc:
                raise SerialException(f"Could not open port {self.port}: {exc}") from exc
        self._socket = self.emulator.attach()
        self._socket.setblocking(False)
        self.is_open = True

    def close(self) -> None:
        """Close the port (and the emulator when this port owns it). Idempotent."""
        if self.is_open:
            if self._socket is not None:
                self._socket.close()
                self._socket = None
            self.is_open = False
        if self._owns and self.emulator is not None:
            self.emulator.close()

    @property
    def in_waiting(self) -> int:
        """Bytes ready to read now."""
        if not self.is_open:
            raise PortNotOpenError()
        buf = fcntl.ioctl(self._socket.fileno(), termios.FIONREAD, struct.pack("i", 0))
        return int(struct.unpack("i", buf)[0])
