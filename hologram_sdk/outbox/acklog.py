"""Acknowledgements as 8-byte appends to a file of one Outbox's own, folded into SQLite in batches.

Why (issue 16): a delivery round acknowledges each message before it writes
the next request (so a crash sends at most one message twice). As a SQLite
commit that acknowledgement cost ~35 µs of CPU and a 4 KiB WAL frame per
message, on the critical path between two requests: the largest part of what
replay paid over a plain send loop. An ``os.write`` of the row id to an
append-only file survives a killed process just as a ``synchronous=NORMAL``
commit does (the kernel has it; a power cut may lose either), for ~2 µs.

- Each :class:`~hologram_sdk.outbox.Outbox` (file-backed) appends to
  ``<db>-acks-<inode>-<token>``, holding an exclusive ``flock`` on it while open.
- The ids are also kept in memory (the disk-full ledger's ``acked``), so this
  instance's reads and claims leave them out at once, and the next write
  transaction (the next batch's claim, at most 64 messages later, or the
  round's end) inserts them into ``outbox_acked``; the file is then emptied.
  Until then another process sees those rows as waiting but claimed by this
  one (their lease keeps them from being sent twice).
- A process that died left its file behind, unlocked: whoever opens the
  outbox next folds it in (``INSERT`` of the ids that are still rows) and
  deletes it. The inode in the name ties a file to its database: a damaged
  outbox moved aside and replaced by a fresh one (whose ids start again at 1)
  never takes the old one's acknowledgements.
"""

from __future__ import annotations

import fcntl
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

_RECORD = struct.Struct("<q")


def log_prefix(db_path: Path, inode: int) -> str:
    """The name every ack log of the database ``db_path`` (with that inode) starts with."""
    return f"{db_path.name}-acks-{inode}-"


class AckLog:
    """This instance's append-only file of acknowledged row ids (opened on first use)."""

    def __init__(self, db_path: Path, inode: int, token: str) -> None:
        self.path = db_path.with_name(log_prefix(db_path, inode) + token)
        self._fd: Optional[int] = None
        self._dirty = False

    def append(self, row_id: int) -> bool:
        """Record ``row_id`` as delivered. ``False``: it could not be written (e.g. ENOSPC)."""
        try:
            if self._fd is None:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC,
                             0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    os.close(fd)
                    raise
                self._fd = fd
            if os.write(self._fd, _RECORD.pack(row_id)) != _RECORD.size:
                return False  # a short write: the reader ignores the partial record
        except OSError:
            return False
        self._dirty = True
        return True

    def reset(self) -> None:
        """Everything written so far is in the database now: empty the file."""
        if self._fd is not None and self._dirty:
            try:
                os.ftruncate(self._fd, 0)
                self._dirty = False
            except OSError:  # folding it again later is harmless
                pass

    def close(self, keep: bool) -> None:
        """Close the file; delete it unless ``keep`` (its ids are not in the database yet)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if not keep or not self._dirty:
            try:
                os.unlink(self.path)
            except OSError:
                pass
        os.close(fd)


def orphans(db_path: Path, inode: int) -> Iterator[tuple[Path, int, list[int]]]:
    """Ack logs of this database whose owner is gone: ``(path, locked fd, ids)``.

    The caller folds the ids in, then deletes the file and closes the fd.
    """
    prefix = log_prefix(db_path, inode)
    try:
        names = [n for n in os.listdir(db_path.parent or ".") if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        path = db_path.with_name(name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with os.fdopen(os.dup(fd), "rb") as f:
                data = f.read()
        except OSError:  # its owner is alive (or it cannot be read): not ours
            os.close(fd)
            continue
        usable = len(data) - len(data) % _RECORD.size
        ids = [value for (value,) in _RECORD.iter_unpack(data[:usable])]
        yield path, fd, ids
