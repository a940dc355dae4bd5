"""Cloud-to-device messages: kept in the database, delivered to the device's inbound port.

A message for a device (from the broker's ``PREFIX/devices/<device>/to-device``
or the REST API) is stored ``pending`` first. A thread then connects to the
device's inbound listener -- the address its last request came from, on port
4010 unless the devices file gives ``inbound_port`` -- writes the message and
closes, as the Hologram cloud does. A device that does not answer is tried
again (the project's backoff, per device; at once when it sends something
again); a message not delivered within its time to live becomes ``expired``.
Messages for one device go out oldest first.

With several gateways, the one that saw the device last delivers: gateways
announce it on the broker (``PREFIX/devices/<device>/seen``, retained), and a
gateway that learns another saw the device after it marks its own copy
``elsewhere``. States: ``pending``, ``delivered``, ``expired``, ``elsewhere``,
and ``stored`` for an SMS to a device (kept and shown; there is no modem link
to deliver it over).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

from hologram_sdk.base.backoff import Backoff
from hologram_sdk.emulator.cloud.routes import Retries
from hologram_sdk.emulator.cloud.store import CloudStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS to_device (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device TEXT NOT NULL,
    kind TEXT NOT NULL,
    data BLOB NOT NULL,
    source TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS to_device_state ON to_device (state, device, id);
CREATE TABLE IF NOT EXISTS device_seen (
    device TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    gateway TEXT NOT NULL,
    seen REAL NOT NULL
);
"""

DEFAULT_INBOUND_PORT = 4010
DEFAULT_TTL = 24 * 3600.0
PUSH_TIMEOUT = 2.0

Push = Callable[[str, int, bytes, float], int]


@dataclass(frozen=True)
class ToDeviceMessage:
    id: int
    device: str
    kind: str
    data: bytes
    source: str
    created: float
    expires: float
    state: str
    attempts: int
    reason: str

    def as_dict(self) -> dict[str, object]:
        try:
            text: str = self.data.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            import base64

            text, encoding = base64.b64encode(self.data).decode("ascii"), "base64"
        return {
            "id": self.id,
            "device": self.device,
            "kind": self.kind,
            "data": text,
            "encoding": encoding,
            "source": self.source,
            "created": self.created,
            "expires": self.expires,
            "state": self.state,
            "attempts": self.attempts,
            "reason": self.reason,
        }


@dataclass
class _Seen:
    address: str
    gateway: str
    when: float


