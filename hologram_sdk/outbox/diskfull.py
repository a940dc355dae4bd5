"""Delivery on a full disk: claims and acknowledgements kept in memory by a sole owner.

Why (issue 15, item 10): claiming a row, and acknowledging it, are writes;
in WAL mode every write appends to the ``-wal`` file, which needs disk space.
On a full disk nothing could be delivered, although delivering is what makes
room in the queue. A reserved file released on ``SQLITE_FULL`` does not fix
that for long: a checkpoint must first copy the WAL into the database, which
grows the database file by about what the WAL holds, so the reserve would
have to be as large as the WAL. Instead:

- when a claim fails with ``SQLITE_FULL``, the :class:`~hologram_sdk.outbox.Outbox`
  asks for an exclusive ``flock`` on the database file (every open ``Outbox``
  holds a shared one, whatever its process). Granted only when no other
  ``Outbox`` has the file open: this instance is the sole owner, so nobody
  else can claim rows, and it claims them **in memory**;
- an acknowledgement that fails with ``SQLITE_FULL`` is kept in memory too:
  the row counts as delivered for this instance (left out of every read and
  claim) and is written at the start of the next write transaction that
  succeeds (a ``put`` once there is room again, or :meth:`Outbox.close`);
- a crash before that sends those rows again (at least once, as always;
  never lost), and :meth:`Outbox.close` says how many in a WARNING when it
  still cannot write them;
- while an owner holds the exclusive lock, another process that opens the
  file claims nothing (its claims would overlap the memory claims).

When there is no sole owner (two processes have the file open) a full disk
still stops delivery: the claim raises :class:`OutboxDiskFullError` as before.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import Optional

logger = logging.getLogger(__name__)


class DiskFullLedger:
    """One :class:`Outbox`'s in-memory claims and acknowledgements, and its ``flock``.

    :param path: the database file (``None`` for an in-memory outbox, which
        has one connection and so is always its sole owner)
    """

    def __init__(self, path: Optional[Path]) -> None:
        self._fd: Optional[int] = None
        if path is not None:
            self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        #: Whether this instance holds the shared lock (it does unless another
        #: process delivered from memory when it opened the file).
        self.shared = self._lock(fcntl.LOCK_SH)
        #: Whether this instance is the sole owner, delivering from memory.
        self.exclusive = False
        #: Rows claimed in memory: id -> claim owner.
        self.claims: dict[int, str] = {}
        #: Rows delivered whose acknowledgement is not written yet:
        #: id -> (destination, size).
        self.acked: dict[int, tuple[str, int]] = {}

    def _lock(self, mode: int) -> bool:
        if self._fd is None:
            return True
        try:
            fcntl.flock(self._fd, mode | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def may_claim(self) -> bool:
        """Whether claiming in the database is safe (no other process claims in memory)."""
        if self.shared or self.exclusive:
            return True
        self.shared = self._lock(fcntl.LOCK_SH)
        return self.shared

    def go_exclusive(self) -> bool:
        """Become the sole owner, if no other ``Outbox`` has the file open."""
        if self.exclusive:
            return True
        if self._lock(fcntl.LOCK_EX):
            self.exclusive = True
            logger.warning(
                "outbox: the disk is full; delivering with claims kept in memory "
                "(this process is the only one using the outbox)"
            )
            return True
        # a failed conversion drops the shared lock: take it again
        self.shared = self._lock(fcntl.LOCK_SH)
        return False

    def settle(self) -> None:
        """Back to a shared lock once nothing is held in memory."""
        if self.exclusive and not self.claims and not self.acked:
            self.exclusive = False
            self.shared = self._lock(fcntl.LOCK_SH)

    def excluded(self) -> list[int]:
        """Rows no database claim may take: claimed or delivered in memory."""
        return [*self.claims, *self.acked]

    def drop_claims(self, ids: list[int]) -> None:
        for row in ids:
            self.claims.pop(row, None)

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # drops the lock
