"""The reply server: a real TCP server on 127.0.0.1 standing in for the cloud."""

from __future__ import annotations

import selectors
import socket
import threading
import time
from typing import Callable, Optional

from hologram_sdk.wire.protocol import TERMINATORS, encode_reply, strip_terminator

from .net import HOST

#: ``answer(index, body)`` -> a result code, or None for no reply
Answer = Callable[[int, bytes], Optional[int]]


class ReplyServer:
    """Records each request (one per connection, served in turn) and answers it.

    A request ends at a terminator (``\\r\\r``, ``\\n\\n``, ``\\r\\n\\r\\n``), after
    ``request_size`` bytes when that is given (for unframed bytes), or at the
    client's half-close. ``requests`` holds them as received, ``bodies()``
    without their terminator. The answer is either

    - ``reply``: these bytes as they are; ``None`` is a silent server that
      holds the line until it is closed; or
    - ``answer(index, body)``: a result code, sent as the cloud sends it
      (``[code,0]``, digits for an SMS), or ``None`` to close without a reply.

    Then the server ends its side and waits (``linger`` seconds at most) for
    the client to close, or with ``keep_open`` holds the line until the client
    leaves. ``read_timeout`` bounds the wait for a request (None: until closed),
    so a connection opened early and never used does not stall the next one.
    ``port=0`` picks a free port; a given port is reused (SO_REUSEADDR), so a
    test can stop and restart "the cloud" on one port. ``host`` may be ``::1``.
    """

    def __init__(
        self,
        reply: Optional[bytes] = b"[0,0]",
        *,
        answer: Optional[Answer] = None,
        keep_open: bool = False,
        port: int = 0,
        read_timeout: Optional[float] = None,
        linger: float = 0.0,
        request_size: Optional[int] = None,
        host: str = HOST,
    ) -> None:
        self.reply = reply
        self.answer = answer
        self.keep_open = keep_open
        self.read_timeout = read_timeout
        self.linger = linger
        self.request_size = request_size
        self.requests: list[bytes] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.create_server((host, port), family=family, backlog=128)
        self.port = int(self._listener.getsockname()[1])
        self._stop_r, self._stop_w = socket.socketpair()
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._listener, selectors.EVENT_READ, "listen")
        self._sel.register(self._stop_r, selectors.EVENT_READ, "stop")
        self._thread = threading.Thread(target=self._run, name=f"reply-server-{self.port}")
        self._thread.start()

    @property
    def destination(self) -> str:
        return f"{HOST}:{self.port}"

    def bodies(self) -> list[bytes]:
        """The requests so far, without their terminators."""
        with self._lock:
            raw = list(self.requests)
        return [body if body is not None else data
                for data, body in ((data, strip_terminator(data)) for data in raw)]

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
                    self.connections += 1
                    self._serve(conn)

    def _read_request(self, conn: socket.socket) -> bytes:
        conn.settimeout(0.05)
        data = b""
        deadline = None if self.read_timeout is None else time.monotonic() + self.read_timeout
        while not self._stop.is_set() and not self._whole(data):
            if deadline is not None and time.monotonic() > deadline:
                break
            try:
                chunk = conn.recv(65536)
            except (socket.timeout, TimeoutError):
                continue
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        return data

    def _whole(self, data: bytes) -> bool:
        if self.request_size is not None:
            return len(data) >= self.request_size
        return any(data.endswith(t) for t in TERMINATORS)

    def _hold(self, conn: socket.socket, until: Optional[float]) -> None:
        """Wait until the client closes, the server is closed, or ``until``."""
        while not self._stop.is_set() and (until is None or time.monotonic() < until):
            try:
                if not conn.recv(1024):
                    return
            except (socket.timeout, TimeoutError):
                continue
            except OSError:
                return

    def _serve(self, conn: socket.socket) -> None:
        data = self._read_request(conn)
        if not data:  # closed unused (e.g. an outbox sender's early connect)
            return
        with self._lock:
            index = len(self.requests)
            self.requests.append(data)
        if self.answer is not None:
            body = strip_terminator(data)
            code = self.answer(index, data if body is None else body)
            reply = None if code is None else encode_reply(
                "sms" if data[:1] == b"S" else "message", code)
        elif self.reply is None:  # silent: hold the line until the server is closed
            self._stop.wait()
            return
        else:
            reply = self.reply
        try:
            if reply is not None:
                conn.sendall(reply)
            if self.keep_open:
                self._hold(conn, None)
                return
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            return
        self._hold(conn, time.monotonic() + self.linger)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._stop_w.send(b"x")
            self._thread.join(10)
        self._sel.close()
        for sock in (self._listener, self._stop_r, self._stop_w):
            sock.close()

    def __enter__(self) -> ReplyServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RecordingServer(ReplyServer):
    """The reply server as the outbox tests use it: answers by result code
    (``answer(index, body)``, 0 by default) and gives up on a connection that
    sends nothing for 2 s; after answering it waits up to 2 s for the close."""

    def __init__(self, answer: Optional[Answer] = None, port: int = 0) -> None:
        super().__init__(answer=answer or (lambda index, body: 0), port=port,
                         read_timeout=2.0, linger=2.0)
