"""Who may see the dashboard: the API key once, then a session cookie.

The login form posts the API key; when it matches, the browser gets a cookie
``hologram_session`` (``HttpOnly``, ``SameSite=Strict``, ``Path=/``) whose value is
an HMAC of the key under a secret drawn when the server starts. The key itself is
never stored in the cookie, logged or echoed; restarting the server (or changing
the key) ends every session. Scripts may send the key instead, as
``Authorization: Bearer KEY`` or ``X-API-Key: KEY``, like the REST API.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from http.cookies import CookieError, SimpleCookie
from typing import Optional

from hologram_sdk.errors import ConfigurationError

COOKIE = "hologram_session"
#: Sessions last this long (seconds) unless the server restarts first.
SESSION_SECONDS = 7 * 24 * 3600
#: Shortest API key the dashboard accepts.
MIN_KEY_LENGTH = 8


class SessionAuth:
    """Checks the API key and the session cookies made from it.

    :param api_key: the server's API key
    :raises ConfigurationError: the key is empty or shorter than 8 characters
    """

    def __init__(self, api_key: str) -> None:
        if not isinstance(api_key, str) or len(api_key) < MIN_KEY_LENGTH:
            raise ConfigurationError(
                f"the API key must be a string of at least {MIN_KEY_LENGTH} characters"
            )
        self._key = api_key.encode("utf-8", "surrogatepass")
        self._token = hmac.new(
            secrets.token_bytes(32), b"dashboard session\0" + self._key, hashlib.sha256
        ).hexdigest()

    def __repr__(self) -> str:  # never show the key
        return "SessionAuth(masked)"

    def key_matches(self, candidate: Optional[str]) -> bool:
        """Whether ``candidate`` is the API key (constant time)."""
        if not candidate:
            return False
        return hmac.compare_digest(candidate.encode("utf-8", "surrogatepass"), self._key)

    def cookie_header(self, *, secure: bool = False) -> str:
        """The ``Set-Cookie`` value that logs a browser in."""
        flags = f"; Path=/; Max-Age={SESSION_SECONDS}; HttpOnly; SameSite=Strict"
        return f"{COOKIE}={self._token}{flags}" + ("; Secure" if secure else "")

    @staticmethod
    def logout_header() -> str:
        """The ``Set-Cookie`` value that logs a browser out."""
        return f"{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"

    def allowed(
        self, cookie: Optional[str], authorization: Optional[str], api_key: Optional[str]
    ) -> bool:
        """Whether a request with these headers may read the dashboard."""
        if api_key is not None and self.key_matches(api_key):
            return True
        if authorization and authorization[:7].lower() == "bearer ":
            if self.key_matches(authorization[7:].strip()):
                return True
        value = session_cookie(cookie)
        return value is not None and hmac.compare_digest(value, self._token)


def session_cookie(header: Optional[str]) -> Optional[str]:
    """The session cookie's value in a ``Cookie`` header, or ``None``."""
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None else None
