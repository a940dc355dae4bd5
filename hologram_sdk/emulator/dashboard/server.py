"""A small HTTP server for the dashboard: the standard library's ``ThreadingHTTPServer``.

``WebServer`` serves a list of "apps" (objects with ``handle(req) -> bool``, like
:class:`~hologram_sdk.emulator.dashboard.app.Dashboard`) on one port, each tried
in turn; the first app's ``not_found`` answers what none of them takes. One
thread per connection; :meth:`WebServer.close` ends open keep-alive connections
and event streams, so it returns promptly and leaves no thread behind.
"""

from __future__ import annotations

import logging
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional, Protocol

from hologram_sdk.errors import HologramError, InboundBindError

logger = logging.getLogger(__name__)


class App(Protocol):
    def handle(self, req: BaseHTTPRequestHandler) -> bool: ...


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

    def _dispatch(self) -> None:
        for app in self.server.apps:
            if app.handle(self):
                return
        fallback = getattr(self.server.apps[0], "not_found", None) if self.server.apps else None
        if fallback is not None:
            fallback(self)
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], apps: list[App], family: int) -> None:
        self.address_family = family
        self.apps = apps
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
    """Serves apps over HTTP on ``host:port`` from a background thread.

    :param apps: tried in order for each request
    :param host: address to listen on (loopback by default)
    :param port: TCP port; ``0`` picks a free one (see :attr:`port`)
    """

    def __init__(self, apps: list[App], host: str = "127.0.0.1", port: int = 0) -> None:
        self.apps = apps
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
                server = _Server((self.host, self.port), self.apps, family)
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
        """``http://host:port/``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def close(self) -> None:
        """Stop serving and end every connection (idempotent).

        Apps with an ``end_streams()`` method are told to end their long
        requests (event streams), so every handler thread ends.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        for app in self.apps:  # long requests (event streams) end now
            end_streams = getattr(app, "end_streams", None)
            if end_streams is not None:
                end_streams()
        server.end_connections()
        server.server_close()  # joins the handler threads
        if thread is not None:
            thread.join()

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
