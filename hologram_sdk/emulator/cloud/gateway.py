"""A gateway: the local cloud plus its routes, cloud-to-device queue and REST API.

``hologram server`` runs one. Several gateways (each its own ``--name``, port
and SQLite file) can share one MQTT broker: applications subscribe to the
broker and see the messages of all of them as one stream, and a to-device
message published there is delivered by the gateway that saw the device last.

Order of work for each device request: the row is committed (the device gets
its ``[0,0]``), then every route's forwarder is woken, and the device's address
is remembered for cloud-to-device delivery.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from typing import Any, Optional

from hologram_sdk.base.errors import HologramError
from hologram_sdk.emulator.cloud.devices import load_devices_file
from hologram_sdk.emulator.cloud.forwarder import Forwarder, RouteStatus
from hologram_sdk.emulator.cloud.ledger import Ledger
from hologram_sdk.emulator.cloud.records import Device, PathLike
from hologram_sdk.emulator.cloud.requests import push
from hologram_sdk.emulator.cloud.routes import make_route
from hologram_sdk.emulator.cloud.server import DEFAULT_HOST, DEFAULT_PORT, LocalCloud
from hologram_sdk.emulator.cloud.store import CloudStore
from hologram_sdk.emulator.cloud.todevice import DEFAULT_INBOUND_PORT, DEFAULT_TTL, ToDevice

logger = logging.getLogger("hologram_sdk.emulator.cloud")

_INDEXES = """
CREATE INDEX IF NOT EXISTS messages_device ON messages (device, id);
"""


class Gateway:
    """One gateway (``start``/``close``, a context manager).

    :param name: this gateway's name (in every forwarded document and message id;
        unique among gateways sharing a broker)
    :param routes: route URLs (``mqtt://``, ``mqtts://``, ``http://``, ``https://``)
    :param http_port: serve the REST API on this port (``0``: a free one); ``None``: no HTTP
    :param api_key: the REST API's key (required with ``http_port``)
    :param to_device_ttl: seconds a cloud-to-device message may wait
    :raises ConfigurationError: a bad route URL, devices file, or HTTP without a key
    """

    def __init__(
        self,
        *,
        name: str = "local",
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        db: PathLike = ":memory:",
        devices: Optional[PathLike] = None,
        routes: tuple[str, ...] = (),
        http_host: str = DEFAULT_HOST,
        http_port: Optional[int] = None,
        api_key: Optional[str] = None,
        to_device_ttl: float = DEFAULT_TTL,
        env: Optional[dict[str, str]] = None,
        **cloud_options: float,
    ) -> None:
        from hologram_sdk.base.errors import ConfigurationError

        if not name or "/" in name or any(c in name for c in "+#") or not name.isprintable():
            raise ConfigurationError(f"gateway name {name!r}: printable, without / + #")
        if http_port is not None and not api_key:
            raise ConfigurationError(
                "the REST API needs an API key: --api-key KEY or $HOLOGRAM_API_KEY"
            )
        self.name = name
        self.log = logger.getChild("Gateway")
        self._listed = load_devices_file(devices) if devices is not None else None
        self._routes = [make_route(url, name, env) for url in routes]  # parse everything first
        self.store = CloudStore(db)
        self.ledger: Ledger
        self.to_device: ToDevice
        self.forwarders: list[Forwarder] = []
        self.cloud: LocalCloud
        self._http: Optional[object] = None
        #: the web dashboard (with --http over a database file), added by its package
        self.dashboard: Optional[Any] = None
        try:
            self.store.ensure_schema(_INDEXES)
            self.ledger = Ledger(self.store)
            self.to_device = ToDevice(
                self.store,
                gateway=name,
                inbound_port=self.inbound_port,
                push=push,
                ttl=to_device_ttl,
                announce=self._announce,
                log=self.log,
            )
            self.forwarders = [Forwarder(self.ledger, r, log=self.log) for r in self._routes]
            self.cloud = LocalCloud(
                host,
                port,
                db=db,
                devices=devices,
                store=self.store,
                on_stored=self._stored,
                # devices registered on first contact: a name no other gateway gives
                device_prefix="device" if name == "local" else f"{name}.device",
                **cloud_options,  # type: ignore[arg-type]
            )
            if http_port is not None:
                from hologram_sdk.emulator.cloud import api
                from hologram_sdk.emulator.cloud.web.app import App
                from hologram_sdk.emulator.cloud.web.httpd import HttpServer

                self.app = App(api_key)
                api.install(self.app, self)
                self._http = HttpServer(self.app, http_host, http_port)
                from hologram_sdk.emulator.dashboard import gateway as dashboard

                self.dashboard = dashboard.install(self.app, self, str(api_key))
        except BaseException:
            self.store.close()
            raise
        for route in self._routes:  # a broker also carries to-device messages
            route.on_to_device = self._to_device_from_broker
            route.on_seen = self._seen_from_broker
        self._lock = threading.Lock()
        self._started = self._closed = False

    # lifecycle

    def start(self) -> Gateway:
        """Connect the routes, start delivering, then accept devices and HTTP."""
        with self._lock:
            if self._closed:
                raise HologramError("this Gateway is closed; create a new one")
            if self._started:
                return self
            self._started = True
        try:
            for forwarder in self.forwarders:
                forwarder.start()
            self.to_device.start()
            self.cloud.start()
            if self._http is not None:
                self._http.start()  # type: ignore[attr-defined]
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Stop accepting, stop the routes (unsent rows stay pending), close (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self.dashboard is not None:
            self.dashboard.end_streams()
        if self._http is not None:
            self._http.close()  # type: ignore[attr-defined]
        if self.dashboard is not None:
            self.dashboard.close()
        self.cloud.close()
        self.to_device.close()
        for forwarder in self.forwarders:
            forwarder.close()
        self.store.close()

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def address(self) -> tuple[str, int]:
        return self.cloud.address

    @property
    def http_url(self) -> Optional[str]:
        return self._http.url if self._http is not None else None  # type: ignore[attr-defined]

    # what happens per request

    def _stored(self, kind: str, row: int, device: Device, peer: str) -> None:
        for forwarder in self.forwarders:
            forwarder.notify()
        if self.dashboard is not None:
            self.dashboard.hub.notify()
        host = peer.rsplit(":", 1)[0] if ":" in peer else peer
        self.to_device.saw(device.name, host)

    def _announce(self, device: str, address: str) -> None:
        doc = {"gateway": self.name, "address": address, "seen": time.time()}
        for route in self._routes:
            route.publish_seen(device, doc)

    def _to_device_from_broker(self, device: str, payload: bytes) -> None:
        self.to_device.enqueue(device, payload, source="mqtt")

    def _seen_from_broker(self, device: str, doc: dict[str, object]) -> None:
        gateway, address, when = doc.get("gateway"), doc.get("address"), doc.get("seen")
        if isinstance(gateway, str) and isinstance(address, str) and isinstance(when, (int, float)):
            self.to_device.seen_elsewhere(device, gateway, address, float(when))

    # views

    def devices(self) -> list[Device]:
        return list(self._listed) if self._listed is not None else self.store.devices()

    def inbound_port(self, device: str) -> int:
        for d in self.devices():
            if d.name == device and d.inbound_port is not None:
                return d.inbound_port
        return DEFAULT_INBOUND_PORT

    def device_list(self) -> list[dict[str, object]]:
        """Devices as the REST API shows them (never their keys)."""

        def work(db: sqlite3.Connection) -> tuple[dict[str, tuple], dict[str, int]]:  # type: ignore[type-arg]
            seen = {r[0]: r[1:] for r in db.execute("SELECT * FROM device_seen")}
            counts = dict(db.execute("SELECT device, COUNT(*) FROM messages GROUP BY device"))
            return seen, counts

        seen, counts = self.store.run(work)
        out = []
        for d in self.devices():
            last = seen.get(d.name)
            out.append(
                {
                    "id": d.name,
                    "name": d.name,
                    "auth": d.kind,
                    "inbound_port": d.inbound_port or DEFAULT_INBOUND_PORT,
                    "last_address": last[0] if last else None,
                    "last_gateway": last[1] if last else None,
                    "last_seen": last[2] if last else None,
                    "messages": counts.get(d.name, 0),
                }
            )
        return out

    def route_status(self) -> list[RouteStatus]:
        return [f.status() for f in self.forwarders]
