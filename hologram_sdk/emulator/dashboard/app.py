"""The dashboard's HTTP handlers: pages, static files, login, JSON for the pages, events.

:class:`Dashboard` owns the read side (:class:`DashboardData`), the live stream
(:class:`EventHub`), the login (:class:`SessionAuth`) and the send form's
sender. Its :attr:`Dashboard.routes` are ``(method, pattern, handler)`` with
``handler(request) -> Response``; each handler checks the session itself, so
the routes can sit in any routing table (registered as public there).

Paths: ``/`` overview, ``/devices/{name}`` a device, ``/login`` and ``/logout``,
``/static/{file}``, and under ``/ui/`` the JSON the pages read and the event
stream (``/ui/events``). Without a session every page redirects to the login
form and every ``/ui/`` path answers 401: nothing is readable without the key.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from typing import Any, Callable, NamedTuple, Optional
from urllib.parse import parse_qs, quote

from hologram_sdk.emulator.cloud.web.app import App, Handler, Request, Response
from hologram_sdk.emulator.cloud.web.httpd import HttpServer
from hologram_sdk.emulator.dashboard import pages
from hologram_sdk.emulator.dashboard.auth import SessionAuth
from hologram_sdk.emulator.dashboard.queries import (
    CHART_RANGES,
    DEFAULT_PAGE,
    DashboardData,
    midnight,
)
from hologram_sdk.emulator.dashboard.sending import (
    InboundLog,
    PushSender,
    Sender,
    SendError,
    SendRequest,
)
from hologram_sdk.emulator.dashboard.stream import (
    RETRY_MS,
    EventHub,
    event_id,
    format_event,
    parse_event_id,
)
from hologram_sdk.errors import HologramError

logger = logging.getLogger(__name__)

SECURITY_HEADERS = {
    # only the dashboard's own files: no inline script, so even a missed escape
    # could not run
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class Route(NamedTuple):
    """``method pattern`` (``{name}`` matches one path segment) served by ``handler``."""

    method: str
    pattern: str
    handler: Handler


def respond(
    status: int,
    body: bytes,
    content_type: str,
    *,
    cache: str = "no-store",
    headers: Optional[dict[str, str]] = None,
) -> Response:
    """A response with the dashboard's safety headers."""
    return Response(
        status,
        body,
        content_type,
        {**SECURITY_HEADERS, "Cache-Control": cache, **(headers or {})},
    )


def html(page: str, status: int = HTTPStatus.OK, **headers: str) -> Response:
    """An HTML page."""
    return respond(status, page.encode("utf-8"), "text/html; charset=utf-8", headers=headers)


def as_json(value: Any, status: int = HTTPStatus.OK) -> Response:
    """JSON, ASCII only (no byte a device sent can change how it is decoded)."""
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return respond(status, body, "application/json")


def json_error(status: int, message: str) -> Response:
    """``{"error": message}``."""
    return as_json({"error": message}, status)


def see_other(location: str, **headers: str) -> Response:
    """A 303 to a path on this server."""
    return respond(
        HTTPStatus.SEE_OTHER, b"", "text/plain", headers={"Location": location, **headers}
    )


def _int_arg(request: Request, name: str) -> Optional[int]:
    value = request.arg(name)
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise ValueError(f"'{name}' must be a whole number")
    return int(value)


