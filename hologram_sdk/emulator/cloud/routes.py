"""Routes: where the local cloud forwards what it stored (an MQTT broker, a webhook).

One registry, keyed by URL scheme, names the class behind each kind of route
(``"module", "Class"``); a route's module is imported only when a route of its
scheme is configured, so the MQTT client (paho-mqtt, the ``mqtt`` extra) is
loaded only by a gateway that forwards to a broker. Every route gets the same
:class:`Outgoing` records and the same JSON document (:func:`document`).

A route does one thing: hand one record to its destination and report the
outcome through the callback it was given (:class:`Outcome`). Ordering, the
database bookkeeping and retries are the :class:`~.forwarder.Forwarder`'s.
"""

from __future__ import annotations

import base64
import datetime
import importlib
import json
import os
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable, Optional, Union

from hologram_sdk.base.backoff import Backoff
from hologram_sdk.base.errors import ConfigurationError

#: scheme -> (module, class). The one place a new kind of route is added.
ROUTES: dict[str, tuple[str, str]] = {
    "mqtt": ("hologram_sdk.emulator.cloud.mqtt", "MqttRoute"),
    "mqtts": ("hologram_sdk.emulator.cloud.mqtt", "MqttRoute"),
    "http": ("hologram_sdk.emulator.cloud.webhook", "WebhookRoute"),
    "https": ("hologram_sdk.emulator.cloud.webhook", "WebhookRoute"),
}
VALID_ROUTE_SCHEMES = frozenset(ROUTES)

#: Environment variables read for a broker's credentials when the URL has none.
ENV_MQTT_USERNAME = "HOLOGRAM_MQTT_USERNAME"
ENV_MQTT_PASSWORD = "HOLOGRAM_MQTT_PASSWORD"
#: CA bundle for ``mqtts://`` (also ``?ca=FILE`` in the URL).
ENV_MQTT_CA = "HOLOGRAM_MQTT_CA"

DEFAULT_PREFIX = "hologram"


@dataclass(frozen=True)
class RouteURL:
    """A parsed ``--route`` URL. ``display`` never contains the password."""

    scheme: str
    host: str
    port: int
    path: str
    username: Optional[str] = field(default=None, repr=False)
    password: Optional[str] = field(default=None, repr=False)
    query: dict[str, str] = field(default_factory=dict)
    url: str = field(default="", repr=False)

    @property
    def display(self) -> str:
        """The URL without credentials: how the route is named in logs and the database."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.path}"


_DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883, "http": 80, "https": 443}


def parse_route_url(text: str) -> RouteURL:
    """Parse ``SCHEME://[user[:pass]@]HOST[:PORT][/PATH][?k=v]``.

    :raises ConfigurationError: unknown scheme, no host, or a bad port (one line)
    """
    if not isinstance(text, str) or "://" not in text:
        raise ConfigurationError(
            f"route {_safe(text)!r} is not a URL (expected e.g. mqtt://HOST:1883/PREFIX)"
        )
    parts = urllib.parse.urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ROUTES:
        valid = ", ".join(sorted(ROUTES))
        raise ConfigurationError(f"route scheme {scheme!r} is unknown; valid: {valid}")
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"route {_safe(text)!r}: the port must be 1..65535") from None
    if not parts.hostname:
        raise ConfigurationError(f"route {_safe(text)!r} has no host")
    if port == 0:
        raise ConfigurationError(f"route {_safe(text)!r}: the port must be 1..65535")
    query = dict(urllib.parse.parse_qsl(parts.query))
    return RouteURL(
        scheme=scheme,
        host=parts.hostname,
        port=port or _DEFAULT_PORTS[scheme],
        path=parts.path,
        username=urllib.parse.unquote(parts.username) if parts.username else None,
        password=urllib.parse.unquote(parts.password) if parts.password else None,
        query=query,
        url=text,
    )


def _safe(text: object) -> str:
    """``text`` with any password in it masked, for an error message."""
    s = str(text)
    try:
        parts = urllib.parse.urlsplit(s)
        if parts.password:
            return s.replace(f":{parts.password}@", ":***@")
    except ValueError:
        pass
    return s


def route_class(scheme: str) -> type[Route]:
    """The class for ``scheme``, importing its module now."""
    module, name = ROUTES[scheme]
    try:
        cls: type[Route] = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise ConfigurationError(
            f"{scheme}:// routes need {exc.name}: pip install 'hologram-sdk[mqtt]'"
        ) from exc
    return cls


def make_route(text: str, gateway: str, env: Optional[dict[str, str]] = None) -> Route:
    """Build (not start) the route for the URL ``text``.

    :raises ConfigurationError: bad URL, or a missing optional dependency
    """
    url = parse_route_url(text)
    return route_class(url.scheme)(url, gateway=gateway, env=os.environ if env is None else env)


# --- what is forwarded -------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One stored row on its way out: a device's message or SMS."""

    kind: str  # "message" | "sms"
    row: int
    device: str
    data: str
    received: float
    topics: tuple[str, ...] = ()
    destination: Optional[str] = None
    #: The bytes as received when they were not UTF-8 (``data`` then shows ``\\xNN``).
    raw: Optional[bytes] = None

    @property
    def key(self) -> tuple[str, int]:
        return self.kind, self.row


