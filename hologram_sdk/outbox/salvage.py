"""Damaged outbox files: moving one aside, and reading back what is still readable.

**Moving aside.** :func:`move_aside` renames ``outbox.db`` (and its ``-wal``
and ``-shm``) to ``outbox.db.damaged-<UTC time>`` next to it: never deleted,
so :func:`salvage` (``hologram outbox recover FILE``) can read it later. It
holds an exclusive ``flock`` on the directory while it checks that the file is
still the one the caller found damaged (same device and inode): when two
processes share an outbox and both find it damaged, the second one leaves the
fresh file the first one started alone.

**Salvage.** The Python ``sqlite3`` module has no ``.recover`` (that is the
``sqlite3`` shell's), and SQLite itself stops at the first damaged page of a
b-tree: a rowid lookup or a scan through a damaged interior page loses every
row under it. So :func:`salvage` reads the file itself, page by page, per the
SQLite file format (https://www.sqlite.org/fileformat2.html):

1. the WAL's committed frames are laid over the database's pages (the last
   committed copy of each page wins; a frame whose salt does not match the
   WAL header belongs to an older generation and is ignored);
2. every page that is a table b-tree leaf (type 13) is parsed on its own:
   its cells, each a rowid and a record, with overflow chains followed;
3. each record is classified by its shape: an ``outbox`` row has 12 columns
   (destination and kind text, body a blob, ...), ``outbox_acked`` rows have
   one, ``outbox_stats`` four; anything else (dead letters, the schema, a
   page of garbage) is left out;
4. pages on the free list are skipped (they may hold rows deleted long ago),
   rows listed in ``outbox_acked`` were delivered and are left out, and a
   rowid seen twice keeps one copy.

A page that does not parse is counted as damaged; a row whose record does not
parse is counted as unreadable. When the ``outbox_stats`` row survived, the
rows it counts that were not found are reported as unreadable too.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from hologram_sdk.base.errors import OutboxError
from hologram_sdk.outbox.item import KINDS, OutboxItem, PathLike

#: What :func:`move_aside` adds to a damaged file's name (then a UTC time).
DAMAGED_SUFFIX = ".damaged-"
_HEADER = b"SQLite format 3\x00"
_TABLE_LEAF = 13
_WAL_MAGIC = (0x377F0682, 0x377F0683)
#: At most this many pages are read from one overflow chain (a loop guard).
_MAX_CHAIN = 1 << 16


# --- moving a damaged file aside -------------------------------------------


def file_identity(path: PathLike) -> Optional[tuple[int, int]]:
    """``(device, inode)`` of ``path``, or ``None`` when it does not exist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


@contextlib.contextmanager
def directory_lock(directory: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``directory`` (serialises replacing a damaged outbox)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def move_aside(
    path: PathLike,
    identity: Optional[tuple[int, int]] = None,
    clock: Callable[[], float] = time.time,
) -> Optional[Path]:
    """Rename a damaged ``path`` (with its ``-wal`` and ``-shm``) out of the way.

    Call it under :func:`directory_lock` of the file's directory.

    :param identity: the :func:`file_identity` of the file found damaged; when
        ``path`` is another file by now (someone moved it aside and started a
        fresh one), nothing is renamed
    :returns: the new name, or ``None`` when nothing was renamed
    :raises OutboxError: the rename failed (e.g. a read-only directory)
    """
    path = Path(path)
    if identity is not None and file_identity(path) != identity:
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(clock()))
    target = path.with_name(path.name + DAMAGED_SUFFIX + stamp)
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}{DAMAGED_SUFFIX}{stamp}.{n}")
    try:
        os.rename(path, target)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutboxError(
            f"cannot move the damaged outbox {str(path)!r} aside: {exc.strerror or exc}"
        ) from exc
    acks = path.name + "-acks-"  # deferred acknowledgements go with their database
    try:
        tails = [n[len(path.name):] for n in os.listdir(path.parent) if n.startswith(acks)]
    except OSError:
        tails = []
    for tail in ("-wal", "-shm", *tails):
        with contextlib.suppress(FileNotFoundError):
            try:
                os.rename(f"{path}{tail}", f"{target}{tail}")
            except FileNotFoundError:
                raise
            except OSError:  # the main file moved: a stale -shm left is harmless
                pass
    return target


# --- reading what is left ---------------------------------------------------


@dataclass
class Salvage:
    """What :func:`salvage` found in a damaged outbox file."""

    #: Waiting messages that could be read, oldest (lowest id) first.
    items: list[OutboxItem] = field(default_factory=list)
    #: Rows whose record could not be read.
    unreadable: int = 0
    #: Pages that should hold rows but did not parse.
    damaged_pages: int = 0
    #: Delivered rows (listed in ``outbox_acked``) left out.
    delivered: int = 0
    #: Waiting messages the file counted (``outbox_stats``), if that row survived.
    expected: Optional[int] = None

    @property
    def missing(self) -> int:
        """Rows known to be lost: unreadable ones, or what the count says is missing."""
        if self.expected is None:
            return self.unreadable
        return max(self.unreadable, self.expected - len(self.items))


