"""The dashboard's live stream: server-sent events of every message and SMS the cloud stores.

One ``EventHub`` thread watches the database for new rows (two indexed
``MAX(id)`` reads per tick; :meth:`EventHub.notify` wakes it at once when the
store says it wrote) and bumps a generation counter. Each stream (one per open
page) keeps its own cursor ``(message id, SMS id)``, waits for the generation to
change and reads what is past its cursor. So a slow browser holds no queue, and a
browser that reconnects sends ``Last-Event-ID`` and gets exactly what it missed.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from functools import partial
from typing import Any, Optional

from hologram_sdk.emulator.dashboard.queries import DashboardData

logger = logging.getLogger(__name__)

#: How often the hub looks for new rows when nobody calls notify().
DEFAULT_INTERVAL = 0.2
#: A comment line this often keeps proxies and the browser from timing out.
KEEPALIVE = 15.0
#: What the browser waits before reconnecting, in milliseconds.
RETRY_MS = 1000


class EventHub:
    """Tells waiting streams that the database has new rows.

    :param data: the dashboard's queries
    :param interval: seconds between looks at the database
    """

    def __init__(self, data: DashboardData, *, interval: float = DEFAULT_INTERVAL) -> None:
        self.data = data
        self.interval = interval
        self._cond = threading.Condition()
        self._generation = 0
        self._drops = 0
        self._closed = False
        self._wake = threading.Event()
        self._latest = data.last_ids()
        self._thread: Optional[threading.Thread] = None
        self.streams = 0

    def start(self) -> EventHub:
        """Start watching (a second call does nothing)."""
        with self._cond:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._run, name="dashboard-events", daemon=True
                )
                self._thread.start()
        return self

    def close(self) -> None:
        """Stop watching and end every stream (idempotent)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join()

    def __enter__(self) -> EventHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def latest(self) -> tuple[int, int]:
        """The newest ``(message id, SMS id)`` seen."""
        with self._cond:
            return self._latest

    def notify(self) -> None:
        """Look at the database now (the store calls this after a write)."""
        self._wake.set()

    def drop_streams(self) -> None:
        """End every open stream; browsers reconnect and resume where they were."""
        with self._cond:
            self._drops += 1
            self._cond.notify_all()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._closed:
                return
            try:
                latest = self.data.last_ids()
            except Exception:  # a closed or busy database: try again next tick
                logger.debug("cannot read the newest ids", exc_info=True)
                continue
            with self._cond:
                if latest != self._latest:
                    self._latest = latest
                    self._generation += 1
                    self._cond.notify_all()

    def _changed(self, drops: int, generation: int) -> bool:
        return self._closed or self._drops != drops or self._generation != generation

    def events(
        self, cursor: tuple[int, int], *, keepalive: float = KEEPALIVE
    ) -> Iterator[tuple[Optional[dict[str, Any]], tuple[int, int]]]:
        """``(item, cursor after it)`` for each new item past ``cursor`` as it comes;
        ``(None, cursor)`` as a keep-alive tick.

        Ends when the hub closes or :meth:`drop_streams` is called, from the
        moment of this call (not of the first ``next()``: a drop between the two
        must end this stream too). The first stream starts the hub's watcher if
        nobody has.
        """
        self.start()
        with self._cond:
            drops = self._drops
        return self._events(cursor, drops, keepalive)

    def _events(
        self, cursor: tuple[int, int], drops: int, keepalive: float
    ) -> Iterator[tuple[Optional[dict[str, Any]], tuple[int, int]]]:
        with self._cond:
            self.streams += 1
        try:
            while True:
                with self._cond:
                    if self._closed or self._drops != drops:
                        return
                    generation = self._generation
                    behind = cursor[0] < self._latest[0] or cursor[1] < self._latest[1]
                    if not behind:
                        self._cond.wait_for(
                            partial(self._changed, drops, generation), timeout=keepalive
                        )
                        if self._closed or self._drops != drops:
                            return
                        if self._generation == generation:
                            yield None, cursor
                            continue
                items = self.data.after(*cursor)
                for item in items:
                    if item["kind"] == "message":
                        cursor = (max(cursor[0], item["id"]), cursor[1])
                    else:
                        cursor = (cursor[0], max(cursor[1], item["id"]))
                    yield item, cursor
                if not items:  # nothing past the cursor after all: wait for the next write
                    with self._cond:
                        cursor = (max(cursor[0], self._latest[0]), max(cursor[1], self._latest[1]))
        finally:
            with self._cond:
                self.streams -= 1


def event_id(cursor: tuple[int, int]) -> str:
    """The SSE id for a cursor: ``"<message id>.<sms id>"``."""
    return f"{cursor[0]}.{cursor[1]}"


def parse_event_id(text: Optional[str]) -> Optional[tuple[int, int]]:
    """The cursor in a ``Last-Event-ID`` header, or ``None`` if absent or malformed."""
    if not text:
        return None
    parts = text.strip().split(".")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() and len(p) < 19 for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def format_event(item: dict[str, Any], cursor: tuple[int, int]) -> bytes:
    """One SSE event for ``item`` (``event: message`` or ``event: sms``)."""
    body = json.dumps(item, separators=(",", ":"), ensure_ascii=True)
    return f"id: {event_id(cursor)}\nevent: {item['kind']}\ndata: {body}\n\n".encode("ascii")
