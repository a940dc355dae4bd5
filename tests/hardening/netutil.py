"""Helpers for the hardening tests: free ports, abusive clients, bounded waits."""

from __future__ import annotations

import resource
import socket
import struct
import time

import pytest

HOST = "127.0.0.1"


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection((HOST, port), timeout=timeout)


def send_and_close(port: int, payload: bytes, timeout: float = 5.0) -> None:
    with connect(port, timeout) as sock:
        sock.sendall(payload)


def reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the peer gets RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def wait_until(predicate, timeout: float, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


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
