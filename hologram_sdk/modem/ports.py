"""Opening serial ports, and the registry of URL schemes that are not pyserial's.

:func:`open_port` opens a device path, any pyserial URL (``loop://``,
``socket://host:port``, ``rfc2217://``...) or a URL whose scheme someone
registered here. The library registers none itself: a stand-in such as the
modem emulator plugs its scheme in (``sim://``) without the library importing
it, in one of two ways:

* :func:`register_scheme` at run time (the emulator package does this when it
  is imported);
* an entry point in the group :data:`ENTRY_POINT_GROUP` (``name`` = the
  scheme, value = ``module:function``), loaded the first time a URL with that
  scheme is opened; so ``E303(deviceName='sim://e303')`` works in a program
  that never imports the emulator.

A scheme opener is called as ``opener(url, baudrate, read_timeout)`` and
returns a :class:`SerialLike` port.
"""

from __future__ import annotations

import errno
import threading
from typing import Any, Callable, Optional, Protocol

from hologram_sdk.base.errors import ConfigurationError, PortBusyError, SerialError

#: the entry-point group a distribution uses to provide a URL scheme
ENTRY_POINT_GROUP = "hologram_sdk.port_schemes"
#: seconds a write may block before the port gives up
WRITE_TIMEOUT = 5.0


class SerialLike(Protocol):
    """What the channel needs from a port (pyserial's ``Serial`` has it all)."""

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> Optional[int]: ...

    def close(self) -> None: ...


#: ``opener(url, baudrate, read_timeout) -> port``: how a channel opens its port,
#: and the signature of a registered scheme's opener
Opener = Callable[[str, int, float], SerialLike]

_lock = threading.Lock()
_schemes: dict[str, Opener] = {}
_no_entry_point: set[str] = set()


def register_scheme(scheme: str, opener: Opener) -> None:
    """Make :func:`open_port` open ``<scheme>://...`` URLs with ``opener``.

    Registering the same scheme again replaces its opener.

    :raises ConfigurationError: the scheme is not a lower-case URL scheme name
    """
    key = scheme.strip().lower()
    if not key or not key.replace("+", "").replace("-", "").replace(".", "").isalnum():
        raise ConfigurationError(f"not a URL scheme name: {scheme!r}")
    with _lock:
        _schemes[key] = opener


def registered_schemes() -> list[str]:
    """The schemes registered so far (entry points count once they were used)."""
    with _lock:
        return sorted(_schemes)


def scheme_opener(scheme: str) -> Optional[Opener]:
    """The opener for ``scheme``: registered, or found as an entry point; else None."""
    key = scheme.lower()
    with _lock:
        opener = _schemes.get(key)
        if opener is not None or key in _no_entry_point:
            return opener
    loaded = _load_entry_point(key)
    with _lock:
        if loaded is None:
            _no_entry_point.add(key)
            return _schemes.get(key)
        return _schemes.setdefault(key, loaded)


def _load_entry_point(scheme: str) -> Optional[Opener]:
    from importlib import metadata

    found: Any = metadata.entry_points()
    if hasattr(found, "select"):
        group = list(found.select(group=ENTRY_POINT_GROUP, name=scheme))
    else:  # Python 3.9: a dict of group -> entry points
        group = [e for e in found.get(ENTRY_POINT_GROUP, ()) if e.name == scheme]
    for entry in group:
        opener: Opener = entry.load()
        return opener
    return None


def busy_hint(device: str) -> str:
    """The message for a port another process holds."""
    return (
        f"{device} is held by another process (often ModemManager): stop it, or set "
        'ID_MM_DEVICE_IGNORE=1 for the modem in a udev rule (ENV{ID_MM_DEVICE_IGNORE}="1")'
    )


def open_port(url: str, baudrate: int = 9600, timeout: float = 0.2) -> SerialLike:
    """Open a device path, any pyserial URL, or a URL of a registered scheme.

    :param url: ``/dev/ttyUSB0``, ``loop://``, ``socket://host:port``, ``sim://e303``...
    :param baudrate: the serial speed
    :param timeout: the read timeout of the returned port
    :raises PortBusyError: another process holds the port
    :raises SerialError: the port cannot be opened
    :raises ConfigurationError: the URL is malformed or its scheme unknown
    """
    scheme, sep, _ = url.partition("://")
    if sep:
        opener = scheme_opener(scheme)
        if opener is not None:
            return opener(url, baudrate, timeout)
    import serial

    try:
        opened: SerialLike = serial.serial_for_url(
            url,
            baudrate=baudrate,
            timeout=timeout,
            write_timeout=WRITE_TIMEOUT,
            exclusive=None if sep else True,
        )
        return opened
    except serial.SerialException as exc:
        code = exc.errno if isinstance(exc.errno, int) else None
        text = str(exc)
        if code == errno.EBUSY or "exclusively lock" in text or "EBUSY" in text:
            raise PortBusyError(busy_hint(url)) from exc
        if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
            raise SerialError(f"no such serial port: {url}") from exc
        if code in (errno.EACCES, errno.EPERM):
            raise SerialError(
                f"permission denied opening {url}: add the user to the 'dialout' group"
            ) from exc
        raise SerialError(f"cannot open {url}: {text}") from exc
    except ValueError as exc:
        raise ConfigurationError(f"bad serial port or URL {url!r}: {exc}") from exc
