"""The dashboard's pages and static files, rendered from templates shipped as package data.

Pages are small HTML shells (``static/*.html``); the page's script fetches the
data as JSON and writes it with ``textContent``. The server fills only a few
``$placeholders`` (the device name, the login form's target), always
HTML-escaped, so nothing a device sent reaches the page as markup.
"""

from __future__ import annotations

import html
import mimetypes
import string
from functools import cache
from importlib import resources
from typing import Optional
from urllib.parse import quote

#: Files the server hands out under ``/static/`` (everything else is 404).
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


@cache
def static_file(name: str) -> Optional[tuple[bytes, str]]:
    """``(content, content type)`` of a shipped static file, or ``None``."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    suffix = name[name.rfind(".") :] if "." in name else ""
    kind = STATIC_TYPES.get(suffix)
    if kind is None:
        return None
    ref = resources.files("hologram_sdk.emulator.dashboard").joinpath("static").joinpath(name)
    try:
        return ref.read_bytes(), kind or mimetypes.guess_type(name)[0] or "application/octet-stream"
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


@cache
def _template(name: str) -> string.Template:
    ref = resources.files("hologram_sdk.emulator.dashboard").joinpath("static").joinpath(name)
    return string.Template(ref.read_text(encoding="utf-8"))


def render(name: str, **values: str) -> str:
    """The template ``static/<name>`` with every ``$key`` replaced by its escaped value."""
    escaped = {key: html.escape(value, quote=True) for key, value in values.items()}
    return _template(name).substitute(escaped)


def safe_next(target: Optional[str]) -> str:
    """A path on this server to go to after logging in (``/`` for anything else)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):
        return "/"
    return target


def login_page(*, next_path: str = "/", error: str = "") -> str:
    """The login form; ``error`` is shown above it."""
    return render(
        "login.html",
        next=safe_next(next_path),
        error=error,
        error_class="error" if error else "error hidden",
    )


def index_page() -> str:
    """The overview page."""
    return render("index.html")


def device_page(name: str) -> str:
    """One device's page."""
    return render("device.html", device=name, device_url=quote(name, safe=""))


def not_found_page(what: str) -> str:
    """The 404 page saying what was not found."""
    return render("notfound.html", what=what)
