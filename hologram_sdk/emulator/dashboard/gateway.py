"""The dashboard on a gateway's HTTP server, beside the REST API.

:func:`install` adds the dashboard's routes to the gateway's routing table (as
public routes: each handler checks the dashboard session itself) and wires it
to the gateway: the device list (auth methods, listed devices), the routes'
state and backlog, the store's "row written" signal for the live stream, and
the send form, which queues through the cloud-to-device queue exactly as the
REST API's ``POST /api/1/devices/{id}/messages`` and ``/api/1/sms/incoming`` do.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from hologram_sdk.emulator.dashboard.app import Dashboard, open_dashboard
from hologram_sdk.emulator.dashboard.sending import (
    InboundLog,
    PushSender,
    SendError,
    SendRequest,
)

logger = logging.getLogger(__name__)

#: Longest SMS the form sends (the REST API's limit).
MAX_SMS = 160


class QueueSender:
    """The send form through the gateway's cloud-to-device queue.

    With an explicit address (``HOST:PORT`` in the form) the message is pushed
    there at once instead, and the outcome shown right away.
    """

    def __init__(self, gateway: Any, inbound: InboundLog) -> None:
        self.gateway = gateway
        self.direct = PushSender(lambda name: None, inbound)

    def __call__(self, order: SendRequest) -> dict[str, Any]:
        if order.address and order.kind == "message":
            return self.direct(order)
        if order.kind == "sms" and len(order.text) > MAX_SMS:
            raise SendError(f"an SMS is at most {MAX_SMS} characters")
        row = self.gateway.to_device.enqueue(
            order.device, order.text.encode("utf-8"), source="dashboard", kind=order.kind
        )
        state = "stored" if order.kind == "sms" else "pending"
        return {"queued": row, "state": state}


def route_rows(gateway: Any) -> list[dict[str, Any]]:
    """The gateway's routes as the page shows them."""
    return [
        {
            "name": s.name,
            "state": "up" if s.up else "down",
            "reason": s.reason,
            "backlog": s.pending,
            "forwarded": s.forwarded,
            "failed": s.failed,
        }
        for s in gateway.route_status()
    ]


def install(app: Any, gateway: Any, api_key: str, **options: Any) -> Optional[Dashboard]:
    """Serve the dashboard from ``app`` (the gateway's routing table) over its database.

    :returns: the dashboard (its watcher starts with the first page that follows the
        live stream; close it with the gateway), or ``None`` when the gateway keeps
        nothing on disk (``:memory:``)
    """
    path = gateway.store.path
    if path == ":memory:":
        logger.warning("no dashboard: the local cloud keeps its database in memory (use --db)")
        return None
    inbound = InboundLog()
    dashboard = open_dashboard(
        path,
        api_key,
        sender=QueueSender(gateway, inbound),
        inbound=inbound,
        device_info=lambda: {d.name: {"auth": d.kind} for d in gateway.devices()},
        route_status=lambda: route_rows(gateway),
        **options,
    )
    for route in dashboard.routes:
        app.add(route.method, route.pattern, route.handler, public=True)
    return dashboard
