"""Per row and route: pending, forwarded or failed, in the local cloud's own database.

Two tables next to ``messages`` and ``sms``:

``routes``
    one row per route ever configured (named by its URL without credentials):
    the first message and SMS ids it is responsible for (rows stored before the
    route was added are not sent to it), and a low-water mark below which every
    row is settled (so a restart does not rescan history).
``forwards``
    one row per record and route once settled: ``forwarded`` (the broker's
    PUBACK or a webhook's 2xx came) or ``failed`` with the reason. A record at
    or after the route's first id without an entry here is **pending**.

Pending is the absence of an entry so that accepting a message stays one
INSERT (one fsync) however many routes there are.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hologram_sdk.emulator.cloud.routes import Outgoing
from hologram_sdk.emulator.cloud.store import CloudStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS routes (
    name TEXT PRIMARY KEY,
    first_message INTEGER NOT NULL,
    first_sms INTEGER NOT NULL,
    done_message INTEGER NOT NULL,
    done_sms INTEGER NOT NULL,
    added REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS forwards (
    route TEXT NOT NULL,
    kind TEXT NOT NULL,
    row_id INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    updated REAL NOT NULL,
    PRIMARY KEY (route, kind, row_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS forwards_failed ON forwards (route) WHERE state = 'failed';
"""

PENDING, FORWARDED, FAILED = "pending", "forwarded", "failed"


@dataclass(frozen=True)
class Marks:
    """Where a route starts and how far it is settled, per table."""

    first_message: int
    first_sms: int
    done_message: int
    done_sms: int


@dataclass(frozen=True)
class Counts:
    pending: int
    forwarded: int
    failed: int


@dataclass(frozen=True)
class Settled:
    kind: str
    row: int
    state: str
    reason: str = ""


