"""The local cloud's SQLite database: messages, SMS and registered devices."""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar, Union

from hologram_sdk.base.errors import ConfigurationError, HologramError
from hologram_sdk.emulator.cloud.records import (
    Device,
    PathLike,
    StoredMessage,
    StoredSMS,
    _storable,
    _topics_from_json,
    _topics_json,
)

T = TypeVar("T")

logger = logging.getLogger(__name__)

#: how a stored device key starts: only its salted hash is kept
SEALED = "hmac-sha256$"


def _tighten(path: str) -> None:
    """Make a database file readable by its owner only (0600) if others could read
    it, saying so once: it holds what devices sent and their credentials."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        return
    if mode & 0o077:
        try:
            os.chmod(path, 0o600)
        except OSError as exc:
            raise ConfigurationError(
                f"{path} is readable by others (mode {mode:04o}) and cannot be made "
                f"0600: {exc.strerror or exc}; fix its mode or use another --db"
            ) from None
        logger.warning(
            "%s was readable by others (mode %04o): made 0600 (it holds device data)",
            path,
            mode,
        )


def _raw_bytes(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device TEXT NOT NULL,
    topics TEXT NOT NULL,
    data TEXT NOT NULL,
    received REAL NOT NULL,
    raw BLOB
);
CREATE TABLE IF NOT EXISTS sms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device TEXT NOT NULL,
    destination TEXT NOT NULL,
    text TEXT NOT NULL,
    received REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    name TEXT PRIMARY KEY,
    cloud_id TEXT,
    cloud_key TEXT,
    devicekey TEXT,
    registered REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
"""


