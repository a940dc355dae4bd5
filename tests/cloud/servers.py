"""Real TCP servers on 127.0.0.1 for the cloud tests, and small socket helpers."""

from __future__ import annotations

import socket
import threading
import time

HOST = "127.0.0.1"


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def closed_port() -> int:
    """A port that refuses connections (bound once, then released)."""
    return free_port()


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def send_raw(port: int, payload: bytes) -> None:
    """Connect, write ``payload``, close: one inbound message."""
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(payload)


class ReplyServer:
    """A real TCP server: records each request and answers it.

    A request ends at ``\\r\\r`` or at the client's half-close. Then ``reply``
    is written (nothing when ``reply`` is None: a silent server), and the
    connection is closed unless ``keep_open`` (held until the client closes or
    the server is closed).
    """

    def __init__(self, reply: bytes | None = b"[0,0]", keep_open: bool = False) -> None:
        self.reply = reply
        self.keep_open = keep_open
        self.requests: list[bytes] = []
        self.connections = 0
        self._stop = threading.Event()
        self._sock = socket.create_server((HOST, 0))
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._run, name="test-reply-server")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (socket.timeout, TimeoutError):
                continue
            with conn:
                self.connections += 1
                self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.05)
        data = b""
        while not self._stop.is_set() and not data.endswith(b"\r\r"):
            try:
                chunk = conn.recv(65536)
            except (socket.timeout, TimeoutError):
                continue
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        if not data:  # closed unused (e.g. an outbox sender's early connect)
            return
        self.requests.append(data)
        if self.reply is not None:
            try:
                conn.sendall(self.reply)
            except OSError:
                return
        if self.reply is None:  # silent: hold the line until the server is closed
            self._stop.wait()
            return
        if self.keep_open:
            while not self._stop.is_set():  # hold until the client leaves
                try:
                    if not conn.recv(1024):
                        return
                except (socket.timeout, TimeoutError):
                    continue
                except OSError:
                    return

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()

    def __enter__(self) -> ReplyServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
