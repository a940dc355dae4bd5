"""The local cloud's REST API, shaped after Hologram's public REST API (``/api/1/...``).

Every answer is JSON: ``{"success": true, "data": ...}`` or ``{"success":
false, "error": "..."}`` with 400 (malformed input), 401 (no or wrong API
key), 404 (unknown device or path). Device ids are device names.

=======================================  =============================================
``GET  /health``                         no key needed: ``{"success": true, ...}``
``GET  /api/1/devices``                  devices, with last seen / address / inbound port
``GET  /api/1/devices/{id}``             one device
``GET  /api/1/csr/rdm?deviceid=&limit=&startafter=``
                                         messages, newest first; ``startafter=ID`` pages to
                                         older ones (``continues``, ``lastid`` say how)
``GET  /api/1/devices/{id}/messages``    the same for one device
``POST /api/1/devices/messages``         to devices: ``{"deviceids": [...], "data": "..."}``
                                         (or ``"base64data"``); queued, delivered to port 4010
``POST /api/1/devices/{id}/messages``    the same for one device: ``{"data": "..."}``
``POST /api/1/sms/incoming``             an SMS to a device: ``{"deviceid": ..., "body": ...}``
``GET  /api/1/to-device?deviceid=&state=``  the cloud-to-device queue
``GET  /api/1/routes``                   each route: up/down, pending, forwarded, failed
``GET  /api/1/plans``                    the local plan (one, free), for ``Hologram.Api``
``POST /api/1/links/cellular/sim_{iccid}/claim``
                                         activate a SIM (form or JSON ``plan``, ``tier``)
``GET  /api/1/links/cellular?sim=``      a claimed SIM's link (``state``: ``LIVE``)
=======================================  =============================================

The last three make the 0.10 SDK's ``Hologram.Api`` work against a local cloud:
SIMs claimed here are only remembered in its database.
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
import time
import urllib.parse
from typing import TYPE_CHECKING, Any, Optional

from hologram_sdk.emulator.cloud.web.app import App, HttpError, Request, Response, json_response

if TYPE_CHECKING:
    from hologram_sdk.emulator.cloud.gateway import Gateway

MAX_LIMIT = 1000
DEFAULT_LIMIT = 50


def install(app: App, gateway: Gateway) -> None:
    """Add the REST API's routes to ``app``."""
    api = _Api(gateway)
    app.add("GET", "/health", api.health, public=True)
    app.add("GET", "/api/1/devices", api.devices)
    app.add("GET", "/api/1/devices/{id}", api.device)
    app.add("GET", "/api/1/csr/rdm", api.messages)
    app.add("GET", "/api/1/devices/{id}/messages", api.device_messages)
    app.add("POST", "/api/1/devices/messages", api.send_many)
    app.add("POST", "/api/1/devices/{id}/messages", api.send_one)
    app.add("POST", "/api/1/sms/incoming", api.send_sms)
    app.add("GET", "/api/1/to-device", api.to_device)
    app.add("GET", "/api/1/routes", api.routes)
    app.add("GET", "/api/1/plans", api.plans)
    app.add("POST", "/api/1/links/cellular/{sim}/claim", api.claim)
    app.add("GET", "/api/1/links/cellular", api.links)


def _ok(data: Any, **extra: Any) -> Response:
    return json_response({"success": True, **extra, "data": data})


_SIMS = """
CREATE TABLE IF NOT EXISTS sims (
    iccid TEXT PRIMARY KEY,
    plan TEXT,
    zone TEXT,
    state TEXT NOT NULL,
    claimed REAL NOT NULL
);
"""
LOCAL_PLAN = {
    "id": 0,
    "name": "local",
    "description": "the local cloud: no data limits, no charges",
    "data": 0,
    "recurring": False,
    "enabled": True,
}


class _Sims:
    """What ``Hologram.Api`` needs: plans, claiming a SIM, a SIM's state."""

    def __init__(self, gateway: Gateway) -> None:
        self.gw = gateway
        gateway.store.ensure_schema(_SIMS)

    def plans(self, request: Request) -> Response:
        return _ok([LOCAL_PLAN])

    def claim(self, request: Request) -> Response:
        sim = request.params["sim"]
        if not sim.startswith("sim_") or not sim[4:].isdigit() or not 18 <= len(sim) - 4 <= 22:
            raise HttpError(404, f"no such SIM link: {sim[:40]!r} (expected sim_<ICCID>)")
        iccid = sim[4:]
        form = _form(request)
        for key in ("plan", "tier"):
            if not isinstance(form.get(key), (str, int, float, type(None))) or isinstance(
                form.get(key), bool
            ):
                raise HttpError(400, f"{key} must be a plan id or name (a number or text)")
        if request.arg("preview"):
            return json_response({"success": True, "order_data": {"preview": True,
                                                                  "total_cost": 0}})
        self.gw.store.run(
            lambda db: db.execute(
                "INSERT OR REPLACE INTO sims VALUES (?, ?, ?, 'LIVE', ?)",
                (iccid, form.get("plan"), form.get("tier"), time.time()),
            ),
            write=True,
        )
        return json_response({"success": True, "order_data": {"sims": [iccid],
                                                              "total_cost": 0}})

    def links(self, request: Request) -> Response:
        sim = request.arg("sim")
        sql, args = "SELECT iccid, plan, zone, state, claimed FROM sims", []
        if sim:
            sql += " WHERE iccid = ?"
            args.append(sim)
        rows = self.gw.store.run(lambda db: db.execute(sql, args).fetchall())
        return _ok([{"sim": r[0], "iccid": r[0], "plan": r[1], "zone": r[2], "state": r[3],
                     "claimed": r[4]} for r in rows])


