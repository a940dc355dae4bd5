"""What a cloud uses of the outbox: a lazily opened store and one flusher per destination."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any, Callable, Optional, Union

from hologram_sdk.base.errors import ConfigurationError, OutboxError, OutboxFullError
from hologram_sdk.base.events import MESSAGE_DROPPED, MESSAGE_FAILED, MESSAGE_QUEUED, Event
from hologram_sdk.outbox.delivery import (
    DEFAULT_BASE,
    DEFAULT_CAP,
    OutboxDelivery,
    Send,
)
from hologram_sdk.outbox.item import OutboxItem, TopicsArg, default_path
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

    :param spec: ``None`` for :func:`default_path`, ``False`` for no outbox, a
        path, or an :class:`Outbox` (used as is, and not closed by :meth:`close`)
    :param event: the cloud's bus: ``message.queued``/``sent``/``failed``/``dropped``
    :param send: delivers one item (``tcp_send`` with the cloud's transport)
    :param ready: whether the link is up; deliveries wait for :meth:`wake` while not
    :param destinations: the destinations whose waiting messages are delivered
        from the start (the cloud's own)
    :param options: passed to :class:`Outbox` when this link opens it
        (``max_messages``, ``max_bytes``, ``policy``, ...)
    """

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
        self._lock = threading.RLock()
        self._closed = False
        self._deliveries: dict[str, OutboxDelivery] = {}
        self._given = spec if isinstance(spec, Outbox) else None
        self._box: Optional[Outbox] = self._given
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
                waiting = [d for d in destinations if box is not None and box.has_pending(d)]
                for destination in waiting:
                    self._delivery(destination).start()
                if not waiting and self._given is None:  # reopened when needed
                    with self._lock:
                        self._box = None
                    if box is not None:
                        box.close()
            except OutboxError as exc:  # the cloud still works without it
                logger.error("outbox not usable: %s", exc)

    def _forward_dropped(self, item: OutboxItem) -> None:
        self.event.broadcast(MESSAGE_DROPPED, item)

    def _forward_failed(self, item: OutboxItem) -> None:
        self.event.broadcast(MESSAGE_FAILED, item)

    def _exists(self) -> bool:
        return self.path is not None and self.path.exists()

    def outbox(self, create: bool = True) -> Optional[Outbox]:
        """The store (opened now if needed); ``None`` when disabled, or when
        ``create`` is false and the file does not exist yet.

        :raises OutboxError: the file cannot be opened or created
        """
        if not self.enabled:
            return None
        with self._lock:
            if self._box is None:
                if self._closed:
                    raise OutboxError("the cloud was closed")
                if not create and not self._exists():
                    return None
                self._box = Outbox(self.path, event=self.event, **self._options)
            return self._box

    def has_pending(self, destination: str) -> bool:
        """Whether messages wait for ``destination`` (opens nothing that does not exist)."""
        box = self.outbox(create=False)
        return box is not None and box.has_pending(destination)

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
        :raises OutboxError: the disk is full or the file unwritable
        """
        box = self.outbox()
        assert box is not None  # queue() is only called when enabled
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
            deliveries = list(self._deliveries.values())
            self._deliveries.clear()
        for delivery in deliveries:
            delivery.close()
        with self._lock:
            box, self._box = self._box, None
        if self._given is not None:
            self._given.event.unsubscribe(MESSAGE_DROPPED, self._forward_dropped)
            self._given.event.unsubscribe(MESSAGE_FAILED, self._forward_failed)
        elif box is not None:
            box.close()
