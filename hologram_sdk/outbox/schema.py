"""The outbox's SQLite schema and the mapping from rows to :class:`OutboxItem`."""

from __future__ import annotations

import functools
import json

from hologram_sdk.outbox.item import OutboxItem

# Durability. The journal is WAL: readers never block the writer, and a crash
# at any moment leaves the file consistent. In WAL mode `synchronous=NORMAL`
# does not fsync on commit: a committed transaction survives a killed
# process, but not a power cut (the WAL tail still in the page cache is gone).
# A message we answered "queued" for must survive a power cut, so `put`
# commits with `synchronous=FULL`: the WAL is fsynced before COMMIT returns
# (measured cost on this machine: about 0.13 ms per commit, ~7,900/s).
# Everything else (claims, acks, releases, dead letters) commits with NORMAL:
# losing one of those to a power cut can only make a message be sent again,
# never lost, and the next FULL commit fsyncs the whole WAL, theirs included.
# A SIGKILL loses nothing either way: the WAL frames were written before
# COMMIT returned, and the kernel keeps them.
DURABLE = "FULL"
RELAXED = "NORMAL"

#: Version 2. Delivered rows whose delete is still to come: an acknowledgement
#: is one small insert here (one page written per commit) instead of a delete
#: that rewrites the row's page, two index pages and the stats row. The next
#: write transaction of any process deletes these rows from ``outbox`` in one
#: go (see ``Outbox._purge_acked``); until then every read leaves them out.
ACKED_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox_acked (
    id INTEGER PRIMARY KEY  -- an outbox row that was delivered
);
"""

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS outbox (
    id          INTEGER PRIMARY KEY,  -- from outbox_stats.last_id: never reused
    destination TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    body        BLOB    NOT NULL,
    text        TEXT,
    topics      TEXT,
    size        INTEGER NOT NULL,
    created     REAL    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    claim_owner TEXT,
    claimed_at  REAL
);
CREATE INDEX IF NOT EXISTS outbox_by_destination ON outbox (destination, id);
CREATE INDEX IF NOT EXISTS outbox_claimed ON outbox (claim_owner)
    WHERE claim_owner IS NOT NULL;
CREATE TABLE IF NOT EXISTS dead_letter (
    id          INTEGER PRIMARY KEY,
    destination TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    body        BLOB    NOT NULL,
    text        TEXT,
    topics      TEXT,
    size        INTEGER NOT NULL,
    created     REAL    NOT NULL,
    attempts    INTEGER NOT NULL,
    last_error  TEXT,
    code        INTEGER NOT NULL,
    failed_at   REAL    NOT NULL
);
-- One row: what the bounds need, read in the put's transaction without a
-- scan, and the last id handed out (ids are never reused, like AUTOINCREMENT,
-- without its extra sqlite_sequence page written on every put).
CREATE TABLE IF NOT EXISTS outbox_stats (
    one      INTEGER PRIMARY KEY CHECK (one = 1),
    messages INTEGER NOT NULL,
    bytes    INTEGER NOT NULL,
    last_id  INTEGER NOT NULL
);
INSERT OR IGNORE INTO outbox_stats VALUES (1, 0, 0, 0);
CREATE TRIGGER IF NOT EXISTS outbox_stats_insert AFTER INSERT ON outbox BEGIN
    UPDATE outbox_stats SET messages = messages + 1, bytes = bytes + new.size,
        last_id = max(last_id, new.id);
END;
CREATE TRIGGER IF NOT EXISTS outbox_stats_delete AFTER DELETE ON outbox BEGIN
    UPDATE outbox_stats SET messages = messages - 1, bytes = bytes - old.size;
END;
"""
    + ACKED_SCHEMA
    + "PRAGMA user_version = 2;"
)

#: The schema version this SDK writes; older versions are upgraded on open.
SCHEMA_VERSION = 2
#: Upgrades from a version to the next, run in one transaction.
MIGRATIONS = {1: ACKED_SCHEMA + "PRAGMA user_version = 2;"}

COLUMNS = (
    "id, destination, kind, body, text, topics, size, created, attempts, last_error, "
    "claim_owner, claimed_at"
)
DEAD_COLUMNS = (
    "id, destination, kind, body, text, topics, size, created, attempts, last_error, "
    "code, failed_at"
)


@functools.lru_cache(maxsize=64)
def _topics(text: str) -> tuple[str, ...]:
    """A row's topics from their JSON (rows of one sender repeat the same few)."""
    return tuple(json.loads(text))


def row_item(row: tuple[object, ...]) -> OutboxItem:
    return OutboxItem(
        id=int(row[0]),  # type: ignore[call-overload]
        destination=str(row[1]),
        kind=str(row[2]),
        body=bytes(row[3]),  # type: ignore[call-overload]
        text=None if row[4] is None else str(row[4]),
        topics=list(_topics(str(row[5]))) if row[5] else [],
        stored_size=int(row[6]),  # type: ignore[call-overload]
        created=float(row[7]),  # type: ignore[arg-type]
        attempts=int(row[8]),  # type: ignore[call-overload]
        last_error=None if row[9] is None else str(row[9]),
    )


def pending_item(row: tuple[object, ...]) -> OutboxItem:
    item = row_item(row)
    item.claim_owner = None if row[10] is None else str(row[10])
    item.claimed_at = None if row[11] is None else float(row[11])  # type: ignore[arg-type]
    return item


def dead_item(row: tuple[object, ...]) -> OutboxItem:
    item = row_item(row)
    item.code = int(row[10])  # type: ignore[call-overload]
    item.failed_at = float(row[11])  # type: ignore[arg-type]
    return item