class _Corrupt(Exception):
    """A page or a record does not parse."""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for i in range(9):
        if pos + i >= len(buf):
            raise _Corrupt("varint runs past the end")
        byte = buf[pos + i]
        if i == 8:
            return (value << 8) | byte, pos + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, pos + i + 1
    raise _Corrupt("unreachable")  # pragma: no cover


def _record(payload: bytes) -> list[object]:
    header_size, pos = _varint(payload, 0)
    if header_size > len(payload) or header_size < pos:
        raise _Corrupt("record header size")
    types = []
    while pos < header_size:
        serial, pos = _varint(payload, pos)
        types.append(serial)
    body = header_size
    values: list[object] = []
    sizes = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}
    for serial in types:
        if serial == 0:
            values.append(None)
        elif serial in sizes:
            n = sizes[serial]
            if body + n > len(payload):
                raise _Corrupt("integer past the end")
            values.append(int.from_bytes(payload[body : body + n], "big", signed=True))
            body += n
        elif serial == 7:
            if body + 8 > len(payload):
                raise _Corrupt("float past the end")
            values.append(struct.unpack(">d", payload[body : body + 8])[0])
            body += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial >= 12:
            n = (serial - 12) // 2
            if body + n > len(payload):
                raise _Corrupt("blob or text past the end")
            chunk = payload[body : body + n]
            body += n
            values.append(bytes(chunk) if serial % 2 == 0 else chunk.decode("utf-8"))
        else:
            raise _Corrupt(f"reserved serial type {serial}")
    return values