class Dashboard:
    """The web dashboard of a local cloud.

    :param data: queries over the cloud's database
    :param auth: the API-key login
    :param sender: delivers the send form's requests (default: :class:`PushSender`)
    :param device_info: facts per device from the cloud (``auth``, ``last_address``,
        ``last_seen``, ``inbound``), merged over what the database says
    :param route_status: the routes' state and backlog, as JSON-ready dicts
    :param inbound: where delivery outcomes are remembered
    :param interval: seconds between the event hub's looks at the database
    """

    def __init__(
        self,
        data: DashboardData,
        auth: SessionAuth,
        *,
        sender: Optional[Sender] = None,
        device_info: Optional[Callable[[], dict[str, dict[str, Any]]]] = None,
        route_status: Optional[Callable[[], list[dict[str, Any]]]] = None,
        inbound: Optional[InboundLog] = None,
        interval: float = 0.2,
    ) -> None:
        self.data = data
        self.auth = auth
        self.inbound = inbound if inbound is not None else InboundLog()
        self.device_info = device_info or (lambda: {})
        self.route_status = route_status or (lambda: [])
        self.sender: Sender = sender or PushSender(self._last_address, self.inbound)
        self.hub = EventHub(data, interval=interval)
        page, api = self._page, self._api
        self.routes: list[Route] = [
            Route("GET", "/", page(self.overview_page)),
            Route("GET", "/devices/{name}", page(self.device_page)),
            Route("GET", "/login", self.login_form),
            Route("POST", "/login", self.login),
            Route("POST", "/logout", self.logout),
            Route("GET", "/static/{name}", self.static),
            Route("GET", "/ui/overview", api(self.overview_json)),
            Route("GET", "/ui/devices/{name}", api(self.device_json)),
            Route("GET", "/ui/messages", api(self.messages_json)),
            Route("GET", "/ui/messages/{id}", api(self.message_json)),
            Route("GET", "/ui/sms", api(self.sms_json)),
            Route("GET", "/ui/chart", api(self.chart_json)),
            Route("GET", "/ui/events", api(self.events)),
            Route("POST", "/ui/send", api(self.send_json)),
        ]

    # --- lifecycle -----------------------------------------------------------

    def start(self) -> Dashboard:
        """Start the live stream's watcher."""
        self.hub.start()
        return self

    def end_streams(self) -> None:
        """End every open event stream (browsers reconnect and resume)."""
        self.hub.drop_streams()

    def close(self) -> None:
        """End every stream and close the database connection (idempotent)."""
        self.hub.close()
        self.data.close()

    def __enter__(self) -> Dashboard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the session ---------------------------------------------------------

    def signed_in(self, request: Request) -> bool:
        """Whether ``request`` carries the session cookie or the API key."""
        headers = request.headers
        return self.auth.allowed(
            headers.get("Cookie"), headers.get("Authorization"), headers.get("X-API-Key")
        )

    def _page(self, handler: Handler) -> Handler:
        def guarded(request: Request) -> Response:
            if not self.signed_in(request):
                return see_other("/login?next=" + quote(request.path, safe="/"))
            return self._safely(handler, request)

        return guarded

    def _api(self, handler: Handler) -> Handler:
        def guarded(request: Request) -> Response:
            if not self.signed_in(request):
                return json_error(HTTPStatus.UNAUTHORIZED, "log in with the API key")
            return self._safely(handler, request)

        return guarded

    @staticmethod
    def _safely(handler: Handler, request: Request) -> Response:
        try:
            return handler(request)
        except Exception:
            logger.exception("dashboard: %s %s failed", request.method, request.path)
            return json_error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error (logged)")

    # --- pages ---------------------------------------------------------------

    def overview_page(self, request: Request) -> Response:
        return html(pages.index_page())

    def device_page(self, request: Request) -> Response:
        name = request.params["name"]
        if not self._known(name):
            return html(pages.not_found_page(f"device {name}"), HTTPStatus.NOT_FOUND)
        return html(pages.device_page(name))

    def not_found(self, request: Request) -> Response:
        """The 404 answer for a path no route takes."""
        if request.path.startswith("/ui/"):
            return json_error(HTTPStatus.NOT_FOUND, "no such path")
        return html(pages.not_found_page(f"page {request.path}"), HTTPStatus.NOT_FOUND)

    def login_form(self, request: Request) -> Response:
        return html(pages.login_page(next_path=request.arg("next") or "/"))

    def login(self, request: Request) -> Response:
        form = parse_qs(request.body[: 16 * 1024].decode("utf-8", "replace"))
        key = (form.get("key") or [""])[-1]
        target = pages.safe_next((form.get("next") or ["/"])[-1])
        if not self.auth.key_matches(key):
            message = "That is not this server's API key." if key else "Enter the API key."
            return html(pages.login_page(next_path=target, error=message), HTTPStatus.UNAUTHORIZED)
        return see_other(target, **{"Set-Cookie": self.auth.cookie_header()})

    def logout(self, request: Request) -> Response:
        return see_other("/login", **{"Set-Cookie": self.auth.logout_header()})

    def static(self, request: Request) -> Response:
        name = request.params["name"]
        found = pages.static_file(name)
        if found is None:
            return html(pages.not_found_page(f"file {name}"), HTTPStatus.NOT_FOUND)
        return respond(HTTPStatus.OK, found[0], found[1], cache="no-cache")

    # --- data ----------------------------------------------------------------

    def _known(self, name: str) -> bool:
        return name in self.device_info() or self.data.known_device(name)

    def _last_address(self, name: str) -> Optional[str]:
        info = self.device_info().get(name, {})
        address = info.get("last_address")
        return address if isinstance(address, str) else None

    def devices(self, names: Optional[Iterable[str]] = None) -> list[dict[str, Any]]:
        """The device list: what the database knows, merged with the cloud's facts."""
        info = self.device_info()
        kinds = self.data.registered_kinds()
        seen = self.data.seen()
        if names is None:
            names = list(info) + [n for n in self.data.device_names() if n not in info]
        today = self.data.first_id_since("messages", midnight())
        out = []
        for name in names:
            row = self.data.device_summary(name, today_first_id=today)
            row["auth"] = kinds.get(name)
            row["last_address"] = None
            row["gateway"] = None
            where = seen.get(name)
            if where is not None:
                row["last_address"] = where["last_address"]
                row["gateway"] = where["gateway"]
                if row["last_seen"] is None or where["last_seen"] > row["last_seen"]:
                    row["last_seen"] = where["last_seen"]
            row["inbound"] = _latest(self.data.inbound(name), self.inbound.get(name))
            extra = info.get(name, {})
            row.update({k: v for k, v in extra.items() if v is not None})
            out.append(row)
        return out

    def overview_json(self, request: Request) -> Response:
        latest = self.data.last_ids()  # the page reads up to here; the stream goes on
        return as_json(
            {
                "devices": self.devices(),
                "sms": self.data.sms_page(limit=20),
                "routes": self.route_status(),
                "cursor": event_id(latest),
            }
        )

    def device_json(self, request: Request) -> Response:
        name = request.params["name"]
        if not self._known(name):
            return json_error(HTTPStatus.NOT_FOUND, "no such device")
        return as_json(
            {
                "device": self.devices([name])[0],
                "sms": self.data.sms_page(device=name, limit=20),
                "cursor": event_id(self.data.last_ids()),
            }
        )

    def messages_json(self, request: Request) -> Response:
        try:
            page = self.data.messages_page(
                device=request.arg("device") or None,
                before=_int_arg(request, "before"),
                after=_int_arg(request, "after"),
                limit=_int_arg(request, "limit") or DEFAULT_PAGE,
            )
        except ValueError as exc:
            return json_error(HTTPStatus.BAD_REQUEST, str(exc))
        return as_json(page)

    def message_json(self, request: Request) -> Response:
        text = request.params["id"]
        found = None
        if text.isascii() and text.isdigit() and len(text) < 19:
            found = self.data.message(int(text))
        if found is None:
            return json_error(HTTPStatus.NOT_FOUND, "no such message")
        return as_json(found)

    def sms_json(self, request: Request) -> Response:
        try:
            items = self.data.sms_page(
                device=request.arg("device") or None,
                before=_int_arg(request, "before"),
                limit=_int_arg(request, "limit") or 20,
            )
        except ValueError as exc:
            return json_error(HTTPStatus.BAD_REQUEST, str(exc))
        return as_json({"items": items})

    def chart_json(self, request: Request) -> Response:
        span = request.arg("span") or "hour"
        if span not in CHART_RANGES:
            return json_error(HTTPStatus.BAD_REQUEST, "span must be 'hour' or 'day'")
        return as_json(self.data.per_minute(span=span, device=request.arg("device") or None))

    def send_json(self, request: Request) -> Response:
        if not (request.headers.get("Content-Type") or "").startswith("application/json"):
            return json_error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send JSON")
        try:
            order = SendRequest.from_json(json.loads(request.body))
            if not self._known(order.device):
                return json_error(HTTPStatus.NOT_FOUND, f"no device {order.device}")
            result = self.sender(order)
        except (ValueError, RecursionError, SendError) as exc:
            return json_error(HTTPStatus.BAD_REQUEST, str(exc) or "malformed JSON")
        except HologramError as exc:
            return json_error(HTTPStatus.BAD_GATEWAY, str(exc))
        return as_json(result)

    # --- the live stream -----------------------------------------------------

    def events(self, request: Request) -> Response:
        """Server-sent events: every message and SMS stored after the cursor."""
        cursor = parse_event_id(request.headers.get("Last-Event-ID"))
        if cursor is None:
            cursor = parse_event_id(request.arg("from"))
        if cursor is None:
            cursor = self.data.last_ids()
        response = respond(HTTPStatus.OK, b"", "text/event-stream")
        response.headers["X-Accel-Buffering"] = "no"
        response.stream = self._stream(cursor)
        return response

    def _stream(self, cursor: tuple[int, int]) -> Iterator[bytes]:
        # joined to the hub now, so that end_streams() from here on ends this one
        events = self.hub.events(cursor)
        return self._chunks(cursor, events)

    @staticmethod
    def _chunks(
        cursor: tuple[int, int],
        events: Iterator[tuple[Optional[dict[str, Any]], tuple[int, int]]],
    ) -> Iterator[bytes]:
        try:
            hello = json.dumps({"cursor": event_id(cursor)})
            head = f"retry: {RETRY_MS}\nid: {event_id(cursor)}\nevent: hello\ndata: {hello}\n\n"
            yield head.encode()
            for item, position in events:
                yield b": keep-alive\n\n" if item is None else format_event(item, position)
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()


