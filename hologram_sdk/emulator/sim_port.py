"""``sim://<profile>``: a pyserial port whose other end is an in-process :class:`ModemEmulator`.

:class:`SimPort` is pyserial's own ``socket://`` URL handler
(``serial.urlhandler.protocol_socket.Serial``) opened on one end of a
socketpair the emulator serves instead of a TCP connection: ``read``,
``write``, ``readline``, ``read_until``, the timeouts and the errors are
pyserial's. What differs: ``open`` (the socketpair, and a new emulator when
the port was opened by URL), ``close`` (no reconnect pause; closes an owned
emulator), ``in_waiting`` (the exact byte count); the URL is the emulator's to read.

:func:`open_sim_port` opens one by URL (``sim://bg96?rssi=5``: query values
become :class:`ModemEmulator` keywords); the ``sim`` scheme of
:func:`hologram_sdk.modem.ports.open_port` comes here.
"""

from __future__ import annotations

import fcntl
import socket
import struct
import termios
import urllib.parse
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

    _socket: Optional[socket.socket]

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
        if not self.is_open or self._socket is None:
            raise PortNotOpenError()
        buf = fcntl.ioctl(self._socket.fileno(), termios.FIONREAD, struct.pack("i", 0))
        return int(struct.unpack("i", buf)[0])


_INT_OPTIONS = ("rssi", "ber")
#: pyserial settings that mean nothing to an in-process port; open_sim_port drops them
_SERIAL_SETTINGS = frozenset(
    {"baudrate", "bytesize", "parity", "stopbits", "xonxoff", "rtscts", "dsrdtr",
     "exclusive", "inter_byte_timeout", "do_not_open"}
)


def emulator_for_url(url: str, **kwargs: Any) -> ModemEmulator:
    """A new emulator for ``sim://<profile>?<option>=<value>&...`` (or a bare profile name).

    Query values become constructor keywords (``rssi``/``ber`` as numbers).

    :raises ConfigurationError: not a sim:// URL, an unknown profile or option
    """
    name = url
    if "://" in url:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "sim":
            raise ConfigurationError(f"not a sim:// URL: {url!r}")
        name = parts.netloc or parts.path.lstrip("/")
        for key, value in urllib.parse.parse_qsl(parts.query):
            if key in _INT_OPTIONS or key == "escape_guard":
                try:
                    kwargs.setdefault(key, float(value) if key == "escape_guard" else int(value))
                except ValueError:
                    raise ConfigurationError(f"{key} must be a number, not {value!r}") from None
            else:
                kwargs.setdefault(key, value)
    from hologram_sdk.emulator.modem import ModemEmulator

    try:
        return ModemEmulator(name or "e303", **kwargs)
    except TypeError as exc:
        raise ConfigurationError(f"bad sim:// option: {exc}") from None


def open_sim_port(
    profile: str = "e303",
    *,
    timeout: Optional[float] = None,
    write_timeout: Optional[float] = None,
    **kwargs: Any,
) -> SimPort:
    """Open an in-process emulated modem as a pyserial port (for ``sim://`` URLs).

    ``profile`` may be a bare name (``"e303"``) or a URL such as
    ``"sim://iota?sim=absent&rssi=5"``; query values become constructor keywords.
    The port owns its emulator: closing the port closes it; ``port.emulator``
    gives the tests' controls.

    :raises ConfigurationError: an unknown profile or option
    """
    for key in _SERIAL_SETTINGS & set(kwargs):
        del kwargs[key]
    emulator = emulator_for_url(profile, **kwargs)
    try:
        return SimPort(
            f"sim://{emulator.profile.name}",
            emulator=emulator,
            owns_emulator=True,
            timeout=timeout,
            write_timeout=write_timeout,
        )
    except BaseException:
        emulator.close()
        raise
