"""A cloud's TCP transport: :func:`send_request`, with the socket chores moved
to where the client would otherwise only wait.

A request's critical path runs from the moment it is sent until its reply is
read; the next request cannot start before. Making a socket (``socket()``,
setting its timeout) and closing a used one are a good part of a send's own
cost on a fast link, and neither needs to sit on that path: both can be done
while the server works on a request. So, once a request is written:

- the socket used by the request before is closed, if the server had closed
  its side of that connection once the reply was read: the server waits for
  nothing from us (with our half-close the connection is over on both sides
  and the close only frees the descriptor; without it, our end goes out then);
- an unconnected socket is made for the next request (nothing is sent: the
  server never sees it).

Between sends a client therefore holds at most two descriptors; :meth:`close`
releases them. A connection the server had not closed by then (a framed
reply read before its close, an error, a timeout) is closed at once.
"""

from __future__ import annotations

import socket
import threading
from typing import Optional

from hologram_sdk.transport.tcp import CompletionCheck, literal_family, send_request


class TcpClient:
    """A :class:`~hologram_sdk.transport.tcp.Transport` sending each request on a
    fresh connection (see the module's docstring). Safe to share between threads;
    :meth:`close` is idempotent, and a closed client still sends (without the
    held sockets)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: an unconnected socket for the next request, with its family and timeout
        self._spare: Optional[tuple[socket.socket, int, float]] = None
        self._used: Optional[socket.socket] = None  # a finished exchange's, to close
        self._next: tuple[int, float] = (0, 0.0)  # the last request's family and timeout
        self._closed = False

    def __call__(
        self,
        host: str,
        port: int,
        payload: bytes,
        timeout: float,
        is_complete: Optional[CompletionCheck] = None,
        *,
        half_close: bool = False,
    ) -> bytes:
        """Send ``payload``, return the reply (as :func:`send_request`)."""
        if literal_family(host) is None:  # a name: looked up and connected each time
            return send_request(host, port, payload, timeout, is_complete, half_close=half_close)
        return send_request(
            host,
            port,
            payload,
            timeout,
            is_complete,
            half_close=half_close,
            connect=self._connect,
            after_send=self._meanwhile,
            release=self._release,
        )

    def _connect(self, address: tuple[str, int], timeout: float) -> socket.socket:
        family = literal_family(address[0]) or socket.AF_INET  # (only literals come here)
        with self._lock:
            spare, self._spare = self._spare, None
            self._next = (family, timeout)  # what the spare made meanwhile will be
        if spare is None or spare[1] != family:
            if spare is not None:
                spare[0].close()
            sock = socket.socket(family, socket.SOCK_STREAM)
            set_timeout = True
        else:
            sock = spare[0]
            set_timeout = spare[2] != timeout
        try:
            if set_timeout:
                sock.settimeout(timeout)
            sock.connect(address)
        except BaseException:
            sock.close()
            raise
        return sock

    def _meanwhile(self) -> None:
        """A request is written: close the last used socket, make the next one."""
        with self._lock:
            used, self._used = self._used, None
            make = self._spare is None and not self._closed
        if used is not None:
            used.close()
        if not make:
            return
        family, timeout = self._next
        try:  # e.g. out of descriptors: the next request makes its own
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            return
        sock.settimeout(timeout)
        with self._lock:
            if self._spare is None and not self._closed:
                self._spare = (sock, family, timeout)
                return
        sock.close()  # another thread's came first, or we were closed

    def _release(self, sock: socket.socket, ended: bool) -> None:
        if not ended:  # the server may still wait for our side's end: end it now
            sock.close()
            return
        with self._lock:
            if self._closed:
                older: Optional[socket.socket] = sock
            else:
                older, self._used = self._used, sock
        if older is not None:
            older.close()

    def close(self) -> None:
        """Close the held sockets (idempotent)."""
        with self._lock:
            self._closed = True
            held = (self._spare[0] if self._spare else None, self._used)
            self._spare = self._used = None
        for sock in held:
            if sock is not None:
                sock.close()

    def __enter__(self) -> TcpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:  # an owner dropped without close(): no unclosed sockets
        try:
            self.close()
        except Exception:  # at interpreter shutdown: nothing left to do
            pass
