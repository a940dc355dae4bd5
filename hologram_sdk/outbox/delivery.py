"""Delivery of outbox messages: FIFO rounds, and a background flusher with backoff.

A round (:meth:`OutboxDelivery.flush_now`) sends one destination's messages
oldest first until none is left or a send fails for a transport reason:

========================================  ==========================================
outcome of ``send(item)``                  what happens to the row
========================================  ==========================================
``ERR_OK`` or ``ERR_CONNCLOSED``          acknowledged (the reply was received);
                                          ``message.sent``; backoff reset
a permanent refusal (2, 3, 4, 5, 7, 8)    moved to the dead letters;
                                          ``message.failed``; the round goes on
``ERR_INTERNAL`` (6), ``ERR_UNKNOWN``     kept, ``attempts`` + 1; the round stops
(-1) or any other code                    and the next one waits for the backoff
an exception (refused, reset, timeout,    kept, ``attempts`` + 1; the round stops
no reply, or anything else)               and the next one waits for the backoff
========================================  ==========================================

``ERR_INTERNAL`` and ``ERR_UNKNOWN`` are retried because neither says the
message itself is wrong: the cloud had a problem, or the reply was lost or
garbled. Retrying them could in theory go on forever, so ``max_attempts``
(off by default) dead-letters a row after that many failed attempts.

One message is in flight at a time: request *n + 1* is written only once
*n*'s reply arrived and *n* was acknowledged (one small commit), so a crash
sends at most that one message twice. Everything else a round does per
message waits for a moment when the cloud has a request to work on: with
:class:`TcpSender`, the next batch is claimed, the next connection opened
and the used socket closed after a request was written, before its reply.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Callable, Optional

from hologram_sdk.base.backoff import Backoff
from hologram_sdk.base.errors import ConfigurationError, OutboxError
from hologram_sdk.base.events import MESSAGE_SENT, Event
from hologram_sdk.outbox.item import OutboxItem
from hologram_sdk.outbox.sender import (
    TcpSender,
    destination_key,
    parse_destination,
    tcp_send,
    tcp_sender,
)
from hologram_sdk.outbox.store import Outbox
from hologram_sdk.wire.protocol import (
    PERMANENT_FAILURES,
    ResultCode,
    result_was_success,
    to_result_code,
)

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_BASE",
    "DEFAULT_BATCH",
    "DEFAULT_CAP",
    "DEFAULT_JITTER",
    "FlushResult",
    "OutboxDelivery",
    "Send",
    "TcpSender",
    "destination_key",
    "parse_destination",
    "tcp_send",
    "tcp_sender",
]

#: Sends one stored request and returns the cloud's result code; raises on
#: transport failures (``CloudConnectionError``, ``CloudTimeoutError``, ``OSError``).
#: Optional hooks, used when present: ``send.prepare(item)`` (``item`` is sent
#: next: get ready), ``send.while_waiting(work)`` (run ``work`` during the next
#: send, while the cloud has the request), ``send.idle()`` (the round is over)
#: and ``send.close()``.
Send = Callable[[OutboxItem], int]

DEFAULT_BASE = 1.0
DEFAULT_CAP = 300.0
DEFAULT_JITTER = 0.2
#: Rows claimed per transaction during a round.
DEFAULT_BATCH = 64


@dataclass
class FlushResult:
    """What one delivery round did."""

    #: Delivered and acknowledged.
    sent: int = 0
    #: Refused for good and moved to the dead letters.
    failed: int = 0
    #: Why the round stopped before the queue was empty (``None``: it emptied).
    error: Optional[str] = None

    @property
    def done(self) -> int:
        """Rows that left the queue this round."""
        return self.sent + self.failed


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _Prefetch:
    """The next batch, claimed during the current batch's last send.

    A failed claim there is not the send's failure: the error is kept and
    raised by :meth:`take`, where the round handles it as its own.
    """

    def __init__(
        self,
        claim: Callable[[], list[OutboxItem]],
        prepare: Optional[Callable[[OutboxItem], object]],
    ) -> None:
        self._claim = claim
        self._prepare = prepare
        self.claimed = False
        self.items: list[OutboxItem] = []
        self.error: Optional[Exception] = None

    def claim(self) -> None:
        """Claim the next batch and announce its first message to the sender."""
        try:
            self.items = self._claim()
            if self.items and self._prepare is not None:
                self._prepare(self.items[0])
        except Exception as exc:  # raised in the round, not in the middle of a send
            self.error = exc
        self.claimed = True

    def take(self) -> list[OutboxItem]:
        """The claimed batch; raises what the claim raised."""
        error = self.error
        items = self.drop()
        if error is not None:
            raise error
        return items

    def drop(self) -> list[OutboxItem]:
        """The claimed batch (to give back), errors ignored."""
        items = self.items
        self.claimed, self.items, self.error = False, [], None
        return items


class OutboxDelivery:
    """Delivers one destination's outbox rows through ``send``.

    :param outbox: the outbox to read
    :param send: delivers one item and returns the result code; raises on
        transport failures
    :param destination: which rows to deliver (the ``destination`` key)
    :param event: where ``message.sent`` goes (default: ``outbox.event``)
    :param base: first backoff delay, seconds
    :param cap: longest backoff delay, seconds
    :param jitter: fraction in [0, 1): each delay is shortened by up to this part
    :param random: source of jitter in [0, 1)
    :param ready: returns ``False`` while sending is pointless (network down);
        the background thread then waits for :meth:`wake`
    :param wait: how the background thread sleeps, ``wait(timeout)``
        (``None`` = until woken); default: on an internal ``threading.Event``
        that :meth:`wake` and :meth:`close` set
    :param max_attempts: dead-letter a row after this many failed attempts
        with ``ERR_INTERNAL``/``ERR_UNKNOWN`` (default: never)
    :param batch: rows claimed per transaction
    :param name: the background thread's name
    :param on_error: called with the :class:`OutboxError` that stopped a
        round (e.g. so the owner can replace a damaged file)
    """

    def __init__(
        self,
        outbox: Outbox,
        send: Send,
        destination: str,
        *,
        event: Optional[Event] = None,
        base: float = DEFAULT_BASE,
        cap: float = DEFAULT_CAP,
        jitter: float = DEFAULT_JITTER,
        random: Callable[[], float] = random.random,
        ready: Optional[Callable[[], bool]] = None,
        wait: Optional[Callable[[Optional[float]], object]] = None,
        max_attempts: Optional[int] = None,
        batch: int = DEFAULT_BATCH,
        name: Optional[str] = None,
        on_error: Optional[Callable[[OutboxError], object]] = None,
    ) -> None:
        if not 0 < base <= cap:
            raise ConfigurationError(f"backoff needs 0 < base <= cap, got {base!r} and {cap!r}")
        if not 0 <= jitter < 1:
            raise ConfigurationError(f"jitter must be in [0, 1), got {jitter!r}")
        if batch < 1:
            raise ConfigurationError(f"batch must be at least 1, got {batch!r}")
        self.outbox = outbox
        self.destination = destination
        self.event = event if event is not None else outbox.event
        self.base = float(base)
        self.cap = float(cap)
        self.jitter = float(jitter)
        self.max_attempts = max_attempts
        self.batch = batch
        self._send = send
        self._prepare: Optional[Callable[[OutboxItem], object]] = getattr(send, "prepare", None)
        self._while_waiting: Optional[Callable[[Callable[[], object]], object]] = getattr(
            send, "while_waiting", None
        )
        self._idle_hook: Optional[Callable[[], object]] = getattr(send, "idle", None)
        self._close_hook: Optional[Callable[[], object]] = getattr(send, "close", None)
        self._backoff = Backoff(self.base, self.cap, 2.0, self.jitter, random=random)
        self._ready = ready
        self._on_error = on_error
        self._wakeup = threading.Event()
        self._wait = wait if wait is not None else self._wakeup.wait
        self._stop = threading.Event()
        self._round_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._name = name or f"hologram-outbox {destination}"
        #: Failed rounds since the last success (drives the backoff).
        self.failures = 0
        self._idle = False
        self._nudged = False
        #: This sender's claim owner (its own, so rounds can free leftovers).
        self.owner = outbox.new_owner()

    # --- backoff ------------------------------------------------------------

    def backoff_delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failed rounds in a row (>= 1).

        ``base * 2 ** (failures - 1)``, at most ``cap``, then shortened by a
        random part of at most ``jitter`` of itself.
        """
        return self._backoff.delay(max(failures, 1) - 1)

    # --- one round ----------------------------------------------------------

    def flush_now(self, progress: Optional[Callable[[FlushResult], object]] = None) -> FlushResult:
        """Deliver oldest first until the queue is empty or a send fails.

        Only one round runs at a time per instance (a second caller waits).

        :param progress: called with the running counts after each row
        """
        with self._round_lock:
            result = FlushResult()
            try:
                try:
                    self._round(result, progress)
                finally:
                    self.outbox.flush_acks()
            except OutboxError as exc:
                if not self._stop.is_set():
                    logger.error("outbox delivery to %s stopped: %s", self.destination, exc)
                result.error = str(exc)
                if self._on_error is not None:
                    self._on_error(exc)
            finally:
                if self._idle_hook is not None:
                    self._idle_hook()
            with self._state_lock:
                if result.sent:
                    self.failures = 0
                if result.error is not None:
                    self.failures += 1
            return result

    def _round(
        self, result: FlushResult, progress: Optional[Callable[[FlushResult], object]]
    ) -> None:
        # Claims left by an earlier round of ours that stopped on an error.
        self.outbox.release_claims(self.owner)
        self.outbox.release_stale_claims()
        ahead = _Prefetch(self._claim, self._prepare)
        items = self._claim()
        while items and not self._stop.is_set():
            for index, item in enumerate(items):
                if self._stop.is_set():
                    self.outbox.unclaim(items[index:])
                    return
                last = index + 1 == len(items)
                if not last and self._prepare is not None:
                    self._prepare(items[index + 1])
                elif last and self._while_waiting is not None:
                    # claim the next batch while the cloud has this request
                    self._while_waiting(ahead.claim)
                if not self._deliver(item, result):
                    self.outbox.unclaim(items[index + 1 :] + ahead.drop())
                    return
                if progress is not None:
                    progress(result)
            items = ahead.take() if ahead.claimed else self._claim()
        if items:  # stopped between two batches
            self.outbox.unclaim(items)

    def _claim(self) -> list[OutboxItem]:
        return self.outbox.claim(self.destination, self.owner, limit=self.batch)

    def _deliver(self, item: OutboxItem, result: FlushResult) -> bool:
        """Send one claimed row; ``False`` stops the round."""
        try:
            answer = self._send(item)
            code = answer if type(answer) is ResultCode else to_result_code(int(answer))
        except Exception as exc:  # transport failure, or a bug in send: keep the row
            result.error = _describe(exc)
            logger.info(
                "outbox: message %s to %s not delivered (%s); will retry",
                item.id,
                self.destination,
                result.error,
            )
            self.outbox.release(item, result.error)
            return False
        if code is ResultCode.ERR_OK or result_was_success(code):
            self.outbox.ack(item, defer=True)  # written with the next claim, or at the end
            result.sent += 1
            self.event.broadcast(MESSAGE_SENT, item)
            return True
        if code in PERMANENT_FAILURES or (
            self.max_attempts is not None and item.attempts + 1 >= self.max_attempts
        ):
            self.outbox.dead_letter(item, code, f"refused by the cloud: {code.name}")
            result.failed += 1
            return True
        result.error = f"cloud answered {code.name} ({int(code)})"
        self.outbox.release(item, result.error)
        return False

    # --- background thread --------------------------------------------------

    def run_once(self) -> Optional[float]:
        """One step of the background loop.

        :returns: seconds to wait before the next round, or ``None`` to wait
            for :meth:`wake` (the queue is empty, or ``ready()`` said no)
        """
        if self._ready is not None and not self._ready():
            return None
        if not self.outbox.has_pending(self.destination):
            return None
        result = self.flush_now()
        if result.error is None:
            return None if not self.outbox.has_pending(self.destination) else 0.0
        with self._state_lock:
            failures = self.failures
        delay = self.backoff_delay(failures)
        logger.info(
            "outbox: delivery to %s failed %d time(s) in a row; next try in %.1f s",
            self.destination,
            failures,
            delay,
        )
        return delay

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                delay = self.run_once()
            except Exception:  # never let the thread die: log and back off
                logger.exception("outbox delivery to %s: unexpected error", self.destination)
                with self._state_lock:
                    self.failures += 1
                    delay = self.backoff_delay(self.failures)
            if self._stop.is_set():
                break
            with self._state_lock:
                if delay is None and self._nudged:  # queued since the round looked
                    delay = 0.0
                self._nudged = False
                self._idle = delay is None
            if delay != 0.0:
                self._wait(delay)
            with self._state_lock:
                self._idle = False
            self._wakeup.clear()

    def start(self) -> None:
        """Start the background thread (idempotent)."""
        with self._state_lock:
            if self._stop.is_set():
                raise OutboxError("this delivery was closed")
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the background thread runs."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def wake(self) -> None:
        """Make the background thread start a round now (no-op when not started)."""
        self._wakeup.set()

    def nudge(self) -> None:
        """Start a round now if the thread is idle; a backoff in progress is kept.

        For "a message was just queued": waking during a backoff would retry
        a cloud that is down once per queued message.
        """
        with self._state_lock:
            self._nudged = True
            if self._idle:
                self._wakeup.set()

    def stop(self) -> None:
        """Make the background thread end after its current send, without waiting
        for it (:meth:`close` joins it)."""
        self._stop.set()
        self._wakeup.set()

    def close(self, timeout: Optional[float] = 10.0) -> None:
        """Stop the background thread after its current send and join it (idempotent)."""
        self._stop.set()
        self._wakeup.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("outbox delivery thread %s did not stop in time", self._name)
        if self._close_hook is not None and self._round_lock.acquire(timeout=1.0):
            try:
                self._close_hook()
            finally:
                self._round_lock.release()

    def __enter__(self) -> OutboxDelivery:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()