def open_dashboard(db: str, api_key: str, **options: Any) -> Dashboard:
    """A :class:`Dashboard` over the local cloud's database file ``db``.

    :param options: passed on to :class:`Dashboard`
    :raises ConfigurationError: no such database, or an API key under 8 characters
    """
    auth = SessionAuth(api_key)
    return Dashboard(DashboardData(db), auth, **options)


def _latest(*outcomes: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
    """The most recent of several delivery outcomes (``None`` when there is none)."""
    known = [o for o in outcomes if o is not None]
    if not known:
        return None
    return max(known, key=lambda o: o.get("when") or 0.0)


def dashboard_app(dashboard: Dashboard) -> App:
    """A routing table serving only the dashboard (every route checks the session itself)."""
    app = App(None, not_found=dashboard.not_found)
    for route in dashboard.routes:
        app.add(route.method, route.pattern, route.handler, public=True)
    return app


def web_server(dashboard: Dashboard, *, host: str = "127.0.0.1", port: int = 0) -> HttpServer:
    """The dashboard alone on an HTTP server (the demo, tests): ``start()`` it, ``close()`` it.

    Beside a gateway's REST API it is mounted by
    :func:`hologram_sdk.emulator.dashboard.gateway.install` instead.
    """
    return HttpServer(dashboard_app(dashboard), host, port, on_close=dashboard.end_streams)
