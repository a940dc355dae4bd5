"""Raw-socket helpers for the local cloud tests."""

from __future__ import annotations

import socket
import time

SEED = b'"s":"1d3g","c":"5a7b"'


def exchange(port, data, *, half_close=False, timeout=5.0, host="127.0.0.1"):
    """Write ``data``, optionally half-close, and read the reply until the server closes."""
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        reply = b""
        while True:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            reply += chunk
    return reply


def message(body: bytes, terminator: bytes = b"\r\r") -> bytes:
    return b"{" + body + b"}" + terminator
