"""Per-instance, thread-safe publish/subscribe bus (the reference's ``Event``)."""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

logger = logging.getLogger(__name__)

Callback = Callable[..., Any]

#: Event names the SDK broadcasts (the reference's strings plus the outbox's).
MESSAGE_SENT = "message.sent"
MESSAGE_RECEIVED = "message.received"
MESSAGE_QUEUED = "message.queued"
MESSAGE_FAILED = "message.failed"
MESSAGE_DROPPED = "message.dropped"
NETWORK_CONNECTED = "network.connected"
NETWORK_DISCONNECTED = "network.disconnected"
CELLULAR_CONNECTED = "cellular.connected"
CELLULAR_DISCONNECTED = "cellular.disconnected"
SMS_RECEIVED = "sms.received"
#: before each reconnect attempt: ``{"attempt", "level", "delay", "reason"}``
NETWORK_RECONNECTING = "network.reconnecting"
#: a reconnect attempt failed: ``{"attempt", "status", "reason", "gave_up"}``
NETWORK_RECONNECT_FAILED = "network.reconnect_failed"
#: a modem's registration changed (+CREG/+CGREG URC); payload: its ``Registration``
MODEM_REGISTRATION = "modem.registration"
#: a modem reported its signal (Huawei ``^RSSI`` URC); payload: its ``Signal``
MODEM_SIGNAL = "modem.signal"
#: a modem reported where it is (+UULOC, +QGPSLOC); payload: its ``Location``
LOCATION_RECEIVED = "location.received"
#: an inbound message was dropped because the receive buffer was full;
#: payload: ``{"bytes": size of the dropped message, "dropped": total so far}``
INBOUND_DROPPED = "inbound.dropped"
#: a cloud's outbox file was damaged: moved aside and a fresh one started;
#: payload: ``{"path", "moved_to", "reason"}`` (``moved_to`` holds the old rows)
OUTBOX_DAMAGED = "outbox.damaged"
#: a cloud's outbox cannot be used: messages are sent directly, without
#: durability, until it can be opened again; payload: ``{"path", "reason"}``
OUTBOX_UNAVAILABLE = "outbox.unavailable"


def _wants_payload(callback: Callback) -> bool:
    """Whether ``callback`` can take one positional argument.

    Callbacks written for the reference take none; newer ones take the payload.
    """
    import inspect  # here, not at module level: it costs ~10 ms of import time

    try:
        sig = inspect.signature(callback)
    except (TypeError, ValueError):  # some builtins have no signature
        return False
    positional = 0
    for param in sig.parameters.values():
        if param.kind is param.VAR_POSITIONAL:
            return True
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            positional += 1
    return positional >= 1


class Event:
    """A publish/subscribe table owned by one object.

    Each instance has its own table: a cloud's callbacks never fire on another
    cloud's events. Callbacks taking no argument are called with none; a
    callback taking one argument receives the event's payload. An exception in a
    callback is logged and does not stop the other callbacks or reach the caller.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._table: dict[str, list[tuple[Callback, bool]]] = {}

    def subscribe(self, event: str, callback: Callback) -> None:
        """Register ``callback`` for ``event`` (a second registration is ignored)."""
        if not callable(callback):
            raise TypeError(f"callback for {event!r} is not callable: {callback!r}")
        entry = (callback, _wants_payload(callback))
        with self._lock:
            callbacks = self._table.setdefault(str(event), [])
            if all(existing != callback for existing, _ in callbacks):
                callbacks.append(entry)

    def unsubscribe(self, event: str, callback: Callback) -> None:
        """Remove ``callback`` from ``event``; unknown pairs are ignored."""
        with self._lock:
            callbacks = self._table.get(str(event), [])
            self._table[str(event)] = [c for c in callbacks if c[0] != callback]

    def broadcast(self, event: str, *args: Any) -> None:
        """Call every callback of ``event``; ``args[0]`` is the payload, if any."""
        if type(event) is not str:
            event = str(event)
        if not self._table.get(event):  # nobody listens: no lock, no copy (a dict read)
            return
        with self._lock:
            callbacks = list(self._table.get(event, ()))
        for callback, wants_payload in callbacks:
            try:
                if wants_payload and args:
                    callback(*args[:1])
                elif wants_payload:
                    callback(None)
                else:
                    callback()
            except Exception:
                logger.exception("callback %r for %r raised", callback, event)

    def subscriber_count(self, event: str) -> int:
        """How many callbacks ``event`` has (for tests and diagnostics)."""
        with self._lock:
            return len(self._table.get(str(event), ()))
