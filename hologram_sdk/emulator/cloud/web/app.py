"""A small routing table for the local cloud's HTTP side, independent of the server.

Handlers are plain functions ``handler(request) -> Response``; an :class:`App`
maps ``(method, pattern)`` to them, checks the API key (unless a route is
``public``) and turns every error into a JSON answer. The REST API
(:mod:`..api`) is one set of routes; pages, static files and an event stream
(``Response(stream=...)``) are added the same way.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import Message
from typing import Any, Callable, Optional

logger = logging.getLogger("hologram_sdk.emulator.cloud.http")

#: Environment variable read for the API key when ``--api-key`` is not given.
ENV_API_KEY = "HOLOGRAM_API_KEY"


class HttpError(Exception):
    """Answered as ``{"success": false, "error": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    """One HTTP request, parsed by ``http.server`` (``path`` still percent-encoded)."""

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

    def int_arg(self, name: str, default: int, *, low: int = 0, high: int = 2**62) -> int:
        text = self.arg(name)
        if text is None or text == "":
            return default
        try:
            value = int(text)
        except ValueError:
            raise HttpError(400, f"{name} must be a whole number, not {text[:40]!r}") from None
        if not low <= value <= high:
            raise HttpError(400, f"{name} must be {low}..{high}")
        return value

    def json(self) -> Any:
        """The body as JSON. :raises HttpError: 400 when it is not."""
        if not self.body:
            raise HttpError(400, "the request has no body (expected JSON)")
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError) as exc:
            raise HttpError(400, f"the body is not valid JSON: {exc}") from None

    def cookie(self, name: str) -> Optional[str]:
        from http.cookies import CookieError, SimpleCookie

        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie", ""))
        except CookieError:
            return None
        morsel = jar.get(name)
        return morsel.value if morsel is not None else None


@dataclass
class Response:
    """What a handler answers."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    #: written chunk by chunk and flushed (server-sent events); the connection
    #: closes when the iterable ends or the client goes away
    stream: Optional[Iterable[bytes]] = None


def json_response(value: Any, status: int = 200) -> Response:
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Response(status, body.encode("utf-8", "surrogatepass"))


def error_response(status: int, message: str) -> Response:
    return json_response({"success": False, "error": message}, status)


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: str
    regex: re.Pattern[str]
    handler: Handler
    public: bool


class App:
    """Routes plus the API key check.

    :param api_key: the key every non-public route requires (given as
        ``?apikey=``, HTTP Basic with any user name, ``Authorization: Bearer``,
        ``X-API-Key``, or the ``hologram_api_key`` cookie)
    :param not_found: answers a path no route takes (default: a JSON 404)
    """

    def __init__(self, api_key: Optional[str], *, not_found: Optional[Handler] = None) -> None:
        self.api_key = api_key
        self.not_found = not_found
        self._routes: list[_Route] = []
        #: more ways to accept a request (e.g. a dashboard session); any True admits
        self.extra_auth: list[Callable[[Request], bool]] = []

    def add(self, method: str, pattern: str, handler: Handler, *, public: bool = False) -> None:
        """Serve ``method pattern`` (``{name}`` matches one path segment)."""
        regex = re.compile("^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(pattern)) + "$")
        self._routes.append(_Route(method.upper(), pattern, regex, handler, public))

    def route(
        self, method: str, pattern: str, *, public: bool = False
    ) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`add`."""

        def register(handler: Handler) -> Handler:
            self.add(method, pattern, handler, public=public)
            return handler

        return register

    def authorized(self, request: Request) -> bool:
        if self.api_key is None:
            return False
        given = _presented_key(request)
        if given is not None and hmac.compare_digest(
            given.encode("utf-8", "surrogateescape"), self.api_key.encode("utf-8")
        ):
            return True
        return any(check(request) for check in self.extra_auth)

    def handle(self, request: Request) -> Response:
        """The response to ``request``; never raises."""
        try:
            return self._dispatch(request)
        except HttpError as exc:
            return error_response(exc.status, exc.message)
        except Exception:
            logger.exception("%s %s failed", request.method, request.path)
            return error_response(500, "internal error (logged by the gateway)")

    def _dispatch(self, request: Request) -> Response:
        allowed: list[str] = []
        for route in self._routes:
            match = route.regex.match(request.path)
            if match is None:
                continue
            if route.method != request.method and not (
                route.method == "GET" and request.method == "HEAD"
            ):
                allowed.append(route.method)
                continue
            if not route.public and not self.authorized(request):
                raise HttpError(401, "a valid API key is required (apikey=..., or HTTP Basic)")
            request.params = {
                k: urllib.parse.unquote(v, errors="surrogateescape")
                for k, v in match.groupdict().items()
            }
            return route.handler(request)
        if allowed:
            response = error_response(405, f"{request.method} is not allowed here")
            response.headers["Allow"] = ", ".join(sorted(set(allowed)))
            return response
        if self.not_found is not None:
            return self.not_found(request)
        raise HttpError(404, f"no such resource: {request.path[:200]}")


def _presented_key(request: Request) -> Optional[str]:
    key = request.arg("apikey")
    if key:
        return key
    auth = request.headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "basic":
        import base64
        import binascii

        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return None
        return decoded.partition(":")[2]
    if scheme.lower() == "bearer":
        return value.strip()
    return request.headers.get("X-API-Key") or request.cookie("hologram_api_key")
