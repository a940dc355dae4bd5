"""What a cloud uses of the outbox: a lazily opened store and one flusher per destination.

A damaged or unusable outbox never stops a cloud from sending (issue 15):

- a **damaged** file (not a database, truncated, partly overwritten: found at
  open or by any later read or write, the flushers' included) is moved aside
  (``outbox.db.damaged-<UTC time>``, with its ``-wal``/``-shm``; never
  deleted), a fresh outbox is started in its place, and that is said once:
  a WARNING line and ``outbox.damaged``. ``hologram outbox recover`` salvages
  the old file's readable rows back into the queue;
- an outbox that **cannot be opened** (read-only file system or directory, a
  newer schema, a damaged file that cannot be moved) turns durability off:
  :meth:`CloudOutbox.has_pending` answers ``False``, so the cloud sends
  directly; a message that would have to wait raises :class:`OutboxError` to
  the caller instead of being stored. Said once (a WARNING line and
  ``outbox.unavailable``); opening is tried again at most every
  :attr:`CloudOutbox.retry_interval` seconds when a message has to wait.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional, Union

from hologram_sdk.base.errors import (
    ConfigurationError,
    OutboxCorruptError,
    OutboxError,
    OutboxFullError,
)
from hologram_sdk.base.events import (
    MESSAGE_DROPPED,
    MESSAGE_FAILED,
    MESSAGE_QUEUED,
    OUTBOX_DAMAGED,
    OUTBOX_UNAVAILABLE,
    Event,
)
from hologram_sdk.outbox.delivery import (
    DEFAULT_BASE,
    DEFAULT_CAP,
    OutboxDelivery,
    Send,
)
from hologram_sdk.outbox.item import OutboxItem, TopicsArg, default_path
from hologram_sdk.outbox.salvage import directory_lock, file_identity, move_aside
from hologram_sdk.outbox.store import Outbox

logger = logging.getLogger(__name__)

#: What a cloud's ``outbox=`` accepts: ``None`` (the default file), ``False``
#: (no outbox), a path, or an :class:`Outbox`.
OutboxSpec = Union[None, bool, str, "os.PathLike[str]", Outbox]


class CloudOutbox:
    """A cloud's link to the durable outbox.

    The store is opened only when first needed, or at once when its file
    already holds messages for ``destinations`` (left by an earlier run: they
    are delivered now); a file with nothing for them is not kept open.
    A delivery thread for a destination starts only when something waits for it.
    A damaged file is replaced, an unusable one turns durability off (see the
    module docstring).

    :param spec: ``None`` for :func:`default_path`, ``False`` for no outbox, a
        path, or an :class:`Outbox` (used as is, and not closed by :meth:`close`)
    :param event: the cloud's bus: ``message.queued``/``sent``/``failed``/``dropped``,
        ``outbox.damaged``, ``outbox.unavailable``
    :param send: delivers one item (``tcp_send`` with the cloud's transport)
    :param ready: whether the link is up; deliveries wait for :meth:`wake` while not
    :param destinations: the destinations whose waiting messages are delivered
        from the start (the cloud's own)
    :param options: passed to :class:`Outbox` when this link opens it
        (``max_messages``, ``max_bytes``, ``policy``, ...)
    :param monotonic: the clock for :attr:`retry_interval`
    """

    #: Seconds between attempts to open an outbox that could not be opened.
    retry_interval = 30.0

    def __init__(
        self,
        spec: OutboxSpec,
        *,
        event: Event,
        send: Send,
        ready: Callable[[], bool],
        destinations: tuple[str, ...] = (),
        base: float = DEFAULT_BASE,
        cap: float = DEFAULT_CAP,
        options: Optional[dict[str, Any]] = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if spec is True:
            spec = None
        if not (spec is None or spec is False or isinstance(spec, (str, os.PathLike, Outbox))):
            raise ConfigurationError(
                f"outbox must be None, False, a path or an Outbox, not {type(spec).__name__}"
            )
        self.enabled = spec is not False
        self.event = event
        self._send = send
        self._ready = ready
        self._base = base
        self._cap = cap
        self._options = dict(options or {})
        self._monotonic = monotonic
        self._lock = threading.RLock()
        self._closed = False
        self._deliveries: dict[str, OutboxDelivery] = {}
        self._retired: list[OutboxDelivery] = []
        self._given = spec if isinstance(spec, Outbox) else None
        self._box: Optional[Outbox] = self._given
        #: Why durability is off (the outbox cannot be used), or ``None``.
        self.unavailable: Optional[str] = None
        self._retry_at = 0.0
        # destination -> the store's change stamp when it last held nothing for it
        self._empty: dict[str, bytes] = {}
        self.path: Optional[Path] = None
        if isinstance(spec, Outbox):
            self.path = spec.path
            if spec.event is not event:  # tell the cloud's subscribers too
                spec.event.subscribe(MESSAGE_DROPPED, self._forward_dropped)
                spec.event.subscribe(MESSAGE_FAILED, self._forward_failed)
        elif spec is not False:
            self.path = Path(spec) if spec is not None else default_path()
        if self.enabled and (self._given is not None or self._exists()):
            try:
                box = self.outbox()
            except OutboxError:  # said once by _unusable; the cloud works without it
                return
            waiting = [d for d in destinations if self.has_pending(d)]
            for destination in waiting:
                self._delivery(destination).start()
            if not waiting and self._given is None:  # reopened when needed
                with self._lock:
                    if self._box is not box:  # replaced meanwhile
                        box = self._box
                    self._box = None
                if box is not None:
                    box.close()

    def _forward_dropped(self, item: OutboxItem) -> None:
        self.event.broadcast(MESSAGE_DROPPED, item)

    def _forward_failed(self, item: OutboxItem) -> None:
        self.event.broadcast(MESSAGE_FAILED, item)

    def _exists(self) -> bool:
        return self.path is not None and self.path.exists()

    def outbox(self, create: bool = True) -> Optional[Outbox]:
        """The store (opened now if needed); ``None`` when disabled, or when
        ``create`` is false and the file does not exist yet.

        :raises OutboxError: the outbox cannot be used (durability is off)
        """
        if not self.enabled:
            return None
        with self._lock:
            if self._box is None:
                if self._closed:
                    raise OutboxError("the cloud was closed")
                if not create and not self._exists():
                    return None
                self._box = self._open()
            elif self.unavailable is not None:  # a given Outbox that is damaged
                raise OutboxError(self._off())
            return self._box

    def _off(self) -> str:
        return f"the outbox cannot be used ({self.unavailable}): durability is off"

    def _open(self) -> Outbox:
        """Open the file (under the lock); a damaged one is replaced by a fresh one."""
        assert self.path is not None
        if self.unavailable is not None and self._monotonic() < self._retry_at:
            raise OutboxError(self._off())
        identity = file_identity(self.path)
        try:
            box = Outbox(self.path, event=self.event, **self._options)
        except OutboxCorruptError as exc:
            box = self._replace(identity, exc)
        except OutboxError as exc:
            raise self._unusable(str(exc)) from exc
        if self.unavailable is not None:
            logger.warning("outbox %s can be used again: durability is back on", self.path)
            self.unavailable = None
        return box

    def _unusable(self, reason: str) -> OutboxError:
        """Turn durability off (said once); the error for whoever needed the outbox."""
        self._retry_at = self._monotonic() + self.retry_interval
        if self.unavailable is None:
            self.unavailable = reason
            logger.warning(
                "outbox not usable, messages are sent directly without durability "
                "(a message that cannot be sent now raises instead of waiting): %s",
                reason,
            )
            self.event.broadcast(OUTBOX_UNAVAILABLE, {"path": str(self.path), "reason": reason})
        self.unavailable = reason
        return OutboxError(self._off())

    def _replace(self, identity: Optional[tuple[int, int]], exc: OutboxError) -> Outbox:
        """Move the damaged file aside and open a fresh one (under the lock)."""
        assert self.path is not None
        reason = str(exc)
        try:
            with directory_lock(self.path.parent):
                moved = move_aside(self.path, identity)
                box = Outbox(self.path, event=self.event, **self._options)
        except OSError as error:
            raise self._unusable(f"{reason}; it cannot be moved aside: {error}") from exc
        except OutboxError as error:
            raise self._unusable(f"{reason}; and then: {error}") from exc
        if moved is None:  # another process moved it and started this fresh one
            logger.info("outbox %s was damaged and has been replaced already", self.path)
            return box
        logger.warning(
            "outbox %s is damaged (%s): moved aside to %s and a fresh outbox started; "
            "salvage its messages with: hologram outbox recover %s",
            self.path,
            reason,
            moved,
            moved,
        )
        self.event.broadcast(
            OUTBOX_DAMAGED, {"path": str(self.path), "moved_to": str(moved), "reason": reason}
        )
        return box

    def _damaged(self, box: Outbox, exc: OutboxCorruptError) -> Optional[Outbox]:
        """``box`` turned out damaged during use: stop its flushers and replace it.

        :returns: the fresh store, or ``None`` when durability is off now
        """
        with self._lock:
            if self._box is not box:  # replaced already (by a flusher or another call)
                return self._box
            for delivery in self._deliveries.values():
                delivery.stop()
                self._retired.append(delivery)
            self._deliveries.clear()
            if box is self._given:  # not ours to move: durability off
                self._unusable(str(exc))
                self._retry_at = float("inf")
                return None
            self._box = None
            box.close()
            try:
                self._box = self._replace(box.identity, exc)
            except OutboxError:
                return None
            return self._box

    def _on_delivery_error(self, box: Outbox, exc: OutboxError) -> None:
        """A flusher's round stopped on an outbox error: a damaged file is replaced."""
        if isinstance(exc, OutboxCorruptError):
            self._damaged(box, exc)

    def has_pending(self, destination: str) -> bool:
        """Whether messages wait for ``destination`` (opens nothing that does not exist).

        ``False`` while durability is off, so the cloud sends directly.
        """
        try:
            box = self.outbox(create=False)
        except OutboxError:
            if self.unavailable is not None:
                return False
            raise
        if box is None:
            return False
        stamp = box.change_stamp()  # before the query: a commit after it changes it
        if stamp is not None and self._empty.get(destination) == stamp:
            return False  # nothing committed by anyone since it held nothing
        try:
            pending = box.has_pending(destination)
        except OutboxCorruptError as exc:
            fresh = self._damaged(box, exc)
            return fresh is not None and fresh.has_pending(destination)
        if pending or stamp is None:
            self._empty.pop(destination, None)
        else:
            self._empty[destination] = stamp
        return pending

    def still_empty(self, destination: str) -> bool:
        """Whether nothing can wait for ``destination``: :meth:`has_pending` said
        so and no process has committed anything to the file since (one
        ``pread``, no lock, no SQLite). ``False`` means "ask :meth:`has_pending`"."""
        box = self._box
        stamp = self._empty.get(destination)
        return box is not None and stamp is not None and box.change_stamp() == stamp

    def queue(
        self,
        destination: str,
        kind: str,
        body: bytes,
        topics: TopicsArg = None,
        text: Optional[str] = None,
    ) -> OutboxItem:
        """Store a message, broadcast ``message.queued`` and make sure it gets delivered.

        :raises OutboxFullError: full with policy ``reject``, or the new message
            was dropped by ``drop_newest`` (``message.dropped`` was broadcast)
        :raises OutboxError: the disk is full, the file unwritable, or the
            outbox cannot be used (durability is off): the message was not stored
        """
        box = self.outbox()
        assert box is not None  # queue() is only called when enabled
        try:
            item = box.put(destination, kind, body, topics, text=text)
        except OutboxCorruptError as exc:
            fresh = self._damaged(box, exc)
            if fresh is None:
                raise OutboxError(self._off()) from exc
            box = fresh
            item = box.put(destination, kind, body, topics, text=text)
        if item is None:
            raise OutboxFullError(
                f"outbox {str(box.path)!r} is full and its policy drop_newest dropped this "
                "message (message.dropped was broadcast)"
            )
        logger.info("message %d queued for %s", item.id, destination)
        self.event.broadcast(MESSAGE_QUEUED, item)
        delivery = self._delivery(destination)
        delivery.start()
        delivery.nudge()
        return item

    def _delivery(self, destination: str) -> OutboxDelivery:
        with self._lock:
            delivery = self._deliveries.get(destination)
            if delivery is None:
                box = self.outbox()
                assert box is not None
                delivery = OutboxDelivery(
                    box,
                    self._send,
                    destination,
                    event=self.event,
                    base=self._base,
                    cap=self._cap,
                    ready=self._ready,
                    on_error=functools.partial(self._on_delivery_error, box),
                )
                self._deliveries[destination] = delivery
            return delivery

    def wake(self) -> None:
        """Start a delivery round now on every running flusher (link up, a send worked)."""
        with self._lock:
            deliveries = list(self._deliveries.values())
        for delivery in deliveries:
            delivery.wake()

    @property
    def deliveries(self) -> dict[str, OutboxDelivery]:
        """The flushers started so far, by destination."""
        with self._lock:
            return dict(self._deliveries)

    def close(self) -> None:
        """Stop and join the flushers; close the store unless it was given (idempotent)."""
        with self._lock:
            self._closed = True
            deliveries = list(self._deliveries.values()) + self._retired
            self._deliveries.clear()
            self._retired = []
        for delivery in deliveries:
            delivery.close()
        with self._lock:
            box, self._box = self._box, None
        if self._given is not None:
            self._given.event.unsubscribe(MESSAGE_DROPPED, self._forward_dropped)
            self._given.event.unsubscribe(MESSAGE_FAILED, self._forward_failed)
        elif box is not None:
            box.close()
