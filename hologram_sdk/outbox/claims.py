"""Claim owners (``host:pid:token``) and how to tell that an owner's process is gone."""

from __future__ import annotations

import os

from hologram_sdk.base.digits import is_digits


def like_prefix(prefix: str) -> str:
    """``prefix`` as a LIKE pattern (escape character ``\\``) matching what starts with it."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def owner_is_dead(owner: str, hostname: str) -> bool:
    """Whether ``owner`` (``host:pid:token``) names a process of this host that is gone."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != hostname or not is_digits(parts[1]):
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    try:  # a killed child not yet reaped is a zombie: gone for our purpose
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[-1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False
