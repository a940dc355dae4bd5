"""The dashboard's HTTP handlers and their routing table, for any ``http.server`` server.

:class:`Dashboard` owns the read side (:class:`DashboardData`), the live stream
(:class:`EventHub`), the login (:class:`SessionAuth`) and the send form's
sender. Its :attr:`Dashboard.routes` is a list of ``(method, path regex,
handler, public)``; :meth:`Dashboard.handle` dispatches one request of a
``BaseHTTPRequestHandler`` and returns ``False`` when no route matches, so a
server with more routes (the REST API) tries its own next.

Paths: ``/`` overview, ``/devices/<name>`` a device, ``/login`` and ``/logout``,
``/static/<file>``, and under ``/ui/`` the JSON the pages read and the event
stream (``/ui/events``). Without a session every page redirects to the login
form and every ``/ui/`` path answers 401: nothing is readable without the key.
"""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, quote, unquote, urlsplit

from hologram_sdk.emulator.dashboard import pages
from hologram_sdk.emulator.dashboard.auth import SessionAuth
from hologram_sdk.emulator.dashboard.queries import (
    CHART_RANGES,
    DEFAULT_PAGE,
    DashboardData,
    midnight,
)
from hologram_sdk.emulator.dashboard.responses import (
    BodyError,
    read_body,
    redirect,
    send,
    send_error_json,
    send_html,
    send_json,
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

Handler = Callable[[BaseHTTPRequestHandler, "re.Match[str]"], None]


@dataclass(frozen=True)
class Route:
    """One entry of the routing table."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    #: served without a session (the login form, static files)
    public: bool = False


def _query(req: BaseHTTPRequestHandler) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(req.path).query).items()}


def _int_arg(args: dict[str, str], name: str) -> Optional[int]:
    value = args.get(name)
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
    :param device_info: extra facts per device from the cloud (``auth``,
        ``last_address``, ``inbound``), merged over what the database says
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
        self.routes: list[Route] = [
            self._route("GET", r"/", self.overview_page),
            self._route("GET", r"/devices/(?P<name>[^/]+)", self.device_page),
            self._route("GET", r"/login", self.login_form, public=True),
            self._route("POST", r"/login", self.login, public=True),
            self._route("POST", r"/logout", self.logout, public=True),
            self._route("GET", r"/static/(?P<name>[A-Za-z0-9_.-]+)", self.static, public=True),
            self._route("GET", r"/ui/overview", self.overview_json),
            self._route("GET", r"/ui/devices/(?P<name>[^/]+)", self.device_json),
            self._route("GET", r"/ui/messages", self.messages_json),
            self._route("GET", r"/ui/messages/(?P<id>[0-9]{1,18})", self.message_json),
            self._route("GET", r"/ui/sms", self.sms_json),
            self._route("GET", r"/ui/chart", self.chart_json),
            self._route("GET", r"/ui/events", self.events),
            self._route("POST", r"/ui/send", self.send_json),
        ]

    @staticmethod
    def _route(method: str, pattern: str, handler: Handler, *, public: bool = False) -> Route:
        return Route(method, re.compile(pattern + r"\Z"), handler, public)

    # --- lifecycle -----------------------------------------------------------

    def start(self) -> Dashboard:
        """Start the live stream's watcher."""
        self.hub.start()
        return self

    def close(self) -> None:
        """End every stream and close the database connection (idempotent)."""
        self.hub.close()
        self.data.close()

    def end_streams(self) -> None:
        """End every open event stream (browsers reconnect and resume)."""
        self.hub.drop_streams()

    def __enter__(self) -> Dashboard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- dispatch ------------------------------------------------------------

    def handle(self, req: BaseHTTPRequestHandler) -> bool:
        """Answer ``req`` if one of the dashboard's routes matches its path.

        :returns: ``False`` when no route matches (the caller answers)
        """
        path = urlsplit(req.path).path
        method = "GET" if req.command == "HEAD" else req.command
        for route in self.routes:
            match = route.pattern.match(path)
            if match is None or route.method != method:
                continue
            if not route.public and not self.signed_in(req):
                self._refuse(req, path)
                return True
            try:
                route.handler(req, match)
            except (BrokenPipeError, ConnectionResetError, socket.timeout):
                req.close_connection = True
            except Exception:
                logger.exception("dashboard: %s %s failed", req.command, path)
                req.close_connection = True
                try:
                    send_error_json(req, HTTPStatus.INTERNAL_SERVER_ERROR, "internal error")
                except OSError:
                    pass
            return True
        return False

    def signed_in(self, req: BaseHTTPRequestHandler) -> bool:
        """Whether ``req`` carries the session cookie or the API key."""
        return self.auth.allowed(
            req.headers.get("Cookie"),
            req.headers.get("Authorization"),
            req.headers.get("X-API-Key"),
        )

    def _refuse(self, req: BaseHTTPRequestHandler, path: str) -> None:
        if path.startswith("/ui/"):
            send_error_json(req, HTTPStatus.UNAUTHORIZED, "log in with the API key")
        else:
            redirect(req, "/login?next=" + quote(path, safe="/"))

    # --- pages ---------------------------------------------------------------

    def overview_page(self, req: BaseHTTPRequestHandler, match: re.Match[str]) -> None:
        send_html(req, pages.index_page())

    def device_page(self, req: BaseHTTPRequestHandler, match: re.Match[str]) -> None:
        name = unquote(match["name"])
        if not self._known(name):
            send_html(req, pages.not_found_page(f"device {name}"), HTTPStatus.NOT_FOUND)
            return
        send_html(req, pages.device_page(name))

    def not_found(self, req: BaseHTTPRequestHandler) -> None:
        """The 404 page, for a server that found no route for ``req``."""
        path = urlsplit(req.path).path
        if path.startswith("/ui/"):
            send_error_json(req, HTTPStatus.NOT_FOUND, "no such path")
        else:
            send_html(req, pages.not_found_page(f"page {path}"), HTTPStatus.NOT_FOUND)

    def login_form(self, req: BaseHTTPRequestHandler, match: re.Match[str]) -> None:
        send_html(req, pages.login_page(next_path=_query(req).get("next", "/")))

    def login(self, req: BaseHTTPRequestHandler, match: re.Match[str]) -> None:
        try:
            form = parse_qs(read_body(req, 16 * 1024).decode("utf-8", "replace"))
        except BodyError as exc:
            send_html(req, pages.login_page(error=str(exc)), exc.status)
            return
        key = (form.get("key") or [""])[-1]
        target = pages.safe_next((form.get("next") or ["/"])[-1])
        if not self.auth.key_matches(key):
            message = "That is not this server's API key." if key else "Enter the API key."
            send_html(
                req,
                pages.login_page(next_path=target, error=message),
                HTTPStatus.UNAUTHORIZED,
            )
            return
        redirect(req, target, headers=(("Set-Cookie", self.auth.cookie_header()),))

    def logout(self, req: BaseHTTPRequestHandler, match: re.Match[str]) -> None:
        redirect(req, "/login", headers=(("Set-Cookie", self.auth.logout_header()),))

    def static(self, req: BaseHTTPRequestHandler, match: re.Match[str]) -> None:
        found = pages.static_file(match["name"])
        if found is None:
            send_html(req, pages.not_found_page(f"file {match['name']}"), HTTPStatus.NOT_FOUND)
            return
        send(req, HTTPStatus.OK, found[0], found[1], cache="no-cache")

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
        if names is None:
            names = list(info) + [n for n in self.data.device_names() if n not in info]
        today = self.data.first_id_since("messages", midnight())
        out = []
        for name in names:
            row = self.data.device_summary(name, today_first_id=today)
            row["auth"] = kinds.get(name)
            row["last_address"] = None
            row["inbound"] = self.inbound.get(name)
            row.update(info.get(name, {}))
            out.append(row)
        return out

    def overview_json(self, req: BaseHTTPRequestHandler, match: re.Match[str]) -> None:
        latest = self.hub.latest
        send_json(
            req,
            {
                "devices": self.devices(),
                "sms": self.data.sms_page(limit=20),
                "routes": self.route_status(),
                "cursor": event_id(latest),
            },
        )

    def device_json(self, req: BaseHTTPRequestHandler, match: re.Match[str]) -> None:
        name = unquote(match["name"])
        if not self._known(name):
            send_error_json(req, HTTPStatus.NOT_FOUND, "no such device")
            return
        send_json(
            req,
            {
                "device": self.devices([name])[0],
                "sms": self.data.sms_page(device=name, limit=20),
                "cursor": event_id(self.hub.latest),
            },
        )

    def messages_json(self, req: BaseHTTPRequestHandler, match: re.Match[str]) -> None:
        args = _query(req)
        try:
            page = self.data.messages_page(
                device=args.get("device") or None,
                before=_int_arg(args, "before"),
                after=_int_arg(args, "after"),
                limit=_int_arg(args, "limit") or DEFAULT_PAGE,
            )
        except ValueError as exc:
            send_error_json(req, HTTPStatus.BAD_REQUEST, str(exc))
            return
        send_json(req, page)

    def message_json(self, req: BaseHTTPRequestHandler, match: re.Match[str]) -> None:
        found = self.data.message(int(match["id"]))
        if found is None:
            send_error_json(req, HTTPStatus.NOT_FOUND, "no such message")
            return
        send_json(req, found)

    def sms_json(self, req: BaseHTTPRequestHandler, match: re.Match[str]) -> None:
        args = _query(req)
        try:
            items = self.data.sms_page(
                device=args.get("device") or None,
                before=_int_arg(args, "before"),
                limit=_int_arg(args, "limit") or 20,
            )
        except ValueError as exc:
            send_error_json(req, HTTPStatus.BAD_REQUEST, str(exc))
            return
        send_json(req, {"items": items})

    def chart_json(self, req: BaseHTTPRequestHandler, match: re.Match[str]) -> None:
        args = _query(req)
        span = args.get("span", "hour")
        if span not in CHART_RANGES:
            send_error_json(req, HTTPStatus.BAD_REQUEST, "span must be 'hour' or 'day'")
            return
        send_json(req, self.data.per_minute(span=span, device=args.get("device") or None))

    def send_json(self, req: BaseHTTPRequestHandler, match: re.Match[str]) -> None:
        if not req.headers.get("Content-Type", "").startswith("application/json"):
            send_error_json(req, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send JSON")
            return
        try:
            body = json.loads(read_body(req))
            request = SendRequest.from_json(body)
            if not self._known(request.device):
                send_error_json(req, HTTPStatus.NOT_FOUND, f"no device {request.device}")
                return
            result = self.sender(request)
        except BodyError as exc:
            send_error_json(req, exc.status, str(exc))
        except (ValueError, SendError) as exc:
            send_error_json(req, HTTPStatus.BAD_REQUEST, str(exc) or "malformed JSON")
        except HologramError as exc:
            send_error_json(req, HTTPStatus.BAD_GATEWAY, str(exc))
        else:
            send_json(req, result)

    # --- the live stream -----------------------------------------------------

    def events(self, req: BaseHTTPRequestHandler, match: re.Match[str]) -> None:
        """Server-sent events: every message and SMS stored after the cursor."""
        cursor = parse_event_id(req.headers.get("Last-Event-ID"))
        if cursor is None:
            cursor = parse_event_id(_query(req).get("from"))
        if cursor is None:
            cursor = self.hub.latest
        req.close_connection = True
        req.send_response(HTTPStatus.OK)
        req.send_header("Content-Type", "text/event-stream")
        req.send_header("Cache-Control", "no-store")
        req.send_header("X-Accel-Buffering", "no")
        req.end_headers()
        req.connection.settimeout(10.0)  # a browser that stops reading is let go
        hello = json.dumps({"cursor": event_id(cursor)})
        req.wfile.write(
            f"retry: {RETRY_MS}\nid: {event_id(cursor)}\nevent: hello\ndata: {hello}\n\n".encode()
        )
        req.wfile.flush()
        for item, position in self.hub.events(cursor):
            chunk = b": keep-alive\n\n" if item is None else format_event(item, position)
            req.wfile.write(chunk)
            req.wfile.flush()
