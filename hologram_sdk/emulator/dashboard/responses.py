"""Writing responses on ``http.server``'s request handler: HTML, JSON, files, redirects.

Every response carries the same safety headers: a Content-Security-Policy that
allows only the dashboard's own scripts, styles and connections (no inline
script, so even a missed escape could not run), ``nosniff``, no framing and no
referrer. Data responses are never cached.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, Optional

SECURITY_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
)

#: Largest request body the dashboard reads (the send form, the login form).
MAX_BODY = 256 * 1024


def send(
    req: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str,
    *,
    headers: tuple[tuple[str, str], ...] = (),
    cache: Optional[str] = "no-store",
) -> None:
    """Write a whole response (status line, headers, body)."""
    req.send_response(status)
    req.send_header("Content-Type", content_type)
    req.send_header("Content-Length", str(len(body)))
    if cache:
        req.send_header("Cache-Control", cache)
    for name, value in (*SECURITY_HEADERS, *headers):
        req.send_header(name, value)
    req.end_headers()
    if req.command != "HEAD":
        req.wfile.write(body)


def send_html(
    req: BaseHTTPRequestHandler,
    html: str,
    status: int = HTTPStatus.OK,
    *,
    headers: tuple[tuple[str, str], ...] = (),
) -> None:
    """An HTML page."""
    send(req, status, html.encode("utf-8"), "text/html; charset=utf-8", headers=headers)


def send_json(
    req: BaseHTTPRequestHandler,
    payload: Any,
    status: int = HTTPStatus.OK,
    *,
    headers: tuple[tuple[str, str], ...] = (),
) -> None:
    """A JSON body (ASCII-only, so no byte a device sent can change its encoding)."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    send(req, status, body, "application/json", headers=headers)


def send_error_json(req: BaseHTTPRequestHandler, status: int, message: str) -> None:
    """``{"error": message}`` with ``status``."""
    send_json(req, {"error": message}, status)


def redirect(
    req: BaseHTTPRequestHandler, location: str, *, headers: tuple[tuple[str, str], ...] = ()
) -> None:
    """A 303 to ``location`` (a path on this server)."""
    req.send_response(HTTPStatus.SEE_OTHER)
    req.send_header("Location", location)
    req.send_header("Content-Length", "0")
    req.send_header("Cache-Control", "no-store")
    for name, value in (*SECURITY_HEADERS, *headers):
        req.send_header(name, value)
    req.end_headers()


class BodyError(Exception):
    """A request body that cannot be read: too large, or its length is missing."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def read_body(req: BaseHTTPRequestHandler, limit: int = MAX_BODY) -> bytes:
    """The request body (``Content-Length`` bytes, at most ``limit``).

    :raises BodyError: 411 without a length, 413 over ``limit``
    """
    length_text = req.headers.get("Content-Length")
    if length_text is None or not length_text.strip().isdigit():
        raise BodyError(HTTPStatus.LENGTH_REQUIRED, "Content-Length required")
    length = int(length_text)
    if length > limit:
        req.close_connection = True
        raise BodyError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {limit} bytes")
    return req.rfile.read(length) if length else b""