class CloudStore:
    """The local cloud's SQLite database: messages, SMS and registered devices.

    One connection guarded by a lock, so any thread may call any method.
    ``readonly=True`` opens an existing file without writing to it (what
    ``hologram messages`` does while a server is running).

    :param path: the database file, or ``":memory:"``
    :param readonly: open an existing file for reading only
    :raises ConfigurationError: the file is missing (read-only) or cannot be opened
    """

    def __init__(self, path: PathLike = ":memory:", *, readonly: bool = False) -> None:
        self.path = os.fspath(path)
        self.readonly = readonly
        self._salt = b""  # per database, for sealing device keys (see seal)
        # Re-entrant: a transaction (see :meth:`transaction`) holds it while the
        # usual methods add rows inside it.
        self._lock = threading.RLock()
        #: a second, read-only connection for slow reads (see :meth:`read_aside`)
        self._side: Optional[sqlite3.Connection] = None
        self._side_lock = threading.Lock()
        memory = self.path == ":memory:"
        try:
            if readonly:
                if memory or not os.path.isfile(self.path):
                    raise ConfigurationError(
                        f"no local cloud database at {self.path}: "
                        f"start one with `hologram server --db {self.path}`"
                    )
                uri = Path(self.path).resolve().as_uri() + "?mode=ro"
                self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
                self._conn.execute("PRAGMA query_only=ON")
                # Read the header now: a file that is not SQLite fails here, in one line.
                tables = {r[0] for r in self._conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table'")}
                if "messages" not in tables:
                    self._conn.close()
                    raise ConfigurationError(
                        f"{self.path} is not a local cloud database (it has no messages "
                        "table); give the --db of `hologram server`"
                    )
            else:
                created = False
                if not memory:
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                    created = not os.path.exists(self.path)
                # Autocommit: every write is one INSERT, committed on its own
                # (no BEGIN/COMMIT statements around it).
                self._conn = sqlite3.connect(
                    self.path, check_same_thread=False, isolation_level=None
                )
                if created:
                    os.chmod(self.path, 0o600)  # it holds device keys
                elif not memory:
                    _tighten(self.path)
                # WAL lets `hologram messages` read while the server writes.
                # synchronous=FULL makes every commit fsync the WAL, so a row
                # is on disk before the server answers [0,0]: the device then
                # drops its copy, and a power cut must not lose the message.
                # (In WAL mode NORMAL may lose the last commits on power loss.)
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=FULL")
                self._conn.executescript(_SCHEMA)
                self._salt = self._key_salt()
                self._migrate()
                if not memory:  # the WAL holds the same rows
                    for extra in (self.path + "-wal", self.path + "-shm"):
                        _tighten(extra)
        except sqlite3.Error as exc:
            raise ConfigurationError(f"cannot open database {self.path}: {exc}") from exc

    # lifecycle

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            conn, self._conn = self._conn, None  # type: ignore[assignment]
        with self._side_lock:
            side, self._side = self._side, None
        if side is not None:
            side.close()
        if conn is not None:
            conn.close()

    def __enter__(self) -> CloudStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        columns = {r[1] for r in self._conn.execute("PRAGMA table_info(messages)")}
        if "raw" not in columns:  # a database from before routes
            self._conn.execute("ALTER TABLE messages ADD COLUMN raw BLOB")
        # keys stored in plain text by earlier versions: keep only their seal
        rows = self._conn.execute(
            "SELECT name, cloud_key, devicekey FROM devices WHERE "
            "(cloud_key IS NOT NULL AND cloud_key NOT LIKE ?) OR "
            "(devicekey IS NOT NULL AND devicekey NOT LIKE ?)",
            (SEALED + "%", SEALED + "%"),
        ).fetchall()
        if rows:
            with self._conn:
                self._conn.execute("BEGIN")
                for name, cloud_key, devicekey in rows:
                    self._conn.execute(
                        "UPDATE devices SET cloud_key = ?, devicekey = ? WHERE name = ?",
                        (self._sealed(cloud_key), self._sealed(devicekey), name),
                    )
            logger.info("%s: %d device keys stored as salted hashes now", self.path, len(rows))

    def _key_salt(self) -> bytes:
        row = self._conn.execute("SELECT value FROM meta WHERE name = 'key_salt'").fetchone()
        if row is not None:
            return bytes(row[0])
        salt = os.urandom(16)
        self._conn.execute(
            "INSERT OR IGNORE INTO meta (name, value) VALUES ('key_salt', ?)", (salt,)
        )
        row = self._conn.execute("SELECT value FROM meta WHERE name = 'key_salt'").fetchone()
        return bytes(row[0])

    def seal(self, secret: str) -> str:
        """``secret`` (a device key) as stored: an HMAC-SHA256 under this database's
        random salt (see :func:`hologram_sdk.emulator.cloud.devices.matches`)."""
        # hmac.digest: the one-shot C path (the same value as hmac.new(...).hexdigest())
        raw = secret.encode("utf-8", "surrogatepass")
        return SEALED + hmac.digest(self._salt, raw, "sha256").hex()

    def _sealed(self, secret: Optional[str]) -> Optional[str]:
        if secret is None or secret.startswith(SEALED):
            return secret
        return self.seal(secret)

    def run(
        self, work: Callable[[sqlite3.Connection], T], *, write: bool = False, durable: bool = True
    ) -> T:
        """``work(connection)`` under the store's lock (for the modules that add tables).

        A write is one transaction: committed when ``work`` returns, rolled back
        if it raises. ``durable=False`` commits without waiting for the disk
        (bookkeeping that may be lost in a power cut, never in a crash of the
        process: in WAL mode the next durable commit syncs it too).
        """
        with self._lock:
            conn = self._db(write=write)
            if not write:
                return work(conn)
            if not durable:
                conn.execute("PRAGMA synchronous=NORMAL")
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = work(conn)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                if not durable:
                    conn.execute("PRAGMA synchronous=FULL")
            return result

    def read_aside(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)`` on a second, read-only connection, without the store's
        lock: a slow read (a count over a million rows) never holds up the writes the
        devices wait for (in WAL mode readers and the writer do not block each other).
        What it sees is the last committed state. An in-memory or read-only store
        reads as :meth:`run` does."""
        if self.readonly or self.path == ":memory:":
            return self.run(work)
        with self._side_lock:
            if self._side is None:
                if self._conn is None:
                    raise HologramError("the local cloud store is closed")
                uri = Path(self.path).resolve().as_uri() + "?mode=ro"
                self._side = sqlite3.connect(uri, uri=True, check_same_thread=False)
                self._side.execute("PRAGMA query_only=ON")
            return work(self._side)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Every write inside is one transaction: one commit (one fsync) for all.

        Other threads wait until it ends. Rolled back if the block raises.
        """
        with self._lock:
            conn = self._db(write=True)
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def ensure_schema(self, script: str) -> None:
        """Create the tables of ``script`` if missing (writable stores only)."""
        if not self.readonly:
            with self._lock:
                self._db(write=True).executescript(script)

    def has_table(self, name: str) -> bool:
        """Whether the database has the table ``name`` (a read-only store may lack it)."""
        with self._lock:
            row = self._db().execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)
            ).fetchone()
        return row is not None

    def _db(self, write: bool = False) -> sqlite3.Connection:
        if self._conn is None:
            raise HologramError("the local cloud store is closed")
        if write and self.readonly:
            raise HologramError(f"{self.path} is open read-only")
        return self._conn

    # writes

    def add_message(
        self, device: str, topics: list[str], data: str, received: Optional[float] = None
    ) -> int:
        """Store one message durably; returns its id."""
        when = time.time() if received is None else received
        text = _storable(data)
        # Bytes that are not UTF-8 are kept as they came too (routes send them base64).
        raw = None if text is data else _raw_bytes(data)
        with self._lock:
            cur = self._db(write=True).execute(
                "INSERT INTO messages (device, topics, data, received, raw) VALUES (?, ?, ?, ?, ?)",
                (_storable(device), _topics_json(topics), text, when, raw),
            )
            return int(cur.lastrowid or 0)

    def add_sms(
        self, device: str, destination: str, text: str, received: Optional[float] = None
    ) -> int:
        """Store one SMS durably; returns its id."""
        when = time.time() if received is None else received
        with self._lock:
            cur = self._db(write=True).execute(
                "INSERT INTO sms (device, destination, text, received) VALUES (?, ?, ?, ?)",
                (_storable(device), _storable(destination), _storable(text), when),
            )
            return int(cur.lastrowid or 0)

    def add_device(self, device: Device) -> None:
        """Remember a device registered on first contact."""
        with self._lock:
            self._db(write=True).execute(
                "INSERT OR REPLACE INTO devices (name, cloud_id, cloud_key, devicekey, "
                "registered) VALUES (?, ?, ?, ?, ?)",
                (
                    device.name,
                    _storable(device.cloud_id) if device.cloud_id is not None else None,
                    self._sealed(device.cloud_key),
                    self._sealed(device.devicekey),
                    time.time(),
                ),
            )

    # reads

    def messages(
        self, after_id: int = 0, *, before: Optional[int] = None, limit: Optional[int] = None
    ) -> list[StoredMessage]:
        """Messages with an id above ``after_id`` (and below ``before``), oldest first;
        with ``limit``, only the newest ``limit`` of them (one page)."""
        with self._lock:
            rows = self._page("messages", "device, topics, data, received", after_id, before, limit)
        return [StoredMessage(r[0], r[1], _topics_from_json(r[2]), r[3], r[4]) for r in rows]

    def sms(
        self, after_id: int = 0, *, before: Optional[int] = None, limit: Optional[int] = None
    ) -> list[StoredSMS]:
        """SMS with an id above ``after_id`` (and below ``before``), oldest first;
        with ``limit``, only the newest ``limit`` of them (one page)."""
        with self._lock:
            rows = self._page("sms", "device, destination, text, received", after_id, before, limit)
        return [StoredSMS(*r) for r in rows]

    def _page(
        self, table: str, columns: str, after: int, before: Optional[int], limit: Optional[int]
    ) -> list[Any]:
        """Rows of ``table`` by id range: keyset paging on the primary key, so a
        page costs the same deep in a big table as at its end (no OFFSET)."""
        sql = f"SELECT id, {columns} FROM {table} WHERE id > ?"
        args: list[object] = [after]
        if before is not None:
            sql += " AND id < ?"
            args.append(before)
        if limit is None:
            return self._db().execute(sql + " ORDER BY id", args).fetchall()
        args.append(max(0, limit))
        rows = self._db().execute(sql + " ORDER BY id DESC LIMIT ?", args).fetchall()
        rows.reverse()
        return rows

    def devices(self) -> list[Device]:
        """Devices registered on first contact, in registration order."""
        with self._lock:
            rows = (
                self._db()
                .execute(
                    "SELECT name, cloud_id, cloud_key, devicekey FROM devices ORDER BY registered"
                )
                .fetchall()
            )
        return [Device(*r) for r in rows]

    def follow(
        self,
        *,
        after_message: int = 0,
        after_sms: int = 0,
        interval: float = 0.5,
        stop: Optional[threading.Event] = None,
    ) -> Iterator[Union[StoredMessage, StoredSMS]]:
        """Yield new messages and SMS as they are stored, polling every ``interval`` s.

        Ends when ``stop`` is set (checked between polls); runs forever without it.
        """
        last_m, last_s = after_message, after_sms
        while stop is None or not stop.is_set():
            new: list[Union[StoredMessage, StoredSMS]] = [*self.messages(last_m), *self.sms(last_s)]
            for item in sorted(new, key=lambda r: (r.received, r.kind, r.id)):
                if isinstance(item, StoredMessage):
                    last_m = max(last_m, item.id)
                else:
                    last_s = max(last_s, item.id)
                yield item
            if new:
                continue
            if stop is None:
                time.sleep(interval)
            elif stop.wait(interval):
                return
