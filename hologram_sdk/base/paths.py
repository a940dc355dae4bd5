"""Where the SDK keeps files by default: the XDG state and runtime directories.

Computed here once, so the outbox, the local cloud and the CLI agree.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Optional

#: the directory name under the XDG base directories
APP_DIR = "hologram"


def state_dir(environ: Optional[Mapping[str, str]] = None) -> Path:
    """``$XDG_STATE_HOME/hologram``, else ``~/.local/state/hologram``.

    The XDG spec says to ignore a relative ``XDG_STATE_HOME``; so does this.

    :param environ: the environment to read (default ``os.environ``)
    """
    env = os.environ if environ is None else environ
    state = env.get("XDG_STATE_HOME", "")
    if state and os.path.isabs(state):
        base = Path(state)
    else:
        home = env.get("HOME") or str(Path.home())
        base = Path(home) / ".local" / "state"
    return base / APP_DIR


def runtime_dir(environ: Optional[Mapping[str, str]] = None) -> Path:
    """Where a running link is recorded: ``/run/hologram`` as root, else
    ``$XDG_RUNTIME_DIR/hologram``, else a per-user directory under the temp dir.

    :param environ: the environment to read (default ``os.environ``)
    """
    env = os.environ if environ is None else environ
    if os.geteuid() == 0 and os.path.isdir("/run"):
        return Path("/run") / APP_DIR
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / APP_DIR
    return Path(tempfile.gettempdir()) / f"{APP_DIR}-{os.geteuid()}"
