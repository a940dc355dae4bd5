"""The webhook route: ``--route http(s)://HOST[:PORT]/PATH`` POSTs each record's JSON.

The document is the MQTT route's (:func:`~.routes.document`), sent as
``application/json`` one record per request, in order. A 2xx answer marks the
row forwarded. A 4xx answer (other than 408 and 429) refuses that record for
good: it is marked failed with the status and the route goes on. Anything else
(no connection, a timeout, 5xx, 408, 429) is transient: the route is down, the
record stays pending and is tried again after the project's backoff.
Credentials in the URL are sent as HTTP Basic authentication.
"""

from __future__ import annotations

import base64
import http.client
import os
import socket
import ssl
import urllib.error
import urllib.request
from typing import Optional, Union

from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.cloud.routes import (
    FORWARDED,
    Done,
    Outcome,
    Outgoing,
    Route,
    RouteURL,
    StateListener,
    encode_document,
)

TIMEOUT = 10.0


class WebhookRoute(Route):
    """See the module docstring. Built by :func:`~.routes.make_route`."""

    window = 1
    probes = True

    def __init__(
        self, url: RouteURL, *, gateway: str, env: Union[dict[str, str], os._Environ[str]]
    ) -> None:
        super().__init__(url, gateway=gateway, env=env)
        host = f"[{url.host}]" if ":" in url.host else url.host
        query = "&".join(f"{k}={v}" for k, v in url.query.items() if k != "ca")
        self.target = f"{url.scheme}://{host}:{url.port}{url.path or '/'}" + (
            f"?{query}" if query else ""
        )
        self._headers = {"Content-Type": "application/json", "User-Agent": "hologram-gateway"}
        if url.username is not None:
            pair = f"{url.username}:{url.password or ''}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        self._context: Optional[ssl.SSLContext] = None
        if url.scheme == "https":
            ca = url.query.get("ca")
            if ca is not None and not os.path.isfile(ca):
                raise ConfigurationError(f"route {self.name}: CA file {ca} does not exist")
            self._context = ssl.create_default_context(cafile=ca)
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=self._context)
            if self._context
            else urllib.request.HTTPHandler()
        )
        self._up: Optional[bool] = None

    def start(self, on_state: StateListener) -> None:
        super().start(on_state)
        self._up = True  # until a POST says otherwise
        self._state(True)

    def submit(self, item: Outgoing, done: Done) -> None:
        body = encode_document(item, self.gateway)
        request = urllib.request.Request(
            self.target, data=body, headers=self._headers, method="POST"
        )
        try:
            with self._opener.open(request, timeout=TIMEOUT) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
        except (OSError, http.client.HTTPException, socket.timeout) as exc:
            self._set(False, _reason(exc))
            done(item, Outcome("retry", _reason(exc)))
            return
        if 200 <= status < 300:
            self._set(True)
            done(item, FORWARDED)
        elif 400 <= status < 500 and status not in (408, 429):
            self._set(True)
            done(item, Outcome("failed", f"HTTP {status} {_phrase(status)}"))
        else:
            self._set(False, f"HTTP {status} {_phrase(status)}")
            done(item, Outcome("retry", f"HTTP {status}"))

    def _set(self, up: bool, reason: str = "") -> None:
        if up is not self._up or not up:
            self._up = up
            self._state(up, reason)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__
