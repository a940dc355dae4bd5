"""Shared helpers for the emulator tests: read a pty or port until an expected tail."""

from __future__ import annotations

import re
import time

_CM_ERROR = re.compile(rb"\r\n\+CM[ES] ERROR: [^\r\n]*\r\n$")

FINALS = (b"\r\nOK\r\n", b"ERROR\r\n", b"\r\nNO CARRIER\r\n", b"\r\nBUSY\r\n",
          b"\r\nNO ANSWER\r\n", b"\r\nNO DIALTONE\r\n", b"> ", b"\r\n@")


def read_until(port, tails=FINALS, timeout=3.0) -> bytes:
    """Read from a pyserial-like port until the data ends with one of ``tails``."""
    if isinstance(tails, bytes):
        tails = (tails,)
    elif tails is not FINALS:
        tails = tuple(tails)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = port.read(max(1, port.in_waiting))
        out += chunk
        if any(out.endswith(t) for t in tails):
            return out
        if tails is FINALS and _CM_ERROR.search(out):
            return out
    raise AssertionError(f"no {tails!r} within {timeout} s; got {out!r}")


def command(port, line: bytes, tails=FINALS, timeout=3.0) -> bytes:
    port.write(line + b"\r")
    return read_until(port, tails, timeout)


class PeerServer:
    """A real TCP server on 127.0.0.1 (a test double for the far end of a modem socket).

    It accepts one connection in a thread; the test then reads and writes through
    ``recv_exactly``/``send``/``close_peer``. Close with ``close()``.
    """

    def __init__(self):
        import socket
        import threading

        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conn = None
        self._accepted = threading.Event()
        self._thread = threading.Thread(target=self._accept)
        self._thread.start()

    def _accept(self):
        self.listener.settimeout(5)
        try:
            self.conn, _ = self.listener.accept()
            self.conn.settimeout(5)
        except OSError:
            pass
        self._accepted.set()

    def connection(self):
        assert self._accepted.wait(5), "nobody connected"
        assert self.conn is not None
        return self.conn

    def recv_exactly(self, size):
        conn = self.connection()
        out = b""
        while len(out) < size:
            chunk = conn.recv(size - len(out))
            if not chunk:
                break
            out += chunk
        return out

    def send(self, data):
        self.connection().sendall(data)

    def close_peer(self):
        self.connection().close()

    def close(self):
        self._thread.join(6)
        if self.conn is not None:
            self.conn.close()
        self.listener.close()
