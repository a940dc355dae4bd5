"""TCP client transport: one connection per request, bounded by one total deadline."""

from __future__ import annotations

import functools
import logging
import math
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
#: ``release(sock, ended)``: takes a used socket (see :func:`send_request`).
Releaser = Callable[[socket.socket, bool], object]

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
    release: Optional[Releaser] = None,
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
    :param release: ``release(sock, ended)`` takes the socket once the exchange
        is over and closes it itself, e.g. later, when the close is not in
        anyone's way; ``ended`` is true when the peer's close had arrived
        by the end of the reply (read to it, or found after a whole reply)
    :returns: the reply bytes (possibly empty when the peer closed silently)
    :raises CloudConnectionError: refused, reset, unreachable, unknown host
    :raises CloudTimeoutError: no connection or no reply byte before the deadline
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
    deadline = time.monotonic() + timeout
    try:
        if connect is not None:
            sock = connect((host, port), timeout)
        else:
            sock = connect_tcp((host, port), timeout)
    except (socket.timeout, TimeoutError) as exc:
        raise CloudTimeoutError(
            f"no connection to {host}:{port} within {timeout:g} s"
        ) from exc
    except OSError as exc:
        raise CloudConnectionError(f"cannot connect to {host}:{port}: {exc}") from exc
    ended = False
    try:
        data, ended = _exchange(
            sock, payload, deadline, is_complete, half_close, after_send, release is not None
        )
        return data
    except (socket.timeout, TimeoutError) as exc:
        raise CloudTimeoutError(f"no reply from {host}:{port} within {timeout:g} s") from exc
    except _Partial as partial:
        logger.debug("reply from %s:%s incomplete at the deadline (%d bytes)",
                     host, port, len(partial.data))
        return partial.data
    except OSError as exc:
        raise CloudConnectionError(f"connection to {host}:{port} failed: {exc}") from exc
    finally:
        if release is None:
            sock.close()
        else:
            release(sock, ended)


class _Partial(Exception):
    """The deadline passed after some reply bytes arrived: they are the reply."""

    def __init__(self, data: bytes) -> None:
        super().__init__(len(data))
        self.data = data


#: how far one socket operation may outlast the deadline before its timeout is
#: set again: each ``settimeout`` is a syscall, and most sends need none.
_SLACK = 0.01


def _tighten(sock: socket.socket, deadline: float, current: float) -> float:
    """Keep the socket's timeout within ``_SLACK`` of the deadline.

    :param current: the timeout in force (``inf`` for a blocking socket)
    :returns: the timeout in force now
    :raises socket.timeout: the deadline has passed
    """
    left = deadline - time.monotonic()
    if left <= 0:
        raise socket.timeout("deadline passed")
    if left < current - _SLACK:
        sock.settimeout(left)
        return left
    return current


# Python's socket methods poll() before each send() and recv() on a socket with
# a timeout, even when the call cannot block. Two places where it cannot: the
# first write on a socket just connected (its send buffer is empty), and the
# read after a reply chunk, when the rest or the close usually came with it.
# There the file descriptor is used directly: a send costs the syscalls of a
# bare ``sendall``/``recv`` loop plus the half-close, not two more poll() calls.
_DIRECT_FD = os.name == "posix"
#: Linux's "more data follows" send flag (0 where there is none)
_MSG_MORE: int = getattr(socket, "MSG_MORE", 0)


def _closed_already(fd: int) -> bool:
    """Whether the peer's close has arrived after a whole reply (one non-blocking read).

    Then whoever holds the socket may close it later, out of the way: the
    peer waits for nothing from us.
    """
    try:
        return os.read(fd, 1) == b""
    except OSError:  # BlockingIOError: not yet (or reset: close at once)
        return False


def _exchange(
    sock: socket.socket,
    payload: bytes,
    deadline: float,
    is_complete: Optional[CompletionCheck],
    half_close: bool,
    after_send: Optional[Callable[[], object]] = None,
    look_for_close: bool = False,
) -> tuple[bytes, bool]:
    """Write ``payload``, read the reply (see :func:`send_request`).

    :param look_for_close: after a whole reply, find out whether the peer's close
        came with it (one non-blocking read)
    :returns: the reply, and whether the peer's close had arrived
    :raises _Partial: the deadline passed with part of a reply
    :raises socket.timeout: the deadline passed with none
    :raises OSError: the connection failed
    """
    current = sock.gettimeout()  # a connector may hand over a blocking socket
    in_force = _tighten(sock, deadline, math.inf if not current or current < 0 else current)
    fd = sock.fileno()
    if half_close and _MSG_MORE:
        # held back until the shutdown, which sends it with the FIN: one
        # segment instead of two (on loopback each costs this process the
        # kernel's work on both ends)
        sock.sendall(payload, _MSG_MORE)
    else:
        sent = 0
        if _DIRECT_FD:  # the first write without the poll() in front
            try:
                sent = os.write(fd, payload)
            except BlockingIOError:
                sent = 0
        if sent < len(payload):
            sock.sendall(memoryview(payload)[sent:])
    if half_close:
        sock.shutdown(socket.SHUT_WR)
    if after_send is not None:
        started = time.monotonic()
        after_send()
        # The caller's own work is not the server's delay: a reply that
        # came in meanwhile must not be reported as a timeout.
        deadline += time.monotonic() - started
    data = b""
    try:
        in_force = _tighten(sock, deadline, in_force)
        chunk: Optional[bytes] = sock.recv(_RECV_SIZE)
        while chunk:
            data += chunk
            if is_complete is not None and is_complete(data, False):
                # (only asked when someone takes the socket: else it is closed now)
                return data, look_for_close and _DIRECT_FD and _closed_already(fd)
            chunk = None
            if _DIRECT_FD:  # more, or the close, often came with it
                try:
                    chunk = os.read(fd, _RECV_SIZE)
                except BlockingIOError:
                    pass
            if chunk is None:  # nothing yet: wait for it
                in_force = _tighten(sock, deadline, in_force)
                chunk = sock.recv(_RECV_SIZE)
        return data, True
    except (socket.timeout, TimeoutError):
        if data:
            raise _Partial(data) from None
        raise