def message_id(gateway: str, kind: str, row: int) -> str:
    """The id consumers deduplicate on: unique across gateways (``gw-a:message:42``)."""
    return f"{gateway}:{kind}:{row}"


def document(item: Outgoing, gateway: str) -> dict[str, object]:
    """The JSON document every route sends for ``item``."""
    if item.raw is not None:
        data, encoding = base64.b64encode(item.raw).decode("ascii"), "base64"
    else:
        data, encoding = item.data, "utf-8"
    when = datetime.datetime.fromtimestamp(item.received, datetime.timezone.utc)
    doc: dict[str, object] = {
        "id": message_id(gateway, item.kind, item.row),
        "kind": item.kind,
        "gateway": gateway,
        "device": item.device,
        "topics": list(item.topics),
        "data": data,
        "encoding": encoding,
        "received": when.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "received_unix": item.received,
    }
    if item.destination is not None:
        doc["destination"] = item.destination
    return doc


#: one encoder for every document (``json.dumps`` with options builds one per call)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode_document(item: Outgoing, gateway: str) -> bytes:
    return _ENCODER.encode(document(item, gateway)).encode("utf-8", "surrogatepass")


def topic_level(text: str) -> str:
    """One MQTT topic level for a device name or Hologram topic: percent-encoded, so
    ``/``, ``+``, ``#`` and ``%`` cannot change the topic's structure."""
    return urllib.parse.quote(text, safe="", errors="surrogateescape") or "%00"


# --- retries -------------------------------------------------------------------


class Retries:
    """Failed tries in a row, and how long the project's one :class:`Backoff` says to
    wait before the next (``Backoff`` itself keeps no count)."""

    def __init__(self, backoff: Backoff) -> None:
        self.backoff = backoff
        self.attempt = 0

    def next(self) -> float:
        """The wait before the next try (and count this failure)."""
        delay = self.backoff.delay(self.attempt)
        self.attempt += 1
        return delay

    def reset(self) -> None:
        """A try succeeded: start again from the shortest wait."""
        self.attempt = 0


# --- outcomes ------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What became of one record: forwarded, refused for good (``failed``), or to retry."""

    state: str  # "forwarded" | "failed" | "retry"
    reason: str = ""


FORWARDED = Outcome("forwarded")
Done = Callable[[Outgoing, Outcome], None]
StateListener = Callable[[bool, str], None]


class Route:
    """Base of every route. Subclasses implement :meth:`start`, :meth:`submit`, :meth:`close`.

    :param url: the parsed URL
    :param gateway: this gateway's name (goes into every document)
    :param env: the environment to read credentials from
    """

    #: records the forwarder may hand over before the first outcome comes back
    window = 1
    #: True: a down route is tried again after the backoff (each try tells whether
    #: it is back: a webhook); False: it waits until it says it is up (a broker)
    probes = False
    #: set by the gateway: cloud-to-device messages and other gateways' "seen"
    #: announcements coming from the destination (only a broker has them)
    on_to_device: Optional[Callable[[str, bytes], None]] = None
    on_seen: Optional[Callable[[str, dict[str, object]], None]] = None

    def __init__(
        self, url: RouteURL, *, gateway: str, env: Union[dict[str, str], os._Environ[str]]
    ) -> None:
        self.url = url
        self.gateway = gateway
        self.name = url.display
        self._on_state: Optional[StateListener] = None

    def start(self, on_state: StateListener) -> None:
        """Begin connecting; ``on_state(up, reason)`` is called on every change."""
        self._on_state = on_state

    def submit(self, item: Outgoing, done: Done) -> None:
        """Hand ``item`` over; ``done(item, outcome)`` is called once, from any thread."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop (idempotent)."""

    def publish_seen(self, device: str, doc: dict[str, object]) -> None:
        """Tell the other gateways that this one saw ``device`` last (if the route can)."""

    def _state(self, up: bool, reason: str = "") -> None:
        if self._on_state is not None:
            self._on_state(up, reason)