class ToDevice:
    """The cloud-to-device queue and its delivery thread (``start``/``close``).

    :param store: the local cloud's database
    :param gateway: this gateway's name
    :param inbound_port: a device name -> its inbound port
    :param push: delivers bytes to ``(host, port)`` (the local cloud's :func:`push`)
    :param ttl: seconds a message may wait before it expires
    :param announce: told ``(device, address)`` when this gateway becomes the one
        that saw a device last (the MQTT route tells the other gateways)
    """

    def __init__(
        self,
        store: CloudStore,
        *,
        gateway: str,
        inbound_port: Callable[[str], int],
        push: Push,
        ttl: float = DEFAULT_TTL,
        announce: Optional[Callable[[str, str], None]] = None,
        log: Optional[logging.Logger] = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.gateway = gateway
        self.inbound_port = inbound_port
        self.push = push
        self.ttl = float(ttl)
        self.announce = announce
        self.log = log or logging.getLogger(__name__)
        self.clock = clock
        store.ensure_schema(SCHEMA)
        self._seen: dict[str, _Seen] = {
            r[0]: _Seen(r[1], r[2], r[3])
            for r in store.run(lambda db: db.execute("SELECT * FROM device_seen").fetchall())
        }
        self._lock = threading.Lock()
        self._retry_at: dict[str, float] = {}
        self._backoff: dict[str, Retries] = {}
        self._policy = Backoff(base=1.0, cap=60.0)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._closed = False
        #: messages waiting (as of the last delivery round, plus those queued since)
        self._pending = 1

    # lifecycle

    def start(self) -> ToDevice:
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="to-device", daemon=True)
                self._thread.start()
        return self

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        self._stop.set()
        self._wake.set()
        if thread is not None:
            thread.join()

    def __enter__(self) -> ToDevice:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # input

    def enqueue(self, device: str, data: bytes, *, source: str, kind: str = "message") -> int:
        """Store a message for ``device`` (committed before this returns); its id."""
        now = self.clock()
        state = "stored" if kind == "sms" else "pending"

        def work(db: sqlite3.Connection) -> int:
            cur = db.execute(
                "INSERT INTO to_device (device, kind, data, source, created, expires, state, "
                "updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (device, kind, bytes(data), source, now, now + self.ttl, state, now),
            )
            return int(cur.lastrowid or 0)

        row = self.store.run(work, write=True)
        if kind != "sms":
            self._pending += 1
        self.log.info(
            "to-device %s %d for %s (%d bytes, from %s)", kind, row, device, len(data), source
        )
        self._wake.set()
        return row

    def saw(self, device: str, host: str) -> None:
        """``device`` sent a request from ``host`` to this gateway (called per request:
        writes only when something changed)."""
        now = self.clock()
        with self._lock:
            last = self._seen.get(device)
            changed = last is None or last.address != host or last.gateway != self.gateway
            if changed:
                self._seen[device] = _Seen(host, self.gateway, now)
            else:
                last.when = now  # type: ignore[union-attr]
            waiting = device in self._retry_at or (changed and self._pending > 0)
            if waiting:  # it is alive: try at once
                self._retry_at.pop(device, None)
                self._backoff.pop(device, None)
        if changed:
            self.store.run(
                lambda db: db.execute(
                    "INSERT OR REPLACE INTO device_seen VALUES (?, ?, ?, ?)",
                    (device, host, self.gateway, now),
                ),
                write=True,
                durable=False,  # where a device was last: worth no fsync per device
            )
            if self.announce is not None:
                self.announce(device, host)
        if waiting:
            self._wake.set()

    def seen_elsewhere(self, device: str, gateway: str, address: str, when: float) -> None:
        """Another gateway announced that it saw ``device`` at ``when``."""
        if gateway == self.gateway:
            return
        with self._lock:
            last = self._seen.get(device)
            if last is not None and last.when >= when:
                return
            self._seen[device] = _Seen(address, gateway, when)
        self.store.run(
            lambda db: db.execute(
                "INSERT OR REPLACE INTO device_seen VALUES (?, ?, ?, ?)",
                (device, address, gateway, when),
            ),
            write=True,
            durable=False,
        )
        self._wake.set()

    # reading

    def messages(
        self, device: Optional[str] = None, *, after: int = 0, limit: int = 100
    ) -> list[ToDeviceMessage]:
        """Stored to-device messages (all states), oldest first."""
        if not self.store.has_table("to_device"):
            return []
        sql = "SELECT * FROM to_device WHERE id > ?"
        args: list[object] = [after]
        if device is not None:
            sql += " AND device = ?"
            args.append(device)
        sql += " ORDER BY id LIMIT ?"
        args.append(limit)
        rows = self.store.run(lambda db: db.execute(sql, args).fetchall())
        return [
            ToDeviceMessage(r[0], r[1], r[2], bytes(r[3]), r[4], r[5], r[6], r[7], r[8], r[9] or "")
            for r in rows
        ]

    def counts(self) -> dict[str, int]:
        return dict(
            self.store.run(
                lambda db: db.execute(
                    "SELECT state, COUNT(*) FROM to_device GROUP BY state"
                ).fetchall()
            )
        )

    # delivery

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self._round()
            except Exception:
                self.log.exception("to-device delivery failed")
                wait = 1.0
            self._wake.wait(wait)
            self._wake.clear()

    def _round(self) -> float:
        """Try every device with pending messages; seconds until the next try is due."""
        rows = self.store.run(
            lambda db: db.execute(
                "SELECT id, device, data, expires FROM to_device WHERE state = 'pending' "
                "ORDER BY id"
            ).fetchall()
        )
        self._pending = len(rows)
        next_due = 30.0
        blocked: set[str] = set()
        for row_id, device, data, expires in rows:
            if self._stop.is_set():
                break
            now = self.clock()
            if now >= expires:
                self._mark(row_id, "expired", f"not delivered within {self.ttl:g} s")
                continue
            if device in blocked:
                continue
            with self._lock:
                seen = self._seen.get(device)
                due = self._retry_at.get(device, 0.0)
            if seen is None:
                blocked.add(device)  # waits for the device's first request
                next_due = min(next_due, expires - now)
                continue
            if seen.gateway != self.gateway:
                self._mark(row_id, "elsewhere", f"gateway {seen.gateway} saw the device last")
                continue
            if due > now:
                blocked.add(device)
                next_due = min(next_due, due - now)
                continue
            port = self.inbound_port(device)
            try:
                self.push(seen.address, port, bytes(data), PUSH_TIMEOUT)
            except Exception as exc:  # CloudConnectionError, timeouts, ...
                blocked.add(device)
                with self._lock:
                    backoff = self._backoff.setdefault(device, Retries(self._policy))
                    delay = backoff.next()
                    self._retry_at[device] = self.clock() + delay
                next_due = min(next_due, delay)
                self._attempt_failed(row_id, f"{seen.address}:{port}: {exc}")
                continue
            with self._lock:
                self._backoff.pop(device, None)
            self._mark(row_id, "delivered", f"{seen.address}:{port}", attempt=True)
        return max(0.05, next_due)

    def _mark(self, row_id: int, state: str, reason: str, *, attempt: bool = False) -> None:
        now = self.clock()
        self.store.run(
            lambda db: db.execute(
                "UPDATE to_device SET state = ?, reason = ?, updated = ?, "
                "attempts = attempts + ? WHERE id = ?",
                (state, reason, now, 1 if attempt else 0, row_id),
            ),
            write=True,
            durable=False,  # lost in a power cut: delivered again (at least once)
        )
        self.log.info("to-device %d: %s (%s)", row_id, state, reason)

    def _attempt_failed(self, row_id: int, reason: str) -> None:
        now = self.clock()
        self.store.run(
            lambda db: db.execute(
                "UPDATE to_device SET attempts = attempts + 1, reason = ?, updated = ? "
                "WHERE id = ?",
                (reason, now, row_id),
            ),
            write=True,
            durable=False,
        )
        self.log.info("to-device %d not delivered yet: %s", row_id, reason)
