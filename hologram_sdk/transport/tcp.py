"""TCP client transport: one connection per request, bounded by one total deadline."""

from __future__ import annotations

import functools
import logging
import os
import socket
import time
from typing import Callable, Optional, Protocol

from hologram_sdk.base.errors import CloudConnectionError, CloudTimeoutError

logger = logging.getLogger(__name__)

#: ``is_complete(data, closed)``: whether ``data`` is a whole reply already.
CompletionCheck = Callable[[bytes, bool], bool]
#: ``connect((host, port), timeout)``: an open, connected socket (``socket.create_connection``).
Connector = Callable[[tuple[str, int], float], socket.socket]

_RECV_SIZE = 4096


@functools.lru_cache(maxsize=256)
def literal_family(host: str) -> Optional[int]:
    """The address family of an IP literal, or ``None`` for a host name.

    Remembered: each send asks, and a device talks to very few hosts.
    """
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except (OSError, ValueError):
            continue
        return family
    return None


def connect_tcp(address: tuple[str, int], timeout: float) -> socket.socket:
    """Like :func:`socket.create_connection`, minus the name lookup for IP literals.

    Every message opens a connection, so the lookup (and its IDNA encoding)
    is a measurable share of a send to ``127.0.0.1``; names still resolve.
    """
    host = address[0]
    family = literal_family(host)
    if family is None:
        return socket.create_connection(address, timeout)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(address)
    except BaseException:
        sock.close()
        raise
    return sock


class Transport(Protocol):
    """What a cloud calls to deliver one request (``send_request`` or a test double)."""

    def __call__(
        self,
        host: str,
        port: int,
        payload: bytes,
        timeout: float,
        is_complete: Optional[CompletionCheck] = None,
        *,
        half_close: bool = False,
    ) -> bytes: ...


def send_request(
    host: str,
    port: int,
    payload: bytes,
    timeout: float,
    is_complete: Optional[CompletionCheck] = None,
    *,
    half_close: bool = False,
    connect: Optional[Connector] = None,
    after_send: Optional[Callable[[], object]] = None,
    release: Optional[Callable[[socket.socket], object]] = None,
) -> bytes:
    """Send ``payload`` on a fresh TCP connection and return the reply.

    The reply is read until ``is_complete(data, False)`` says it is whole, the
    peer closes, or the deadline passes. ``timeout`` bounds the whole exchange
    (connect, write and reply), measured with :func:`time.monotonic`. When the
    deadline passes after *some* reply bytes arrived, those bytes are returned
    (the caller decides whether they make sense); with none, it is a timeout.
    The socket is always closed before this returns or raises (or handed to
    ``release``).

    :param host: server host name or address
    :param port: server port
    :param payload: the bytes to write (all of them, ``sendall``)
    :param timeout: seconds for the whole exchange (must be > 0)
    :param is_complete: reply framing; ``None`` reads until close or deadline
    :param half_close: shut down the write side after sending, so a server that
        reads until end of stream sees the end of the message
    :param connect: connector used instead of :func:`connect_tcp`
    :param after_send: called once the payload is written, before the reply is
        awaited (work that may overlap the server's, e.g. the next connect);
        the time it takes is added to the deadline
    :param release: takes the socket once the exchange is over and closes it
        itself, e.g. later, when the close is not in anyone's way
    :returns: the reply bytes (possibly empty when the peer closed silently)
    :raises CloudConnectionError: refused, reset, unreachable, unknown host
    :raises CloudTimeoutError: no connection or no reply byte before the deadline
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
    connector: Connector = connect if connect is not None else connect_tcp
    deadline = time.monotonic() + timeout
    where = f"{host}:{port}"
    try:
        sock = connector((host, port), timeout)
    except (socket.timeout, TimeoutError) as exc:
        raise CloudTimeoutError(f"no connection to {where} within {timeout:g} s") from exc
    except OSError as exc:
        raise CloudConnectionError(f"cannot connect to {where}: {exc}") from exc
    try:
        return _exchange(
            sock, payload, deadline, is_complete, half_close, where, timeout, after_send
        )
    finally:
        if release is None:
            sock.close()
        else:
            release(sock)


# Python's socket methods poll() before each send() and recv() on a socket with
# a timeout, even when the call cannot block. Two places where it cannot: the
# first write on a socket just connected (its send buffer is empty), and the
# read after a reply chunk, when the rest or the close usually came with it.
# There the file descriptor is used directly: a send costs the syscalls of a
# bare ``sendall``/``recv`` loop plus the half-close, not four more poll() calls.
_DIRECT_FD = os.name == "posix"


def _send_all(sock: socket.socket, payload: bytes) -> None:
    """``sock.sendall(payload)``, the first write without the poll() in front."""
    sent = 0
    if _DIRECT_FD:
        try:
            sent = os.write(sock.fileno(), payload)
        except BlockingIOError:
            sent = 0
        if sent == len(payload):
            return
    sock.sendall(memoryview(payload)[sent:])


def _read_ready(sock: socket.socket) -> Optional[bytes]:
    """What can be read now without waiting (``b''``: closed), or ``None``."""
    if not _DIRECT_FD:
        return None
    try:
        return os.read(sock.fileno(), _RECV_SIZE)
    except BlockingIOError:
        return None


#: how far one socket operation may outlast the deadline before its timeout is
#: set again: each ``settimeout`` is a syscall, and most sends need none.
_SLACK = 0.01


class _Deadline:
    """Keeps a socket's timeout within ``_SLACK`` of one total deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        current = sock.gettimeout()  # a connector may hand over a blocking socket
        self.current = float("inf") if current is None or current <= 0 else current

    def check(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("deadline passed")
        if left < self.current - _SLACK:
            self.sock.settimeout(left)
            self.current = left


def _exchange(
    sock: socket.socket,
    payload: bytes,
    deadline: float,
    is_complete: Optional[CompletionCheck],
    half_close: bool,
    where: str,
    timeout: float,
    after_send: Optional[Callable[[], object]] = None,
) -> bytes:
    data = b""
    clock = _Deadline(sock, deadline)
    try:
        clock.check()
        _send_all(sock, payload)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        if after_send is not None:
            started = time.monotonic()
            after_send()
            # The caller's own work is not the server's delay: a reply that
            # came in meanwhile must not be reported as a timeout.
            clock.deadline += time.monotonic() - started
        clock.check()
        chunk: Optional[bytes] = sock.recv(_RECV_SIZE)
        while chunk:
            data += chunk
            if is_complete is not None and is_complete(data, False):
                return data
            chunk = _read_ready(sock)
            if chunk is None:  # nothing yet: wait for it
                clock.check()
                chunk = sock.recv(_RECV_SIZE)
        return data
    except (socket.timeout, TimeoutError) as exc:
        if data:
            logger.debug("reply from %s incomplete at the deadline (%d bytes)", where, len(data))
            return data
        raise CloudTimeoutError(f"no reply from {where} within {timeout:g} s") from exc
    except OSError as exc:
        raise CloudConnectionError(f"connection to {where} failed: {exc}") from exc
