"""The outbox's SQLite store: bounded, durable, shared safely between processes.

Why ~690 lines in one module: it is one table and its transaction discipline
(``BEGIN IMMEDIATE``, claims with leases, the size limits and their policies,
dead letters); every method keeps the same invariants inside one transaction,
so they stay side by side. The schema, the claim helpers and the item type are
already apart (``schema.py``, ``claims.py``, ``item.py``).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Callable, Optional, Union

from hologram_sdk.base.errors import (
    ConfigurationError,
    OutboxCorruptError,
    OutboxDiskFullError,
    OutboxError,
    OutboxFullError,
)
from hologram_sdk.base.events import MESSAGE_DROPPED, MESSAGE_FAILED, Event
from hologram_sdk.outbox.acklog import AckLog, orphans
from hologram_sdk.outbox.claims import like_prefix, owner_is_dead
from hologram_sdk.outbox.diskfull import DiskFullLedger
from hologram_sdk.outbox.item import (
    DEFAULT_LEASE,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEAD,
    DEFAULT_MAX_MESSAGES,
    KINDS,
    POLICIES,
    OutboxItem,
    PathLike,
    TopicsArg,
    default_path,
    topics_list,
)
from hologram_sdk.outbox.schema import (
    COLUMNS,
    DEAD_COLUMNS,
    DURABLE,
    MIGRATIONS,
    RELAXED,
    SCHEMA,
    SCHEMA_VERSION,
    dead_item,
    pending_item,
)

logger = logging.getLogger(__name__)

#: Leaves out rows that were delivered and wait to be deleted (see ``ack``).
_NOT_ACKED = "id NOT IN (SELECT id FROM outbox_acked)"

_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_NOTADB = 11, 13, 26

#: ``Outbox(":memory:")``: a private in-memory outbox (nothing survives; for tests).
MEMORY = ":memory:"



def _enter_wal(conn: sqlite3.Connection, busy_timeout: float) -> str:
    """Switch ``conn`` to WAL, waiting while another process sets up the same file.

    Why a loop: SQLite answers "database is locked" to ``journal_mode=WAL`` at
    once, without its busy handler, while a second connection is creating the
    file (two processes, or a sender and an observer, opening a new outbox
    together). The wait is bounded by the caller's busy timeout.
    """
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)

class Outbox:
    """A bounded, durable FIFO of outgoing messages in one SQLite file.

    Thread-safe; several processes may share the file.

    :param path: the database file (default :func:`default_path`); created
        with mode 0600, its parent directories as needed. ``":memory:"`` keeps
        everything in memory (no durability; for tests)
    :param max_messages: at most this many pending messages (all destinations)
    :param max_bytes: at most this many stored bytes (body plus text)
    :param policy: when full, ``"drop_oldest"`` (default) drops the oldest
        waiting messages to make room, ``"drop_newest"`` drops the new one,
        ``"reject"`` raises :class:`OutboxFullError`. Every drop is logged
        and broadcast as ``message.dropped`` with the :class:`OutboxItem`.
    :param event: the event bus for ``message.dropped``/``message.failed``
        (default: a new :class:`Event`, available as :attr:`event`)
    :param clock: wall clock for ``created`` and claim times (shared between
        processes, so not monotonic)
    :param lease: seconds after which a claim is considered abandoned
    :param max_dead: dead letters kept (oldest removed first)
    :param busy_timeout: seconds to wait for another process's write lock
    :param max_file_bytes: a hard cap on the database's size (SQLite
        ``max_page_count``): a write that needs more fails as if the disk were
        full, with :class:`OutboxError`, however the bounds are set
    :raises ConfigurationError: a bad bound or policy
    :raises OutboxError: the file cannot be created or opened as an outbox
    """

    def __init__(
        self,
        path: Optional[PathLike] = None,
        *,
        max_messages: int = DEFAULT_MAX_MESSAGES,
        max_bytes: int = DEFAULT_MAX_BYTES,
        policy: str = "drop_oldest",
        event: Optional[Event] = None,
        clock: Callable[[], float] = time.time,
        lease: float = DEFAULT_LEASE,
        max_dead: int = DEFAULT_MAX_DEAD,
        busy_timeout: float = 10.0,
        max_file_bytes: Optional[int] = None,
    ) -> None:
        for name, value in (("max_messages", max_messages), ("max_bytes", max_bytes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{name} must be a positive integer, got {value!r}")
        if policy not in POLICIES:
            raise ConfigurationError(
                f"unknown outbox policy {policy!r}; valid: {', '.join(POLICIES)}"
            )
        if lease <= 0:
            raise ConfigurationError(f"lease must be positive, got {lease!r}")
        self.path = Path(path) if path is not None else default_path()
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.policy = policy
        self.event = event if event is not None else Event()
        self.lease = float(lease)
        self.max_dead = max_dead
        self._clock = clock
        self._hostname = socket.gethostname()
        #: This instance's claim owner: ``host:pid:token``.
        self.owner = f"{self._hostname}:{os.getpid()}:{secrets.token_hex(4)}"
        self._owners = 0
        self._lock = threading.RLock()
        self._sync = ""
        #: ``(device, inode)`` of the file opened (``None`` in memory): who
        #: replaces a damaged file checks that it is still this one.
        self.identity: Optional[tuple[int, int]] = None
        self._conn: Optional[sqlite3.Connection] = self._open(busy_timeout, max_file_bytes)
        try:
            # claims and acks in memory while the disk is full (see diskfull.py)
            self._ledger = DiskFullLedger(None if str(self.path) == MEMORY else self.path)
        except OSError as exc:
            self._conn.close()
            self._conn = None
            raise OutboxError(f"cannot open the outbox {str(self.path)!r}: {exc}") from exc
        # the WAL-index header, read by change_stamp (None: in memory, or not WAL)
        self._shm: Optional[int] = None
        if self.identity is not None:
            try:
                self._shm = os.open(f"{self.path}-shm", os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                pass
        #: acknowledgements as appends to a file, folded in batches (see acklog.py)
        self._acklog: Optional[AckLog] = None
        if self.identity is not None:
            self._acklog = AckLog(self.path, self.identity[1], self.owner.rsplit(":", 1)[-1])
            self._fold_orphans(self.identity[1])

    def _fold_orphans(self, inode: int) -> None:
        """Write the acknowledgements that ended processes left in their ack logs."""
        for path, fd, ids in orphans(self.path, inode):
            try:
                with self._write("record messages delivered by an ended process") as conn:
                    conn.executemany(
                        "INSERT OR IGNORE INTO outbox_acked (id) SELECT id FROM outbox "
                        "WHERE id = ?",
                        [(i,) for i in ids],
                    )
                os.unlink(path)
                if ids:
                    logger.info("outbox %s: %d deliveries recorded from %s", self.path,
                                len(ids), path.name)
            except (OutboxError, OSError) as exc:
                logger.warning("outbox %s: cannot fold in %s yet: %s", self.path, path.name, exc)
            finally:
                os.close(fd)

    # --- lifecycle ----------------------------------------------------------

    def _open(self, busy_timeout: float, max_file_bytes: Optional[int]) -> sqlite3.Connection:
        memory = str(self.path) == MEMORY
        try:
            if memory:
                pass
            elif self.path.parent != Path(""):
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not memory:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    st = os.fstat(fd)
                    self.identity = (st.st_dev, st.st_ino)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise OutboxError(
                f"cannot create the outbox database {str(self.path)!r}: {exc.strerror or exc}"
            ) from exc
        conn: Optional[sqlite3.Connection] = None
        try:
            conn = sqlite3.connect(
                str(self.path),
                timeout=busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            mode = _enter_wal(conn, busy_timeout)
            if str(mode).lower() != "wal" and not memory:
                logger.warning("outbox %s: journal mode is %s, not WAL", self.path, mode)
            # Checkpoint every 4,000 pages (16 MiB of WAL at 4 KiB pages), not
            # the default 1,000: each checkpoint fsyncs the database, and at
            # replay rates the default made checkpoints a quarter of the cost
            # of a delivered message. The WAL is cut back to 4 MiB afterwards.
            conn.execute("PRAGMA wal_autocheckpoint=4000")
            conn.execute(f"PRAGMA journal_size_limit={4 * 1024 * 1024}")
            if max_file_bytes is not None:
                page = int(conn.execute("PRAGMA page_size").fetchone()[0])
                conn.execute(f"PRAGMA max_page_count={max(1, int(max_file_bytes) // page)}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                conn.executescript("BEGIN IMMEDIATE;" + SCHEMA + "COMMIT;")
            while version in MIGRATIONS:
                conn.executescript("BEGIN IMMEDIATE;" + MIGRATIONS[version] + "COMMIT;")
                version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise OutboxError(
                    f"outbox database {str(self.path)!r} has schema version {version}; "
                    f"this SDK knows versions up to {SCHEMA_VERSION}"
                )
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            raise self._translate(exc, "open") from exc
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        return conn

    def close(self) -> None:
        """Give back this instance's claims and close the file (idempotent)."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is None:
                return
            ledger = self._ledger
            try:
                self._set_sync(conn, RELAXED)
                conn.execute("BEGIN IMMEDIATE")
                self._write_memory_acks(conn)
                self._purge_acked(conn)
                conn.execute(
                    "UPDATE outbox SET claim_owner = NULL, claimed_at = NULL "
                    "WHERE claim_owner = ? OR claim_owner LIKE ? ESCAPE '\\'",
                    (self.owner, like_prefix(self.owner + ".")),
                )
                conn.execute("COMMIT")
                ledger.acked.clear()
                if self._acklog is not None:
                    self._acklog.close(keep=False)
            except sqlite3.Error as exc:
                self._rollback(conn)
                logger.warning("outbox %s: could not release claims at close: %s", self.path, exc)
                if ledger.acked:
                    logger.warning(
                        "outbox %s: %d delivered messages could not be marked delivered "
                        "(%s); they will be sent again",
                        self.path,
                        len(ledger.acked),
                        exc,
                    )
            finally:
                conn.close()
                ledger.close()
                shm, self._shm = self._shm, None
                if shm is not None:
                    os.close(shm)
                if self._acklog is not None:  # still there when COMMIT failed: folded later
                    self._acklog.close(keep=True)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._conn is None

    def __enter__(self) -> Outbox:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"Outbox({str(self.path)!r}, policy={self.policy!r}, {state})"

    # --- plumbing -----------------------------------------------------------

    def _translate(self, exc: sqlite3.Error, what: str) -> OutboxError:
        text = str(exc)
        low = text.lower()
        where = f"outbox {str(self.path)!r}"
        code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+; extended codes
        if code is not None:
            code &= 0xFF
        if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or (
            code is None and ("not a database" in low or "malformed" in low)
        ):
            return OutboxCorruptError(f"{where} is damaged or not an outbox database ({text})")
        if code == _SQLITE_FULL or (code is None and "full" in low):
            return OutboxDiskFullError(
                f"{where}: the disk (or the database's size limit) is full; could not {what}. "
                "Messages already stored are kept."
            )
        if "readonly" in low or "read-only" in low:
            return OutboxError(
                f"{where} is read-only; could not {what}. Messages already stored are kept."
            )
        if "unable to open" in low:
            return OutboxError(f"cannot open the {where}: {text}")
        if "locked" in low or "busy" in low:
            return OutboxError(f"{where} is locked by another process; could not {what}")
        return OutboxError(f"{where}: could not {what}: {text}")

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise OutboxError(f"outbox {str(self.path)!r} is closed")
        return self._conn

    def _set_sync(self, conn: sqlite3.Connection, mode: str) -> None:
        if self._sync != mode:
            conn.execute(f"PRAGMA synchronous={mode}")
            self._sync = mode

    @staticmethod
    def _purge_acked(conn: sqlite3.Connection) -> None:
        """Delete the delivered rows listed in ``outbox_acked`` (inside a write transaction).

        Every write transaction but :meth:`ack` starts with this, whichever
        process acknowledged the rows: so no write ever sees a delivered row
        as pending (to claim it again, drop it, count it against the bounds
        or free its claim), and every id in ``outbox_acked`` is a row of
        ``outbox``, which the reads rely on.
        """
        if conn.execute("SELECT 1 FROM outbox_acked LIMIT 1").fetchone() is not None:
            conn.execute("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox_acked)")
            conn.execute("DELETE FROM outbox_acked")

    def _write_memory_acks(self, conn: sqlite3.Connection) -> list[int]:
        """Write the acknowledgements kept in memory (inside a write transaction)."""
        ids = list(self._ledger.acked)
        if ids:
            conn.executemany(
                "INSERT OR IGNORE INTO outbox_acked (id) SELECT id FROM outbox WHERE id = ?",
                [(i,) for i in ids],
            )
        return ids

    @contextmanager
    def _write(self, what: str, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT), errors translated.

        It starts by writing the acknowledgements kept in memory (a full
        disk) and deleting the rows acknowledged since the last one.
        """
        with self._lock:
            conn = self._connection()
            try:
                self._set_sync(conn, DURABLE if durable else RELAXED)
                conn.execute("BEGIN IMMEDIATE")
                written = self._write_memory_acks(conn)
                self._purge_acked(conn)
                yield conn
                conn.execute("COMMIT")
                if written:
                    for row in written:
                        self._ledger.acked.pop(row, None)
                    if not self._ledger.acked and self._acklog is not None:
                        self._acklog.reset()
                    self._ledger.settle()
            except sqlite3.Error as exc:
                self._rollback(conn)
                raise self._translate(exc, what) from exc
            except BaseException:
                self._rollback(conn)
                raise

    def _write_one(self, what: str, sql: str, args: Sequence[object] = ()) -> int:
        """One statement in a write transaction (acknowledged rows deleted first).

        :returns: the number of rows it changed
        """
        with self._write(what) as conn:
            return int(conn.execute(sql, tuple(args)).rowcount)

    def _write_alone(self, what: str, sql: str, args: Sequence[object] = ()) -> None:
        """One statement in its own implicit transaction: one execute, not three.

        No purge: for :meth:`ack` only, which must stay one small commit.
        """
        with self._lock:
            conn = self._connection()
            try:
                self._set_sync(conn, RELAXED)
                conn.execute(sql, tuple(args))
            except sqlite3.Error as exc:
                self._rollback(conn)
                raise self._translate(exc, what) from exc

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:  # already rolled back by SQLite itself
                pass

    def _read(self, what: str, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            conn = self._connection()
            try:
                return list(conn.execute(sql, tuple(args)).fetchall())
            except sqlite3.Error as exc:
                raise self._translate(exc, what) from exc

    # --- storing ------------------------------------------------------------

    def put(
        self,
        destination: str,
        kind: str,
        body: Union[bytes, bytearray, str],
        topics: TopicsArg = None,
        *,
        text: Optional[str] = None,
    ) -> Optional[OutboxItem]:
        """Store one message; it is committed (fsynced) before this returns.

        :param destination: the destination key, e.g. ``"host:port"``
        :param kind: ``"message"``, ``"sms"`` or ``"raw"`` (see :data:`KINDS`)
        :param body: the exact request bytes (a ``str`` is stored as UTF-8)
        :param topics: a topic or a list of them, kept with the row
        :param text: the message as the application gave it, for display and
            events, when ``body`` is not readable (e.g. an encoded request)
        :returns: the stored item, or ``None`` when policy ``drop_newest``
            dropped it because the outbox is full
        :raises OutboxFullError: full with policy ``reject``, or the message
            alone is larger than ``max_bytes``
        :raises OutboxError: the disk is full or the file is unwritable
        """
        if not isinstance(destination, str) or not destination:
            raise ConfigurationError(f"destination must be a non-empty string, got {destination!r}")
        if kind not in KINDS:
            raise ConfigurationError(f"unknown kind {kind!r}; valid: {', '.join(KINDS)}")
        if isinstance(body, str):
            data = body.encode("utf-8", errors="surrogateescape")
        elif isinstance(body, (bytes, bytearray)):
            data = bytes(body)
        else:
            raise ConfigurationError(f"body must be bytes or str, got {type(body).__name__}")
        topic_list = topics_list(topics)
        item = OutboxItem(
            id=None,
            destination=destination,
            kind=kind,
            body=data,
            topics=topic_list,
            text=text,
            created=self._clock(),
        )
        size = item.size
        if size > self.max_bytes:
            raise OutboxFullError(
                f"a message of {size} bytes can never fit in an outbox of "
                f"max_bytes={self.max_bytes}"
            )
        dropped: list[OutboxItem] = []
        with self._write("store the message", durable=True) as conn:
            messages, stored, last_id = conn.execute(
                "SELECT messages, bytes, last_id FROM outbox_stats WHERE one = 1"
            ).fetchone()
            over_count = messages + 1 - self.max_messages
            over_bytes = stored + size - self.max_bytes
            if over_count > 0 or over_bytes > 0:
                if self.policy == "reject":
                    raise OutboxFullError(
                        f"outbox {str(self.path)!r} is full ({messages} messages, {stored} "
                        f"bytes; limits {self.max_messages} and {self.max_bytes}); "
                        "message rejected"
                    )
                if self.policy == "drop_newest":
                    dropped.append(item)
                else:
                    dropped = self._take_oldest(conn, over_count, over_bytes)
            if not dropped or dropped[0] is not item:
                conn.execute(
                    "INSERT INTO outbox "
                    "(id, destination, kind, body, text, topics, size, created) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        last_id + 1,
                        destination,
                        kind,
                        data,
                        text,
                        json.dumps(topic_list) if topic_list else None,
                        size,
                        item.created,
                    ),
                )
                item.id = last_id + 1
        for victim in dropped:
            logger.warning(
                "outbox %s full (policy %s): dropped message %s for %s (%d bytes)",
                self.path,
                self.policy,
                "(new)" if victim.id is None else victim.id,
                victim.destination,
                victim.size,
            )
            self.event.broadcast(MESSAGE_DROPPED, victim)
        if item.id is None:
            return None
        logger.debug("outbox: stored message %d for %s", item.id, destination)
        return item

    def restore(self, items: Sequence[OutboxItem]) -> list[int]:
        """Store rows read back from another outbox file, in one transaction (fsynced).

        For ``hologram outbox recover``: each row keeps its destination, kind,
        body, text, topics, creation time, attempts and last error; it gets a
        new id after every row already waiting (so, per destination, after
        what was queued since). The bounds are not applied: the operator asked
        for these rows; later puts apply the policy as usual.

        :returns: the new ids, in the order of ``items``
        """
        ids: list[int] = []
        with self._write("store the recovered messages", durable=True) as conn:
            (last_id,) = conn.execute("SELECT last_id FROM outbox_stats WHERE one = 1").fetchone()
            for n, item in enumerate(items, 1):
                conn.execute(
                    "INSERT INTO outbox (id, destination, kind, body, text, topics, size, "
                    "created, attempts, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        last_id + n,
                        item.destination,
                        item.kind,
                        item.body,
                        item.text,
                        json.dumps(item.topics) if item.topics else None,
                        item.size,
                        item.created,
                        item.attempts,
                        item.last_error,
                    ),
                )
                ids.append(last_id + n)
        return ids

    def _take_oldest(
        self, conn: sqlite3.Connection, over_count: int, over_bytes: int
    ) -> list[OutboxItem]:
        """Delete the oldest rows (unclaimed first) until the new one fits."""
        victims: list[OutboxItem] = []
        freed = 0
        for where in ("claim_owner IS NULL", "claim_owner IS NOT NULL"):
            cursor = conn.execute(f"SELECT {COLUMNS} FROM outbox WHERE {where} ORDER BY id")
            for row in cursor:
                if len(victims) >= over_count and freed >= over_bytes:
                    break
                victim = pending_item(row)
                victims.append(victim)
                freed += victim.size
            cursor.close()
            if len(victims) >= over_count and freed >= over_bytes:
                break
        conn.executemany("DELETE FROM outbox WHERE id = ?", [(v.id,) for v in victims])
        return victims

    # --- reading ------------------------------------------------------------

    def has_pending(self, destination: Optional[str] = None) -> bool:
        """Whether any message waits (for ``destination``, or at all)."""
        skip = self._ledger.acked
        where, args = ("destination = ? AND", [destination]) if destination else ("", [])
        rows = self._read(
            "read",
            f"SELECT id FROM outbox WHERE {where} {_NOT_ACKED} ORDER BY id LIMIT ?",
            [*args, len(skip) + 1],
        )
        return any(row[0] not in skip for row in rows)

    def pending(
        self, destination: Optional[str] = None, limit: Optional[int] = None
    ) -> list[OutboxItem]:
        """Waiting messages, oldest first."""
        skip = self._ledger.acked
        where, args = ("AND destination = ?", [destination]) if destination else ("", [])
        rows = self._read(
            "read",
            f"SELECT {COLUMNS} FROM outbox WHERE {_NOT_ACKED} {where} ORDER BY id LIMIT ?",
            [*args, -1 if limit is None else limit + len(skip)],
        )
        items = [pending_item(row) for row in rows if row[0] not in skip]
        return items if limit is None else items[:limit]

    def _memory_acked(self, destination: Optional[str] = None) -> tuple[int, int]:
        """How many rows (and bytes) are delivered in memory only, for ``destination``."""
        with self._lock:
            held = [v for v in self._ledger.acked.values() if destination in (None, v[0])]
        return len(held), sum(size for _, size in held)

    def count(self, destination: Optional[str] = None) -> int:
        """How many messages wait (for ``destination``, or at all)."""
        if destination is None:
            rows = self._read(
                "read",
                "SELECT messages - (SELECT count(*) FROM outbox_acked) "
                "FROM outbox_stats WHERE one = 1",
            )
        else:
            rows = self._read(
                "read",
                f"SELECT count(*) FROM outbox WHERE destination = ? AND {_NOT_ACKED}",
                (destination,),
            )
        total = int(rows[0][0]) if rows else 0  # type: ignore[call-overload]
        return total - self._memory_acked(destination)[0]

    def stored_bytes(self) -> int:
        """Bytes counted against ``max_bytes``."""
        rows = self._read(
            "read",
            "SELECT bytes - (SELECT coalesce(sum(size), 0) FROM outbox "
            "WHERE id IN (SELECT id FROM outbox_acked)) FROM outbox_stats WHERE one = 1",
        )
        total = int(rows[0][0]) if rows else 0  # type: ignore[call-overload]
        return total - self._memory_acked()[1]

    def destinations(self) -> list[str]:
        """Destinations with waiting messages, the one with the oldest message first."""
        rows = self._read(
            "read",
            f"SELECT destination, count(*) FROM outbox WHERE {_NOT_ACKED} "
            "GROUP BY destination ORDER BY min(id)",
        )
        if not self._ledger.acked:
            return [str(row[0]) for row in rows]
        return [
            str(row[0])
            for row in rows
            if int(row[1]) > self._memory_acked(str(row[0]))[0]  # type: ignore[call-overload]
        ]

    def dead(self, limit: Optional[int] = None) -> list[OutboxItem]:
        """Dead letters, oldest first; each has ``code`` and ``failed_at``."""
        rows = self._read(
            "read",
            f"SELECT {DEAD_COLUMNS} FROM dead_letter ORDER BY failed_at, id LIMIT ?",
            [-1 if limit is None else limit],
        )
        return [dead_item(row) for row in rows]

    # --- claiming and delivery bookkeeping ----------------------------------

    def claim(
        self, destination: str, owner: Optional[str] = None, limit: int = 1
    ) -> list[OutboxItem]:
        """Claim up to ``limit`` of the oldest unclaimed rows of ``destination``.

        One transaction (``BEGIN IMMEDIATE``), so two connections or processes
        never hold the same row. A claim older than ``lease`` seconds counts as
        abandoned and may be claimed again.
        """
        owner = owner or self.owner
        now = self._clock()
        with self._lock:
            ledger = self._ledger
            if not ledger.may_claim():  # another process delivers from memory
                return []
            skip = ledger.excluded()
            try:
                with self._write("claim messages") as conn:
                    rows = conn.execute(
                        f"SELECT {COLUMNS} FROM outbox WHERE destination = ? "
                        "AND (claim_owner IS NULL OR claimed_at < ?) "
                        f"AND id NOT IN ({','.join('?' * len(skip))}) ORDER BY id LIMIT ?",
                        (destination, now - self.lease, *skip, limit),
                    ).fetchall()
                    items = [pending_item(row) for row in rows]
                    conn.executemany(
                        "UPDATE outbox SET claim_owner = ?, claimed_at = ? WHERE id = ?",
                        [(owner, now, item.id) for item in items],
                    )
            except OutboxDiskFullError:
                if not ledger.go_exclusive():
                    raise
                items = self._claim_in_memory(destination, owner, limit, set(skip))
        for item in items:
            item.claim_owner, item.claimed_at = owner, now
        return items

    def _claim_in_memory(
        self, destination: str, owner: str, limit: int, skip: set[int]
    ) -> list[OutboxItem]:
        """The disk is full and this instance is the sole owner: claim without writing.

        Every claim in the file is then stale (no other ``Outbox`` has it
        open), so only the rows held in memory are skipped.
        """
        rows = self._read(
            "claim messages",
            f"SELECT {COLUMNS} FROM outbox WHERE destination = ? AND {_NOT_ACKED} "
            "ORDER BY id LIMIT ?",
            (destination, limit + len(skip)),
        )
        items = [pending_item(row) for row in rows if row[0] not in skip][:limit]
        for item in items:
            assert item.id is not None
            self._ledger.claims[item.id] = owner
        return items

    def _full_in_memory(self, ids: Sequence[Optional[int]]) -> bool:
        """A write failed on a full disk: whether this instance may carry on in memory.

        If so the rows' memory claims are dropped; if not the caller raises.
        """
        if not self._ledger.go_exclusive():
            return False
        self._ledger.drop_claims([i for i in ids if i is not None])
        self._ledger.settle()
        return True

    def new_owner(self) -> str:
        """A claim owner of its own for one sender (``<owner>.<n>``), freed at :meth:`close`."""
        with self._lock:
            self._owners += 1
            return f"{self.owner}.{self._owners}"

    def release_claims(self, owner: str) -> int:
        """Free every row claimed by ``owner``. :returns: how many were freed"""
        with self._lock:
            mine = [i for i, o in self._ledger.claims.items() if o == owner]
            self._ledger.drop_claims(mine)
            self._ledger.settle()
            try:
                return len(mine) + self._write_one(
                    "give back claims",
                    "UPDATE outbox SET claim_owner = NULL, claimed_at = NULL "
                    "WHERE claim_owner = ?",
                    (owner,),
                )
            except OutboxDiskFullError:
                if not self._full_in_memory([]):
                    raise
                return len(mine)

    def claim_next(self, destination: str, owner: Optional[str] = None) -> Optional[OutboxItem]:
        """Claim the oldest unclaimed row of ``destination``, or ``None``."""
        items = self.claim(destination, owner, 1)
        return items[0] if items else None

    def release_stale_claims(self) -> int:
        """Free claims held by processes of this host that no longer run.

        Claims of other hosts (or of unknown owners) expire after ``lease``.
        :returns: how many rows were freed
        """
        rows = self._read(
            "read claims",
            "SELECT DISTINCT claim_owner FROM outbox WHERE claim_owner IS NOT NULL",
        )
        gone = [str(r[0]) for r in rows if owner_is_dead(str(r[0]), self._hostname)]
        if not gone:
            return 0
        marks = ",".join("?" * len(gone))
        try:
            with self._write("free abandoned claims") as conn:
                cursor = conn.execute(
                    "UPDATE outbox SET claim_owner = NULL, claimed_at = NULL "
                    f"WHERE claim_owner IN ({marks})",
                    gone,
                )
                freed = cursor.rowcount
        except OutboxDiskFullError:
            if not self._full_in_memory([]):
                raise
            return 0  # stale claims do not stop a sole owner's memory claims
        logger.info("outbox %s: freed %d rows claimed by ended processes", self.path, freed)
        return freed

    def ack(self, item: OutboxItem, *, defer: bool = False) -> None:
        """Mark a row delivered. Call only after the destination's reply arrived.

        From the moment this returns the row is gone for every reader and
        writer, and no process sends it again, even after a crash. To keep this
        one small commit (it sits between one message and the next), the row
        is listed in ``outbox_acked``; the next write transaction deletes it.

        :param defer: for a sender that writes again soon (a delivery round
            claims its next batch, or calls :meth:`flush_acks` at its end):
            the id is appended to this instance's ack log instead (~2 µs, as
            safe against a killed process; see ``acklog.py``). This instance
            leaves the row out at once; other processes see it waiting, but
            claimed by the sender, until the next write here
        """
        with self._lock:
            ledger = self._ledger
            if (
                defer
                and item.id is not None
                and self._acklog is not None
                and self._acklog.append(item.id)
            ):
                ledger.acked[item.id] = (item.destination, item.size)
                ledger.claims.pop(item.id, None)
                return
            try:
                if ledger.acked:  # written along with those kept in memory
                    self._write_one(
                        "record a delivered message",
                        "INSERT OR IGNORE INTO outbox_acked (id) SELECT id FROM outbox "
                        "WHERE id = ?",
                        (item.id,),
                    )
                else:
                    self._write_alone(
                        "record a delivered message",
                        "INSERT OR IGNORE INTO outbox_acked (id) SELECT id FROM outbox "
                        "WHERE id = ?",
                        (item.id,),
                    )
            except OutboxDiskFullError:
                if item.id is None or not ledger.go_exclusive():
                    raise
                ledger.acked[item.id] = (item.destination, item.size)
            if item.id is not None and ledger.claims.pop(item.id, None) is not None:
                ledger.settle()

    def change_stamp(self) -> Optional[bytes]:
        """Something that changes whenever any process commits to the file, or ``None``.

        The first 48 bytes of the ``-shm`` file: SQLite's WAL-index header,
        whose change counter and last frame number every commit in WAL mode
        updates (https://www.sqlite.org/walformat.html). One ``pread``: no
        SQLite call, no lock. Equal stamps mean no commit in between; a torn
        read only makes two stamps differ, which is the safe side.
        """
        shm = self._shm
        if shm is None:
            return None
        try:
            return os.pread(shm, 48, 0)
        except OSError:
            return None

    def flush_acks(self) -> None:
        """Write the deferred acknowledgements now (nothing to do: no write at all)."""
        with self._lock:
            if self._ledger.acked:
                try:
                    with self._write("record delivered messages"):
                        pass
                except OutboxDiskFullError:  # kept in memory (and the log) meanwhile
                    if not self._ledger.go_exclusive():
                        raise

    def release(self, item: OutboxItem, error: str) -> None:
        """Give a row back after a failed attempt: ``attempts`` + 1, ``last_error`` set."""
        item.attempts += 1
        item.last_error = error
        item.claim_owner = item.claimed_at = None
        with self._lock:
            try:
                self._write_one(
                    "record a failed attempt",
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?, "
                    "claim_owner = NULL, claimed_at = NULL WHERE id = ?",
                    (error, item.id),
                )
            except OutboxDiskFullError:  # the attempt goes uncounted
                if not self._full_in_memory([item.id]):
                    raise
                return
            self._ledger.drop_claims([item.id] if item.id is not None else [])
            self._ledger.settle()

    def unclaim(self, items: Sequence[OutboxItem]) -> None:
        """Give rows back untried (no attempt counted)."""
        if not items:
            return
        with self._lock:
            ids = [item.id for item in items]
            try:
                with self._write("give back claims") as conn:
                    conn.executemany(
                        "UPDATE outbox SET claim_owner = NULL, claimed_at = NULL WHERE id = ?",
                        [(i,) for i in ids],
                    )
            except OutboxDiskFullError:
                if not self._full_in_memory(ids):
                    raise
            self._ledger.drop_claims([i for i in ids if i is not None])
            self._ledger.settle()
        for item in items:
            item.claim_owner = item.claimed_at = None

    def dead_letter(self, item: OutboxItem, code: int, error: Optional[str] = None) -> OutboxItem:
        """Move a row to the dead-letter table and broadcast ``message.failed``.

        :param code: the cloud's final result code
        :param error: a description (default: the code)
        :returns: the dead letter (the item with ``code`` and ``failed_at``)
        """
        now = self._clock()
        dead = replace(
            item,
            code=int(code),
            failed_at=now,
            attempts=item.attempts + 1,
            last_error=error or f"refused by the cloud with code {int(code)}",
            claim_owner=None,
            claimed_at=None,
        )
        with self._lock:
            try:
                with self._write("move a message to the dead letters") as conn:
                    conn.execute(
                        f"INSERT OR REPLACE INTO dead_letter ({DEAD_COLUMNS}) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            dead.id,
                            dead.destination,
                            dead.kind,
                            dead.body,
                            dead.text,
                            json.dumps(dead.topics) if dead.topics else None,
                            dead.size,
                            dead.created,
                            dead.attempts,
                            dead.last_error,
                            dead.code,
                            now,
                        ),
                    )
                    conn.execute("DELETE FROM outbox WHERE id = ?", (item.id,))
                    conn.execute(
                        "DELETE FROM dead_letter WHERE id NOT IN "
                        "(SELECT id FROM dead_letter ORDER BY failed_at DESC, id DESC LIMIT ?)",
                        (self.max_dead,),
                    )
            except OutboxDiskFullError:
                if item.id is None or not self._ledger.go_exclusive():
                    raise
                # it leaves the queue; only the log line and the event record it
                self._ledger.acked[item.id] = (item.destination, item.size)
                self._ledger.drop_claims([item.id])
                logger.warning(
                    "outbox %s: the disk is full: message %s refused with code %d is "
                    "dropped without a dead letter",
                    self.path,
                    item.id,
                    int(code),
                )
                self.event.broadcast(MESSAGE_FAILED, dead)
                return dead
            self._ledger.drop_claims([item.id] if item.id is not None else [])
            self._ledger.settle()
        logger.warning(
            "outbox %s: message %s for %s refused with code %d; moved to dead letters",
            self.path,
            item.id,
            item.destination,
            int(code),
        )
        self.event.broadcast(MESSAGE_FAILED, dead)
        return dead

    # --- housekeeping -------------------------------------------------------

    def clear(self) -> int:
        """Delete every waiting message. :returns: how many were removed"""
        return self._write_one("clear the outbox", "DELETE FROM outbox")

    def clear_dead(self) -> int:
        """Delete every dead letter. :returns: how many were removed"""
        return self._write_one("clear the dead letters", "DELETE FROM dead_letter")
