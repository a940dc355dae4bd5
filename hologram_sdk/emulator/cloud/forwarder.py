"""The forwarder: one thread per route that sends stored rows out in order.

Stored first, forwarded after: the local cloud answers a device once its row
is committed, then wakes the forwarders (:meth:`Forwarder.notify`). Each
forwarder reads the rows its route has not settled (:class:`~.ledger.Ledger`),
hands up to ``route.window`` of them to the route in the order they were
received, and records each outcome when it comes back (in one transaction per
batch). While the route is down, rows wait in the database; they go out in
order when it is back. A record the destination refuses for good is marked
failed with the reason and the route goes on; a transient failure puts the
route's rows back in line and waits the project's backoff before the next try.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from dataclasses import dataclass
from typing import Optional

from hologram_sdk.base.backoff import Backoff
from hologram_sdk.emulator.cloud.ledger import FAILED, FORWARDED, Ledger, Settled
from hologram_sdk.emulator.cloud.routes import Outcome, Outgoing, Retries, Route


@dataclass(frozen=True)
class RouteStatus:
    """A route as ``hologram server`` and the REST API show it."""

    name: str
    up: bool
    reason: str
    pending: int
    forwarded: int
    failed: int

    def as_dict(self) -> dict[str, object]:
        return {
            "route": self.name,
            "state": "up" if self.up else "down",
            "reason": self.reason,
            "pending": self.pending,
            "forwarded": self.forwarded,
            "failed": self.failed,
        }


class Forwarder:
    """Sends one route's rows; ``start()``/``close()``, a context manager.

    :param ledger: the bookkeeping over the cloud's database
    :param route: the route (not started yet)
    :param backoff: delays between tries after a transient failure
    :param log: where state changes are told (once per change)
    """

    def __init__(
        self,
        ledger: Ledger,
        route: Route,
        *,
        backoff: Optional[Backoff] = None,
        log: Optional[logging.Logger] = None,
    ) -> None:
        self.ledger = ledger
        self.route = route
        self.name = route.name
        self.backoff = Retries(backoff if backoff is not None else Backoff(base=0.2, cap=10.0))
        self.log = log or logging.getLogger(__name__)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._outcomes: collections.deque[tuple[Outgoing, Outcome]] = collections.deque()
        self._inflight: dict[tuple[str, int], Outgoing] = {}
        self._up = False
        self._reason = "connecting"
        self._told: Optional[bool] = None  # the last state logged
        self._not_before = 0.0
        self._thread: Optional[threading.Thread] = None
        self._closed = False
        marks = ledger.register(self.name)
        self._after_m, self._after_s = marks.done_message, marks.done_sms

    # lifecycle

    def start(self) -> Forwarder:
        with self._lock:
            if self._thread is not None or self._closed:
                return self
            self._thread = threading.Thread(
                target=self._run, name=f"route {self.name}", daemon=True
            )
        self.route.start(self._on_state)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the thread and the route (idempotent); unsettled rows stay pending."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        self._stop.set()
        self._wake.set()
        if thread is not None:
            thread.join()
        self.route.close()
        try:
            self._settle()  # outcomes that came in while stopping
        except Exception:  # the store may be closing too; they stay pending
            self.log.debug("could not record the last outcomes of %s", self.name)

    def __enter__(self) -> Forwarder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # signals

    def notify(self) -> None:
        """A row was stored: look for work."""
        # per row, from the server loop: an Event already set needs no lock round
        # (the thread clears it before it looks for work, so nothing is missed)
        if not self._wake.is_set():
            self._wake.set()

    def status(self) -> RouteStatus:
        counts = self.ledger.counts(self.name)
        return RouteStatus(
            self.name, self._up, self._reason, counts.pending, counts.forwarded, counts.failed
        )

    @property
    def up(self) -> bool:
        return self._up

    def _on_state(self, up: bool, reason: str) -> None:
        self._up, self._reason = up, reason
        if up:
            self.backoff.reset()
            self._not_before = 0.0
        if self._told is not up:  # say each change once, not every failed reconnect
            self._told = up
            if up:
                self.log.info("route %s is up", self.name)
            else:
                self.log.warning(
                    "route %s is down (%s): messages are stored and wait for it",
                    self.name,
                    reason or "not connected",
                )
        self._wake.set()

    def _done(self, item: Outgoing, outcome: Outcome) -> None:
        self._outcomes.append((item, outcome))
        if not self._wake.is_set():  # per PUBACK: see notify
            self._wake.set()

    # the thread

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._settle()
                self._fill()
            except Exception:  # e.g. the store closed under us: wait and retry
                self.log.exception("route %s: forwarding failed", self.name)
                self._stop.wait(1.0)
            delay = self._not_before - time.monotonic()
            self._wake.wait(min(max(delay, 0.05), 1.0) if delay > 0 else 1.0)
            self._wake.clear()

    def _settle(self) -> None:
        settled: list[Settled] = []
        retry = False
        while self._outcomes:
            item, outcome = self._outcomes.popleft()
            self._inflight.pop(item.key, None)
            if outcome.state == "retry":
                retry = True
                self._reason = outcome.reason or self._reason
                self._rewind(item)
            elif outcome.state == FAILED:
                settled.append(Settled(item.kind, item.row, FAILED, outcome.reason))
                self.log.warning(
                    "route %s refused %s %d from %s: %s",
                    self.name,
                    item.kind,
                    item.row,
                    item.device,
                    outcome.reason,
                )
            else:
                settled.append(Settled(item.kind, item.row, FORWARDED))
        if retry:
            # put everything not settled back in line, in order, after a pause
            for item in self._inflight.values():
                self._rewind(item)
            self._inflight.clear()
            self._not_before = time.monotonic() + self.backoff.next()
        if settled:
            done_m, done_s = self._after_m, self._after_s
            for item in self._inflight.values():
                if item.kind == "message":
                    done_m = min(done_m, item.row - 1)
                else:
                    done_s = min(done_s, item.row - 1)
            self.ledger.settle(self.name, settled, done_m, done_s)

    def _rewind(self, item: Outgoing) -> None:
        """Read ``item`` (and what follows it) again on the next fill."""
        if item.kind == "message":
            self._after_m = min(self._after_m, item.row - 1)
        else:
            self._after_s = min(self._after_s, item.row - 1)

    def _fill(self) -> None:
        if (not self._up and not self.route.probes) or time.monotonic() < self._not_before:
            return
        room = self.route.window - len(self._inflight)
        while room > 0 and not self._stop.is_set():
            batch = self.ledger.pending(self.name, self._after_m, self._after_s, room)
            if not batch:
                return
            for item in batch:
                if item.kind == "message":
                    self._after_m = max(self._after_m, item.row)
                else:
                    self._after_s = max(self._after_s, item.row)
                self._inflight[item.key] = item
                self.route.submit(item, self._done)
                if self._outcomes and self._outcomes[-1][1].state == "retry":
                    return  # a synchronous route failed: settle first
            room = self.route.window - len(self._inflight)
