"""What the dashboard reads from the local cloud's SQLite file, shaped for JSON.

``DashboardData`` opens its own connection to the cloud's database (WAL lets it
read while the server writes) and answers the dashboard's questions with
indexed queries only, so a page stays fast with millions of rows:

- messages and SMS are paged by id (``before``/``after`` cursors), never by offset;
- "since a time" is turned into "since an id" by a binary search over the
  primary key (ids grow with the receive time), so nothing scans the table;
- per-device paging uses an index on ``messages(device, id)``, created when the
  dashboard opens the file (servers without a dashboard do not pay for it).

Rows become JSON with :mod:`.payloads` (text, or hex and base64 for bytes; long
payloads cut to a preview, :meth:`DashboardData.message` returns one in full).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Optional, Union

from hologram_sdk.emulator.dashboard.payloads import message_dict, sms_dict
from hologram_sdk.errors import ConfigurationError, HologramError

PathLike = Union[str, "os.PathLike[str]"]

#: Largest page of messages one request may ask for.
MAX_PAGE = 500
DEFAULT_PAGE = 50

_INDEXES = (
    "CREATE INDEX IF NOT EXISTS messages_device ON messages (device, id)",
    "CREATE INDEX IF NOT EXISTS sms_by_device ON sms (device, id)",
)


#: Up to this many rows in the chart's window are grouped row by row.
EXACT_CHART_ROWS = 50_000
#: Ranges of the chart: name -> (seconds covered, seconds per bucket).
CHART_RANGES = {"hour": (3600, 60), "day": (86400, 300)}


class DashboardData:
    """Read-side queries for the dashboard over the local cloud's database file.

    :param path: the local cloud's SQLite file (it must exist: start the cloud first)
    :raises ConfigurationError: no such file, or it is not a local cloud database
    """

    def __init__(self, path: PathLike) -> None:
        self.path = os.fspath(path)
        if self.path == ":memory:" or not os.path.isfile(self.path):
            raise ConfigurationError(
                f"the dashboard needs the local cloud's database file, not {self.path!r}"
            )
        self._lock = threading.Lock()
        try:
            writer = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            try:
                for statement in _INDEXES:
                    writer.execute(statement)
            finally:
                writer.close()
            uri = Path(self.path).resolve().as_uri() + "?mode=ro"
            self._conn: Optional[sqlite3.Connection] = sqlite3.connect(
                uri, uri=True, check_same_thread=False, timeout=10.0
            )
            self._conn.execute("PRAGMA query_only=ON")
            columns = {r[1] for r in self._conn.execute("PRAGMA table_info(messages)")}
        except sqlite3.Error as exc:
            raise ConfigurationError(f"cannot read {self.path}: {exc}") from exc
        if "received" not in columns:
            self.close()
            raise ConfigurationError(f"{self.path} is not a local cloud database")
        # the bytes of payloads that were not UTF-8, where the store keeps them
        raw = "raw" if "raw" in columns else "NULL"
        self._message_columns = f"id, device, topics, data, received, {raw}"
        self._tables: set[str] = set()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def __enter__(self) -> DashboardData:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            if self._conn is None:
                raise HologramError("the dashboard's database connection is closed")
            return self._conn.execute(sql, params).fetchall()

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        rows = self._rows(sql, params)
        return rows[0][0] if rows else None

    # --- time -> id --------------------------------------------------------

    def first_id_since(self, table: str, since: float, *, low: int = 0) -> int:
        """An id ``F`` such that ``id >= F`` selects the rows of ``table`` received at or
        after ``since`` (one past the last id when there is none): a binary search
        over the primary key, from ``low`` on."""
        if table not in ("messages", "sms"):
            raise ValueError(table)
        bounds = self._rows(f"SELECT (SELECT MIN(id) FROM {table}), (SELECT MAX(id) FROM {table})")[
            0
        ]
        if bounds[0] is None:
            return 1
        lo, hi = max(int(bounds[0]), low), int(bounds[1]) + 1
        probe = f"SELECT id, received FROM {table} WHERE id >= ? ORDER BY id LIMIT 1"
        while lo < hi:
            mid = (lo + hi) // 2
            row = self._rows(probe, (mid,))
            if not row:
                hi = mid
            elif row[0][1] >= since:
                hi = min(mid, int(row[0][0]))
            else:
                lo = int(row[0][0]) + 1
        return lo

    # --- devices -----------------------------------------------------------

    def device_names(self) -> list[str]:
        """Devices registered in the database or seen in its messages and SMS."""
        names = [r[0] for r in self._rows("SELECT name FROM devices ORDER BY registered")]
        seen = set(names)
        for table in ("messages", "sms"):
            # a loose index scan: one indexed lookup per distinct device
            name = self._one(f"SELECT MIN(device) FROM {table}")
            while name is not None:
                if name not in seen:
                    seen.add(name)
                    names.append(name)
                name = self._one(f"SELECT MIN(device) FROM {table} WHERE device > ?", (name,))
        return names

    def device_summary(self, name: str, *, today_first_id: Optional[int] = None) -> dict[str, Any]:
        """Last seen, message counts and the last message of one device."""
        if today_first_id is None:
            today_first_id = self.first_id_since("messages", midnight())
        last_id = self._one("SELECT MAX(id) FROM messages WHERE device = ?", (name,))
        last_seen: Optional[float] = None
        if last_id is not None:
            last_seen = self._one("SELECT received FROM messages WHERE id = ?", (last_id,))
        last_sms = self._one(
            "SELECT received FROM sms WHERE id = (SELECT MAX(id) FROM sms WHERE device = ?)",
            (name,),
        )
        if last_sms is not None and (last_seen is None or last_sms > last_seen):
            last_seen = last_sms
        today = self._one(
            "SELECT COUNT(*) FROM messages WHERE device = ? AND id >= ?", (name, today_first_id)
        )
        return {
            "name": name,
            "last_seen": last_seen,
            "messages_today": int(today or 0),
        }

    def known_device(self, name: str) -> bool:
        """Whether the database has anything of ``name``."""
        return any(
            self._rows(sql, (name,))
            for sql in (
                "SELECT 1 FROM devices WHERE name = ?",
                "SELECT 1 FROM messages WHERE device = ? LIMIT 1",
                "SELECT 1 FROM sms WHERE device = ? LIMIT 1",
            )
        )

    def has_table(self, name: str) -> bool:
        """Whether the database has table ``name`` (a gateway adds some)."""
        if name not in self._tables and self._rows(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ):
            self._tables.add(name)
        return name in self._tables

    def seen(self) -> dict[str, dict[str, Any]]:
        """Where each device last connected from, per the gateway's ``device_seen``."""
        if not self.has_table("device_seen"):
            return {}
        return {
            device: {"last_address": address, "gateway": gateway, "last_seen": when}
            for device, address, gateway, when in self._rows(
                "SELECT device, address, gateway, seen FROM device_seen"
            )
        }

    def inbound(self, name: str) -> Optional[dict[str, Any]]:
        """The last cloud-to-device delivery attempt to ``name`` (``ok``: it answered),
        and how many messages wait for it, per the gateway's ``to_device`` queue."""
        if not self.has_table("to_device"):
            return None
        rows = self._rows(
            "SELECT state, reason, updated FROM to_device WHERE device = ? AND attempts > 0 "
            "ORDER BY updated DESC LIMIT 1",
            (name,),
        )
        waiting = self._one(
            "SELECT COUNT(*) FROM to_device WHERE state = 'pending' AND device = ?", (name,)
        )
        if not rows:
            return {"ok": None, "waiting": int(waiting or 0)} if waiting else None
        state, reason, when = rows[0]
        ok = state == "delivered"
        return {
            "ok": ok,
            "address": reason if ok else None,
            "detail": "" if ok else (reason or state),
            "when": when,
            "waiting": int(waiting or 0),
        }

    def registered_kinds(self) -> dict[str, str]:
        """Auth method of each device registered on first contact."""
        return {
            name: ("devicekey" if devicekey else "cloud_id/cloud_key")
            for name, devicekey in self._rows("SELECT name, devicekey FROM devices")
        }

    # --- messages ----------------------------------------------------------

    def messages_page(
        self,
        *,
        device: Optional[str] = None,
        before: Optional[int] = None,
        after: Optional[int] = None,
        limit: int = DEFAULT_PAGE,
    ) -> dict[str, Any]:
        """One page of messages, newest first.

        Without a cursor: the newest ``limit``. ``before=ID``: the ``limit`` older
        than ID; ``after=ID``: the ``limit`` newer than ID (``after=0`` is the oldest
        page). ``older``/``newer`` say whether there is more on either side.
        """
        limit = max(1, min(int(limit), MAX_PAGE))
        where, params = ("WHERE device = ?", [device]) if device is not None else ("", [])
        joiner = " AND " if where else "WHERE "
        cols = f"SELECT {self._message_columns} FROM messages "
        if after is not None:
            rows = self._rows(
                cols + where + joiner + "id > ? ORDER BY id LIMIT ?", (*params, after, limit)
            )
            rows.reverse()
        elif before is not None:
            rows = self._rows(
                cols + where + joiner + "id < ? ORDER BY id DESC LIMIT ?", (*params, before, limit)
            )
        else:
            rows = self._rows(cols + where + " ORDER BY id DESC LIMIT ?", (*params, limit))
        items = [message_dict(*row) for row in rows]
        older = newer = False
        if items:
            newest, oldest = items[0]["id"], items[-1]["id"]
            exists = "SELECT 1 FROM messages " + where + joiner + "id {} ? LIMIT 1"
            older = bool(self._rows(exists.format("<"), (*params, oldest)))
            newer = bool(self._rows(exists.format(">"), (*params, newest)))
        position = None
        if device is None:
            # ids are never reused or deleted: counting is arithmetic on the ends
            low, high = self._rows(
                "SELECT (SELECT MIN(id) FROM messages), (SELECT MAX(id) FROM messages)"
            )[0]
            total = (high - low + 1) if high is not None else 0
            if items:
                position = high - items[0]["id"]
        else:  # a range of the (device, id) index
            total = self._one("SELECT COUNT(*) FROM messages " + where, tuple(params))
            if items:
                position = self._one(
                    "SELECT COUNT(*) FROM messages " + where + joiner + "id > ?",
                    (*params, items[0]["id"]),
                )
        return {
            "items": items,
            "older": older,
            "newer": newer,
            "total": int(total or 0),
            #: how many newer messages are above this page
            "offset": int(position or 0),
        }

    def message(self, message_id: int) -> Optional[dict[str, Any]]:
        """One message with its whole payload, or ``None``."""
        rows = self._rows(
            f"SELECT {self._message_columns} FROM messages WHERE id = ?", (message_id,)
        )
        return message_dict(*rows[0], limit=None) if rows else None

    def sms_page(
        self, *, device: Optional[str] = None, before: Optional[int] = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        """SMS sent through the cloud, newest first (``before`` pages back)."""
        limit = max(1, min(int(limit), MAX_PAGE))
        clauses: list[str] = []
        params: list[Any] = []
        if device is not None:
            clauses.append("device = ?")
            params.append(device)
        if before is not None:
            clauses.append("id < ?")
            params.append(before)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self._rows(
            "SELECT id, device, destination, text, received FROM sms "
            + where
            + " ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        return [sms_dict(*row) for row in rows]

    def after(self, message_id: int, sms_id: int, limit: int = 200) -> list[dict[str, Any]]:
        """Messages and SMS stored after the given ids, oldest first (for the live stream)."""
        messages = self._rows(
            f"SELECT {self._message_columns} FROM messages WHERE id > ? ORDER BY id LIMIT ?",
            (message_id, limit),
        )
        sms = self._rows(
            "SELECT id, device, destination, text, received FROM sms WHERE id > ? "
            "ORDER BY id LIMIT ?",
            (sms_id, limit),
        )
        items = [message_dict(*r) for r in messages] + [sms_dict(*r) for r in sms]
        items.sort(key=lambda item: (item["received"], item["kind"], item["id"]))
        return items

    def last_ids(self) -> tuple[int, int]:
        """The newest message id and SMS id (0 when there is none)."""
        return (
            int(self._one("SELECT MAX(id) FROM messages") or 0),
            int(self._one("SELECT MAX(id) FROM sms") or 0),
        )

    # --- chart -------------------------------------------------------------

    def per_minute(
        self,
        *,
        span: str = "hour",
        device: Optional[str] = None,
        now: Optional[float] = None,
        top: int = 5,
        exact_below: int = EXACT_CHART_ROWS,
    ) -> dict[str, Any]:
        """Messages per minute over the last hour or day, in total and per device.

        Buckets are one minute wide for the hour and five for the day (their counts
        divided by five, so both read as messages per minute). The ``top`` busiest
        devices get their own series; the total counts every device.

        Up to ``exact_below`` rows in the window are read and grouped. Above that,
        nothing is read row by row: since ids grow with the receive time, each
        bucket's edge is an id found by binary search, a bucket's total is the
        difference of its edges, and a device's count is a range of the
        ``(device, id)`` index. (A million rows a day draw in tens of milliseconds.)
        """
        if span not in CHART_RANGES:
            raise ValueError(f"span must be one of {sorted(CHART_RANGES)}")
        seconds, width = CHART_RANGES[span]
        now = time.time() if now is None else now
        end = (int(now) // width + 1) * width
        start = end - seconds
        buckets = seconds // width
        first = self.first_id_since("messages", start)
        if self.last_ids()[0] - first < exact_below:
            per = self._buckets_by_rows(start, width, buckets, first, device)
            total = [sum(column) for column in zip(*per.values())] if per else [0] * buckets
        else:
            edges = [first]
            for b in range(1, buckets + 1):
                edges.append(self.first_id_since("messages", start + b * width, low=edges[-1]))
            names = [device] if device is not None else self._busiest(first, top)
            count = "SELECT COUNT(*) FROM messages WHERE device = ? AND id >= ? AND id < ?"
            per = {
                name: [int(self._one(count, (name, a, b)) or 0) for a, b in zip(edges, edges[1:])]
                for name in names
            }
            if device is None:  # ids are never reused or deleted
                total = [b - a for a, b in zip(edges, edges[1:])]
            else:
                total = per[device]
        busiest = sorted((n for n in per if sum(per[n])), key=lambda n: -sum(per[n]))[:top]
        scale = 60.0 / width
        return {
            "span": span,
            "start": start,
            "bucket": width,
            "total": [c * scale for c in total],
            "devices": {name: [c * scale for c in per[name]] for name in busiest},
        }

    def _buckets_by_rows(
        self, start: int, width: int, buckets: int, first: int, device: Optional[str]
    ) -> dict[str, list[int]]:
        # the rows since ``start`` by the primary key (for one device by its index),
        # never a whole index in GROUP BY order
        sql = (
            "SELECT device, CAST((received - ?) / ? AS INTEGER) AS b, COUNT(*) "
            "FROM messages NOT INDEXED WHERE id >= ?"
        )
        params: list[Any] = [start, width, first]
        if device is not None:
            sql = sql.replace(" NOT INDEXED", "") + " AND device = ?"
            params.append(device)
        per: dict[str, list[int]] = {}
        for name, bucket, count in self._rows(sql + " GROUP BY device, b", tuple(params)):
            if 0 <= bucket < buckets:
                per.setdefault(name, [0] * buckets)[bucket] += count
        return per

    def _busiest(self, first: int, top: int) -> list[str]:
        """The ``top`` devices with the most messages from id ``first`` on."""
        sql = "SELECT COUNT(*) FROM messages WHERE device = ? AND id >= ?"
        counts = {name: int(self._one(sql, (name, first)) or 0) for name in self.device_names()}
        return sorted((n for n in counts if counts[n]), key=lambda n: -counts[n])[:top]


def midnight(now: Optional[float] = None) -> float:
    """The start of today, local time."""
    t = time.localtime(time.time() if now is None else now)
    return time.mktime((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, -1))
