"""Loopback helpers: free ports, bounded waits, and small clients (plain and abusive).

``wait_for`` answers whether the condition came true in time (``assert wait_for(...)``);
``wait_until`` returns the first true value and fails the test itself on timeout.
"""

from __future__ import annotations

import resource
import socket
import struct
import time
from typing import Callable, TypeVar

import pytest

HOST = "127.0.0.1"
T = TypeVar("T")


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def closed_port() -> int:
    """A port that refuses connections (bound once, then released)."""
    return free_port()


def wait_for(predicate: Callable[[], object], timeout: float = 15.0,
             interval: float = 0.01) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; the
    last answer (a bool) is what counts, so ``assert wait_for(...)`` reads well."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def wait_until(predicate: Callable[[], T], timeout: float = 30.0, interval: float = 0.02,
               what: str = "condition") -> T:
    """Poll ``predicate`` until it returns something true, and return that;
    after ``timeout`` seconds fail the test, naming ``what`` it waited for."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def wait_for_port(port: int, timeout: float = 10.0, host: str = HOST) -> None:
    """Return once something accepts connections on ``host:port``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s") from None
            time.sleep(0.02)


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection((HOST, port), timeout=timeout)


def send_raw(port: int, payload: bytes, timeout: float = 5.0) -> None:
    """Connect, write ``payload``, close: one inbound message."""
    with connect(port, timeout) as sock:
        sock.sendall(payload)


def reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the peer gets RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def cut_by_peer(sock: socket.socket, timeout: float) -> bool:
    """Whether the peer closed (EOF or reset) within ``timeout`` seconds."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except (socket.timeout, TimeoutError):
        return False


def require_fds(needed: int) -> None:
    """Fail clearly (not with EMFILE halfway) when ``ulimit -n`` is too small."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        pytest.fail(f"this test needs {needed} file descriptors; ulimit -n is {soft}")