class _Pages:
    """The database's pages with the WAL's committed frames laid over them."""

    def __init__(self, data: bytes, wal: bytes) -> None:
        if len(data) >= 100 and data[:16] == _HEADER:
            size = struct.unpack(">H", data[16:18])[0]
            self.page_size = 65536 if size == 1 else size
            self.reserved = data[20]
            self.free_trunk = struct.unpack(">I", data[32:36])[0]
        else:
            self.page_size, self.reserved, self.free_trunk = 0, 0, 0
        self.pages: dict[int, bytes] = {}
        wal_size = self._read_wal(wal)
        if not self.page_size:
            self.page_size = wal_size or 4096
        if self.page_size < 512 or self.page_size & (self.page_size - 1):
            self.page_size = 4096  # a garbage header: guess SQLite's default
        for number in range(1, len(data) // self.page_size + 1):
            if number not in self.pages:
                start = (number - 1) * self.page_size
                self.pages[number] = data[start : start + self.page_size]
        page1 = self.pages.get(1, b"")
        if wal and page1[:16] == _HEADER:  # the WAL's page 1 has the newer free list
            self.free_trunk = struct.unpack(">I", page1[32:36])[0]
        self.usable = self.page_size - self.reserved

    def _read_wal(self, wal: bytes) -> int:
        if len(wal) < 32:
            return 0
        magic, _version, page_size = (int(v) for v in struct.unpack(">III", wal[:12]))
        if magic not in _WAL_MAGIC or page_size < 512 or page_size & (page_size - 1):
            return 0
        if self.page_size and page_size != self.page_size:
            return 0
        salts = wal[16:24]
        frame = 24 + page_size
        pending: dict[int, bytes] = {}
        pos = 32
        while pos + frame <= len(wal):
            number, commit = struct.unpack(">II", wal[pos : pos + 8])
            if wal[pos + 8 : pos + 16] != salts or number == 0:
                break  # an older generation's frame: the WAL ends here
            pending[number] = wal[pos + 24 : pos + frame]
            if commit:  # a commit frame: everything up to here counts
                self.pages.update(pending)
                pending = {}
            pos += frame
        return page_size

    def free_pages(self) -> set[int]:
        """Pages on the free list (as far as it can be followed)."""
        free: set[int] = set()
        trunk, seen = self.free_trunk, set()
        while trunk and trunk not in seen and trunk in self.pages:
            seen.add(trunk)
            page = self.pages[trunk]
            free.add(trunk)
            nxt, count = struct.unpack(">II", page[:8])
            count = min(count, (self.usable - 8) // 4)
            for i in range(count):
                free.add(struct.unpack(">I", page[8 + 4 * i : 12 + 4 * i])[0])
            trunk = nxt
        return free

    def cells(self, number: int) -> Iterator[tuple[int, Optional[bytes]]]:
        """``(rowid, payload)`` of each cell of a table leaf page (payload ``None``: unreadable).

        :raises _Corrupt: the page is not a table leaf, or its header is damaged
        """
        page = self.pages[number]
        head = 100 if number == 1 else 0
        if len(page) < head + 8 or page[head] != _TABLE_LEAF:
            raise _Corrupt("not a table leaf")
        count = struct.unpack(">H", page[head + 3 : head + 5])[0]
        if head + 8 + 2 * count > self.usable:
            raise _Corrupt("cell count")
        for i in range(count):
            start = head + 8 + 2 * i
            offset = struct.unpack(">H", page[start : start + 2])[0]
            try:
                if not head + 8 + 2 * count <= offset < self.usable:
                    raise _Corrupt("cell offset")
                size, pos = _varint(page, offset)
                rowid, pos = _varint(page, pos)
                yield rowid, self._payload(page, pos, size)
            except _Corrupt:
                yield -1, None

    def _payload(self, page: bytes, pos: int, size: int) -> bytes:
        usable = self.usable
        most = usable - 35
        if size <= most:
            if pos + size > usable:
                raise _Corrupt("payload past the page")
            return page[pos : pos + size]
        least = (usable - 12) * 32 // 255 - 23
        local = least + (size - least) % (usable - 4)
        if local > most:
            local = least
        if pos + local + 4 > usable:
            raise _Corrupt("payload past the page")
        parts = [page[pos : pos + local]]
        left = size - local
        nxt = struct.unpack(">I", page[pos + local : pos + local + 4])[0]
        hops = 0
        while left > 0:
            hops += 1
            if nxt not in self.pages or hops > _MAX_CHAIN:
                raise _Corrupt("overflow chain")
            over = self.pages[nxt]
            take = min(left, usable - 4)
            parts.append(over[4 : 4 + take])
            left -= take
            nxt = struct.unpack(">I", over[:4])[0]
        return b"".join(parts)


def _outbox_row(rowid: int, values: list[object]) -> Optional[OutboxItem]:
    """An ``outbox`` row from its record, or ``None`` when the shape is another table's."""
    if len(values) != 12 or rowid < 1:
        return None
    _, destination, kind, body, text, topics, size, created, attempts, error, owner, _ = values
    if not (
        isinstance(destination, str)
        and kind in KINDS
        and isinstance(body, bytes)
        and (text is None or isinstance(text, str))
        and (topics is None or isinstance(topics, str))
        and isinstance(size, int)
        and isinstance(created, (int, float))
        and isinstance(attempts, int)
        and (error is None or isinstance(error, str))
        and (owner is None or isinstance(owner, str))  # a dead letter has an int code here
    ):
        return None
    topic_list = json.loads(topics) if topics else []
    if not isinstance(topic_list, list) or not all(isinstance(t, str) for t in topic_list):
        raise _Corrupt("topics")
    return OutboxItem(
        id=rowid,
        destination=destination,
        kind=str(kind),
        body=body,
        topics=topic_list,
        text=text,
        created=float(created),
        attempts=attempts,
        last_error=error,
    )


def read_file(path: PathLike) -> tuple[bytes, bytes]:
    """The bytes of a database file and of its ``-wal`` (empty when there is none)."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        with open(f"{path}-wal", "rb") as f:
            wal = f.read()
    except FileNotFoundError:
        wal = b""
    return data, wal


def salvage(data: bytes, wal: bytes = b"") -> Salvage:
    """The waiting messages that can still be read from an outbox file's bytes.

    Never raises on damaged input: what does not parse is counted instead.
    """
    pages = _Pages(data, wal)
    free = pages.free_pages()
    found: dict[int, OutboxItem] = {}
    acked: set[int] = set()
    result = Salvage()
    for number in sorted(pages.pages):
        if number in free:
            continue
        try:
            cells = list(pages.cells(number))
        except _Corrupt:
            page = pages.pages[number]
            head = 100 if number == 1 else 0
            if len(page) > head and page[head] not in (2, 5, 10, 13, 0):
                result.damaged_pages += 1  # not a b-tree page nor an overflow/free one
            continue
        for rowid, payload in cells:
            if payload is None:
                result.unreadable += 1
                continue
            try:
                values = _record(payload)
                if len(values) == 1 and values[0] is None:  # outbox_acked (id only)
                    acked.add(rowid)
                    continue
                if len(values) == 4 and rowid == 1 and values[0] is None:  # outbox_stats
                    if isinstance(values[1], int):
                        result.expected = values[1]
                    continue
                item = _outbox_row(rowid, values)
            except (_Corrupt, UnicodeDecodeError, ValueError):
                result.unreadable += 1
                continue
            if item is not None:
                found[rowid] = item
    result.delivered = len(acked & set(found))
    if result.expected is not None:
        result.expected -= len(acked)  # the count includes rows delivered, not yet purged
    result.items = [found[i] for i in sorted(found) if i not in acked]
    return result
