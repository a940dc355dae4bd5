"""The HTTP server: the standard library's ``ThreadingHTTPServer`` serving an :class:`App`.

The standard library parses HTTP (request line, headers); this module only
reads a bounded body, hands a :class:`Request` to the app and writes its
:class:`Response` (a streamed one chunk by chunk). Every error answer is JSON.
It serves the gateway's REST API (with the dashboard beside it) and the
dashboard on its own (the demo, its tests): one HTTP server in the project.

Closing ends every open connection (keep-alive ones and event streams
included) and waits a bounded time for the handler threads, so a close
leaves no thread or socket behind and never hangs on a client.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

from hologram_sdk.base.errors import HologramError, InboundBindError
from hologram_sdk.emulator.cloud.web.app import App, Request, Response, error_response

logger = logging.getLogger("hologram_sdk.emulator.cloud.http")

MAX_BODY = 1024 * 1024
#: seconds a client may stay silent mid-request
CLIENT_TIMEOUT = 10.0
#: the most :meth:`HttpServer.close` waits for handler threads after ending connections
CLOSE_WAIT = 5.0


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = CLIENT_TIMEOUT
    server_version = "hologram-local-cloud"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def _serve(self) -> None:
        if self.headers.get("Transfer-Encoding"):
            self._send(error_response(411, "send a Content-Length, not a chunked body"))
            self.close_connection = True
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._send(error_response(400, "bad Content-Length"))
            self.close_connection = True
            return
        if length > MAX_BODY:
            self._send(error_response(413, f"the body is over {MAX_BODY} bytes"))
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            self.close_connection = True
            return
        parts = urllib.parse.urlsplit(self.path)
        request = Request(
            method=self.command,
            # raw: the app unquotes each matched part once (an encoded "/" stays data)
            path=parts.path or "/",
            query=urllib.parse.parse_qs(parts.query, keep_blank_values=True),
            headers=self.headers,
            body=body,
            client=f"{self.client_address[0]}:{self.client_address[1]}",
        )
        self._send(self.server.app.handle(request))

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.stream is not None:
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            self._stream(response)
            return
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _stream(self, response: Response) -> None:
        assert response.stream is not None
        try:
            for chunk in response.stream:
                if self.server.stopping.is_set():
                    break
                self.wfile.write(chunk)
                self.wfile.flush()
        except OSError:  # the client went away
            pass
        finally:
            close = getattr(response.stream, "close", None)
            if close is not None:
                close()

    def send_error(
        self, code: int, message: Optional[str] = None, explain: Optional[str] = None
    ) -> None:
        """The standard library's refusals (bad request line, ...) as JSON too."""
        self.close_connection = True
        try:
            self._send(error_response(code, message or self.responses.get(code, ("error",))[0]))
        except OSError:
            pass

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], app: App, family: int) -> None:
        self.address_family = family
        self.app = app
        self.stopping = threading.Event()
        self._open: dict[socket.socket, threading.Thread] = {}
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, sock: socket.socket, opened: bool) -> None:
        with self._open_lock:
            if opened:
                self._open[sock] = threading.current_thread()
            else:
                self._open.pop(sock, None)

    def end_connections(self, wait: float) -> None:
        """Shut every open connection down, then join their threads (up to ``wait`` s)."""
        with self._open_lock:
            open_now = list(self._open.items())
        for sock, _thread in open_now:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + wait
        for _sock, thread in open_now:
            thread.join(max(0.0, deadline - time.monotonic()))

    def handle_error(self, request: object, client_address: object) -> None:
        logger.debug("HTTP connection from %s failed", client_address, exc_info=True)


class HttpServer:
    """Serves an :class:`App` on ``host:port`` in a thread (``start``/``close``).

    :param on_close: called first thing on close, to end long answers (event streams)
    :raises InboundBindError: the address cannot be bound (from :meth:`start`)
    """

    def __init__(
        self,
        app: App,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        on_close: Optional[Callable[[], None]] = None,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.on_close = on_close
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def url(self) -> str:
        """``http://host:port`` (no trailing slash)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> HttpServer:
        """Bind and serve (a second call does nothing)."""
        with self._lock:
            if self._closed:
                raise HologramError("this HttpServer is closed; create a new one")
            if self._server is not None:
                return self
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            try:
                server = _Server((self.host, self.port), self.app, family)
            except OSError as exc:
                raise InboundBindError(
                    f"cannot serve HTTP on {self.host}:{self.port}: {exc.strerror or exc}"
                ) from exc
            self._server = server
            self.port = server.server_address[1]
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.2},
                name=f"http-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, end every connection and stream, join the threads (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            server, thread = self._server, self._thread
        if server is not None:
            server.stopping.set()
            server.shutdown()  # no new connection from here on
        if self.on_close is not None:
            self.on_close()
        if server is not None:
            server.end_connections(CLOSE_WAIT)
            server.server_close()
        if thread is not None:
            thread.join()

    def __enter__(self) -> HttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