class _Api(_Sims):
    def __init__(self, gateway: Gateway) -> None:
        super().__init__(gateway)

    def health(self, request: Request) -> Response:
        return json_response({"success": True, "status": "ok", "gateway": self.gw.name})

    # devices

    def devices(self, request: Request) -> Response:
        return _ok(self.gw.device_list())

    def device(self, request: Request) -> Response:
        return _ok(self._known(request.params["id"]))

    def _known(self, name: str) -> dict[str, object]:
        for entry in self.gw.device_list():
            if entry["name"] == name:
                return entry
        raise HttpError(404, f"no device named {name[:80]!r}")

    # messages from devices

    def messages(self, request: Request) -> Response:
        device = request.arg("deviceid")
        if device is not None:
            self._known(device)
        return self._page(request, device)

    def device_messages(self, request: Request) -> Response:
        return self._page(request, self._known(request.params["id"])["name"])  # type: ignore[arg-type]

    def _page(self, request: Request, device: Optional[str]) -> Response:
        limit = request.int_arg("limit", DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
        before = request.int_arg("startafter", 0, low=0)
        sql = "SELECT id, device, topics, data, received, raw FROM messages WHERE 1"
        args: list[object] = []
        if device is not None:
            sql += " AND device = ?"
            args.append(device)
        if before:
            sql += " AND id < ?"
            args.append(before)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit + 1)

        def work(db: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return db.execute(sql, args).fetchall()

        rows = self.gw.store.run(work)
        more = len(rows) > limit
        rows = rows[:limit]
        states = self.gw.ledger.states("message", [r[0] for r in rows]) if rows else {}
        data = []
        for r in rows:
            text, encoding = r[3], "utf-8"
            if r[5] is not None:
                text, encoding = base64.b64encode(r[5]).decode("ascii"), "base64"
            data.append(
                {
                    "id": r[0],
                    "device": r[1],
                    "topics": json.loads(r[2]),
                    "data": text,
                    "encoding": encoding,
                    "received": r[4],
                    "routes": {
                        k: {"state": s, "reason": why} for k, (s, why) in states[r[0]].items()
                    },
                }
            )
        return _ok(
            data,
            limit=limit,
            size=len(data),
            continues=more,
            lastid=data[-1]["id"] if data else None,
        )

    # to devices

    def send_many(self, request: Request) -> Response:
        body = _object(request)
        ids = body.get("deviceids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise HttpError(400, "deviceids must be a non-empty list of device names")
        return self._send(ids, body)

    def send_one(self, request: Request) -> Response:
        return self._send([request.params["id"]], _object(request))

    def _send(self, names: list[str], body: dict[str, Any]) -> Response:
        data = _payload(body)
        for name in names:
            self._known(name)
        queued = [self.gw.to_device.enqueue(n, data, source="api") for n in names]
        return _ok({"ids": queued, "state": "pending"})

    def send_sms(self, request: Request) -> Response:
        body = _object(request)
        name, text = body.get("deviceid"), body.get("body")
        if not isinstance(name, str) or not isinstance(text, str) or not text:
            raise HttpError(400, "give deviceid (a device name) and body (the text)")
        if len(text) > 160:
            raise HttpError(400, "an SMS is at most 160 characters")
        self._known(name)
        row = self.gw.to_device.enqueue(name, text.encode("utf-8"), source="api", kind="sms")
        return _ok({"id": row, "state": "stored"})

    def to_device(self, request: Request) -> Response:
        device = request.arg("deviceid")
        state = request.arg("state")
        limit = request.int_arg("limit", DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
        after = request.int_arg("startafter", 0, low=0)
        rows = self.gw.to_device.messages(device, after=after, limit=MAX_LIMIT if state else limit)
        if state:
            rows = [r for r in rows if r.state == state][:limit]
        return _ok([r.as_dict() for r in rows], counts=self.gw.to_device.counts())

    def routes(self, request: Request) -> Response:
        return _ok(
            [s.as_dict() for s in self.gw.route_status()], to_device=self.gw.to_device.counts()
        )


def _form(request: Request) -> dict[str, Any]:
    """The body as a form (``requests``' ``data=``) or as a JSON object."""
    kind = request.headers.get("Content-Type", "")
    if "json" in kind:
        return _object(request)
    pairs = urllib.parse.parse_qsl(request.body.decode("utf-8", "replace"))
    return dict(pairs)


def _object(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise HttpError(400, "the body must be a JSON object")
    return body


def _payload(body: dict[str, Any]) -> bytes:
    if isinstance(body.get("base64data"), str):
        try:
            return base64.b64decode(body["base64data"], validate=True)
        except (binascii.Error, ValueError):
            raise HttpError(400, "base64data is not valid base64") from None
    data = body.get("data")
    if not isinstance(data, str) or not data:
        raise HttpError(400, "give data (text) or base64data")
    return data.encode("utf-8", "surrogatepass")
