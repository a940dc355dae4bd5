"""A real TCP server on 127.0.0.1 that records requests and answers with chosen codes."""

from __future__ import annotations

import selectors
import socket
import threading
import time
from typing import Callable, Optional

from hologram_sdk.wire.protocol import TERMINATORS, encode_reply, strip_terminator


class RecordingServer:
    """Answers each request (one per connection) with ``answer(index, body)``.

    ``answer`` returns a result code (sent as ``[code,0]``, or digits for an
    SMS) or ``None`` to close without a reply. Requests are recorded in order
    (terminator removed). ``port=0`` picks a free port; a given port is reused
    (SO_REUSEADDR) so a test can stop and restart "the cloud" on one port.
    """

    def __init__(
        self,
        answer: Optional[Callable[[int, bytes], Optional[int]]] = None,
        port: int = 0,
    ) -> None:
        self.answer = answer or (lambda index, body: 0)
        self.requests: list[bytes] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", port), backlog=128)
        self.port = self._listener.getsockname()[1]
        self._stop_r, self._stop_w = socket.socketpair()
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._listener, selectors.EVENT_READ, "listen")
        self._sel.register(self._stop_r, selectors.EVENT_READ, "stop")
        self._thread = threading.Thread(target=self._run, name=f"recording-{self.port}")
        self._thread.start()

    @property
    def destination(self) -> str:
        return f"127.0.0.1:{self.port}"

    def bodies(self) -> list[bytes]:
        with self._lock:
            return list(self.requests)

    def _run(self) -> None:
        while True:
            for key, _ in self._sel.select():
                if key.data == "stop":
                    return
                try:
                    conn, _ = self._listener.accept()
                except OSError:
                    continue
                with conn:
                    self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(2.0)
        data = b""
        deadline = time.monotonic() + 2.0
        try:
            while time.monotonic() < deadline:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
                if any(data.endswith(t) for t in TERMINATORS):
                    break
            if not data:  # a connection closed unused (e.g. a sender's early connect)
                return
            body = strip_terminator(data)
            body = data if body is None else body
            with self._lock:
                index = len(self.requests)
                self.requests.append(body)
            code = self.answer(index, body)
            if code is not None:
                kind = "sms" if body[:1] == b"S" else "message"
                conn.sendall(encode_reply(kind, code))
            conn.shutdown(socket.SHUT_WR)
            conn.recv(1024)  # wait for the client's close (bounded by the timeout)
        except OSError:
            pass

    def close(self) -> None:
        if self._thread.is_alive():
            self._stop_w.send(b"x")
            self._thread.join(5)
        self._sel.close()
        for sock in (self._listener, self._stop_r, self._stop_w):
            sock.close()

    def __enter__(self) -> RecordingServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def free_port() -> int:
    """A port that nothing listens on right now (for "connection refused")."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