class Ledger:
    """The forwarding bookkeeping over a :class:`CloudStore` (any thread)."""

    def __init__(self, store: CloudStore) -> None:
        self.store = store
        store.ensure_schema(SCHEMA)

    def register(self, route: str) -> Marks:
        """The route's marks, adding it (starting after the rows stored so far) if new."""

        def work(db: sqlite3.Connection) -> Marks:
            row = db.execute(
                "SELECT first_message, first_sms, done_message, done_sms FROM routes "
                "WHERE name = ?",
                (route,),
            ).fetchone()
            if row is None:
                last_m = db.execute("SELECT COALESCE(MAX(id), 0) FROM messages").fetchone()[0]
                last_s = db.execute("SELECT COALESCE(MAX(id), 0) FROM sms").fetchone()[0]
                row = (last_m + 1, last_s + 1, last_m, last_s)
                db.execute(
                    "INSERT INTO routes VALUES (?, ?, ?, ?, ?, ?)", (route, *row, time.time())
                )
            return Marks(*row)

        return self.store.run(work, write=True)

    def pending(self, route: str, after_message: int, after_sms: int, limit: int) -> list[Outgoing]:
        """Up to about ``limit`` unsettled records after the two ids, in the order they
        were received (messages and SMS merged)."""

        def work(db: sqlite3.Connection) -> list[Outgoing]:
            ms = db.execute(
                "SELECT id, device, topics, data, received, raw FROM messages m WHERE id > ? "
                "AND NOT EXISTS (SELECT 1 FROM forwards f WHERE f.route = ? AND "
                "f.kind = 'message' AND f.row_id = m.id) ORDER BY id LIMIT ?",
                (after_message, route, limit),
            ).fetchall()
            ss = db.execute(
                "SELECT id, device, destination, text, received FROM sms s WHERE id > ? "
                "AND NOT EXISTS (SELECT 1 FROM forwards f WHERE f.route = ? AND "
                "f.kind = 'sms' AND f.row_id = s.id) ORDER BY id LIMIT ?",
                (after_sms, route, limit),
            ).fetchall()
            return _merge(ms, ss, limit)

        return self.store.run(work)

    def settle(
        self, route: str, settled: Sequence[Settled], done_message: int, done_sms: int
    ) -> None:
        """Record outcomes and the new low-water marks in one transaction."""
        now = time.time()

        def work(db: sqlite3.Connection) -> None:
            db.executemany(
                "INSERT OR REPLACE INTO forwards VALUES (?, ?, ?, ?, ?, ?)",
                [(route, s.kind, s.row, s.state, s.reason or None, now) for s in settled],
            )
            db.execute(
                "UPDATE routes SET done_message = MAX(done_message, ?), "
                "done_sms = MAX(done_sms, ?) WHERE name = ?",
                (done_message, done_sms, route),
            )

        # Not fsynced: a forwarded mark lost in a power cut means that row is sent
        # again (at least once); the rows themselves were committed durably.
        self.store.run(work, write=True, durable=False)

    def routes(self) -> list[str]:
        """Every route this database has seen, oldest first."""
        if not self.store.has_table("routes"):
            return []
        return self.store.run(
            lambda db: [r[0] for r in db.execute("SELECT name FROM routes ORDER BY added")]
        )

    def counts(self, route: str) -> Counts:
        """How many records of ``route`` are pending, forwarded and failed."""

        def work(db: sqlite3.Connection) -> Counts:
            marks = db.execute(
                "SELECT first_message, first_sms, done_message, done_sms FROM routes "
                "WHERE name = ?",
                (route,),
            ).fetchone()
            if marks is None:
                return Counts(0, 0, 0)
            total = settled = 0
            for kind, table, first, done in (
                ("message", "messages", marks[0], marks[2]),
                ("sms", "sms", marks[1], marks[3]),
            ):
                # every row up to the low-water mark is settled: counted on the rows'
                # integer keys; above it, the few entries that came back out of order
                total += db.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE id >= ?", (first,)
                ).fetchone()[0]
                settled += db.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE id BETWEEN ? AND ?", (first, done)
                ).fetchone()[0]
                settled += db.execute(
                    "SELECT COUNT(*) FROM forwards WHERE route = ? AND kind = ? AND row_id > ?",
                    (route, kind, done),
                ).fetchone()[0]
            failed = db.execute(
                "SELECT COUNT(*) FROM forwards WHERE route = ? AND state = ?", (route, FAILED)
            ).fetchone()[0]
            return Counts(max(0, total - settled), settled - failed, failed)

        # Aside, so the server loop's commits (the devices' replies) never wait for it
        # (the old GROUP BY over every forwards row took 1.5 s at a million)
        return self.store.read_aside(work)

    def states(self, kind: str, rows: Iterable[int]) -> dict[int, dict[str, tuple[str, str]]]:
        """``{row: {route: (state, reason)}}`` for the given rows of ``kind`` (every route
        that covers the row appears; pending ones as ``pending``)."""
        wanted = sorted(set(rows))
        if not wanted or not self.store.has_table("routes"):
            return {r: {} for r in wanted}

        def work(db: sqlite3.Connection) -> dict[int, dict[str, tuple[str, str]]]:
            first_col = "first_message" if kind == "message" else "first_sms"
            routes = db.execute(f"SELECT name, {first_col} FROM routes").fetchall()
            out: dict[int, dict[str, tuple[str, str]]] = {}
            marks = ",".join("?" * len(wanted))
            found: dict[tuple[int, str], tuple[str, str]] = {}
            for route, row_id, state, reason in db.execute(
                f"SELECT route, row_id, state, reason FROM forwards WHERE kind = ? "
                f"AND row_id IN ({marks})",
                (kind, *wanted),
            ):
                found[(row_id, route)] = (state, reason or "")
            for row in wanted:
                out[row] = {
                    name: found.get((row, name), (PENDING, ""))
                    for name, first in routes
                    if row >= first
                }
            return out

        return self.store.run(work)


def _merge(ms: list[tuple], ss: list[tuple], limit: int) -> list[Outgoing]:  # type: ignore[type-arg]
    """Both tables' rows in the order received, each table's in id order.

    A full batch may have more rows after it, so the merge stops when it runs
    out of a full batch: what comes next cannot be ordered against it yet.
    """
    out: list[Outgoing] = []
    i = j = 0
    while i < len(ms) or j < len(ss):
        if (j >= len(ss) and len(ss) >= limit) or (i >= len(ms) and len(ms) >= limit):
            break
        if j >= len(ss) or (i < len(ms) and ms[i][4] <= ss[j][4]):
            r = ms[i]
            out.append(
                Outgoing("message", r[0], r[1], r[3], r[4], tuple(json.loads(r[2])), raw=r[5])
            )
            i += 1
        else:
            r = ss[j]
            out.append(Outgoing("sms", r[0], r[1], r[3], r[4], destination=r[2]))
            j += 1
    return out
