"""Request and response values for the dashboard's handlers, and the HTTP server they run on.

Handlers are plain functions ``handler(request) -> Response``, the shape of the
local cloud's HTTP routing table (same field names), so the dashboard's routes
can sit in that table beside the REST API. :class:`WebServer` serves a list
of such routes on the standard library's ``ThreadingHTTPServer`` when the
dashboard runs on its own (tests, the demo).
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional

from hologram_sdk.errors import HologramError, InboundBindError

logger = logging.getLogger(__name__)

#: Largest request body read (the send form, the login form).
MAX_BODY = 256 * 1024


@dataclass
class Request:
    """One HTTP request, parsed by ``http.server``."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes = b""
    client: str = "-"
    #: the ``{name}`` parts of the matched pattern
    params: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """The last value of query argument ``name``."""
        values = self.query.get(name)
        return values[-1] if values else default


@dataclass
class Response:
    """What a handler answers; ``stream`` is written chunk by chunk (server-sent events)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    stream: Optional[Iterable[bytes]] = None


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    """``method pattern`` (``{name}`` matches one path segment) served by ``handler``."""

    method: str
    pattern: str
    handler: Handler

    def match(self, method: str, path: str) -> Optional[dict[str, str]]:
        """The pattern's parts if ``method path`` is this route's, else ``None``."""
        if method != self.method and not (method == "HEAD" and self.method == "GET"):
            return None
        regex = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(self.pattern))
        found = re.fullmatch(regex, path)
        if found is None:
            return None
        return {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "hologram-local-cloud"
    sys_version = ""
    #: an idle keep-alive connection is closed after this many seconds
    timeout = 30.0

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

    def _serve(self) -> None:
        text = self.headers.get("Content-Length") or "0"
        length = int(text) if text.isascii() and text.isdigit() else -1
        if length < 0 or length > MAX_BODY or self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._send(Response(413, b'{"error":"bad or too large body"}'))
            return
        body = self.rfile.read(length) if length else b""
        parts = urllib.parse.urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path or "/",
            query=urllib.parse.parse_qs(parts.query, keep_blank_values=True),
            headers=self.headers,
            body=body,
            client=f"{self.client_address[0]}:{self.client_address[1]}",
        )
        for route in self.server.routes:
            params = route.match(request.method, request.path)
            if params is not None:
                request.params = params
                self._send(route.handler(request))
                return
        self._send(self.server.not_found(request))

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.stream is not None:
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                for chunk in response.stream:
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except OSError:  # the browser went away
                pass
            finally:
                close = getattr(response.stream, "close", None)
                if close is not None:
                    close()
            return
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def __init__(
        self,
        address: tuple[str, int],
        routes: list[Route],
        not_found: Handler,
        family: int,
    ) -> None:
        self.address_family = family
        self.routes = routes
        self.not_found = not_found
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, sock: socket.socket, opened: bool) -> None:
        with self._open_lock:
            if opened:
                self._open.add(sock)
            else:
                self._open.discard(sock)

    def end_connections(self) -> None:
        with self._open_lock:
            socks = list(self._open)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class WebServer:
    """Serves routes over HTTP on ``host:port`` from a background thread.

    :param routes: tried in order for each request
    :param not_found: answers a request no route takes
    :param end_streams: called on close to end long requests (event streams)
    :param host: address to listen on (loopback by default)
    :param port: TCP port; ``0`` picks a free one (see :attr:`port`)
    """

    def __init__(
        self,
        routes: list[Route],
        not_found: Handler,
        *,
        end_streams: Optional[Callable[[], None]] = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.routes = routes
        self.not_found = not_found
        self.end_streams = end_streams
        self.host = host
        self.port = port
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self._closed = False
        self._lock = threading.Lock()

    def start(self) -> WebServer:
        """Bind and serve (a second call does nothing).

        :raises InboundBindError: the address cannot be bound
        """
        with self._lock:
            if self._closed:
                raise HologramError("this WebServer is closed; create a new one")
            if self._server is not None:
                return self
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            try:
                server = _Server((self.host, self.port), self.routes, self.not_found, family)
            except OSError as exc:
                raise InboundBindError(
                    f"cannot listen on {self.host}:{self.port} for HTTP: {exc.strerror or exc}"
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

    @property
    def url(self) -> str:
        """``http://host:port`` (no trailing slash)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def close(self) -> None:
        """Stop serving, end every connection and stream, join the threads (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        if self.end_streams is not None:
            self.end_streams()
        server.end_connections()
        server.server_close()  # joins the handler threads
        if thread is not None:
            thread.join()

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
