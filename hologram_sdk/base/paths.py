"""Where the SDK keeps files by default: the XDG state and runtime directories.

Computed here once, so the outbox, the local cloud and the CLI agree. Every
cloud asks for the outbox's file when it is made, so that answer is built
from strings: ``pathlib`` and ``tempfile`` (with what they import, a good part
of ``import Hologram``'s time) are loaded only by the callers that want them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from pathlib import Path

#: the directory name under the XDG base directories
APP_DIR = "hologram"
#: the outbox's file name in the state directory
OUTBOX_FILE = "outbox.db"


def state_path(name: str = "", environ: Optional[Mapping[str, str]] = None) -> str:
    """``$XDG_STATE_HOME/hologram/name``, else ``~/.local/state/hologram/name``.

    The XDG spec says to ignore a relative ``XDG_STATE_HOME``; so does this.

    :param name: a file in the directory ('' for the directory itself)
    :param environ: the environment to read (default ``os.environ``)
    """
    env = os.environ if environ is None else environ
    state = env.get("XDG_STATE_HOME", "")
    if state and os.path.isabs(state):
        base = state
    else:
        home = env.get("HOME") or os.path.expanduser("~")
        base = os.path.join(home, ".local", "state")
    directory = os.path.join(base, APP_DIR)
    return os.path.join(directory, name) if name else directory


def state_dir(environ: Optional[Mapping[str, str]] = None) -> Path:
    """:func:`state_path`'s directory as a :class:`~pathlib.Path`.

    :param environ: the environment to read (default ``os.environ``)
    """
    from pathlib import Path

    return Path(state_path("", environ))


def runtime_dir(environ: Optional[Mapping[str, str]] = None) -> Path:
    """Where a running link is recorded: ``/run/hologram`` as root, else
    ``$XDG_RUNTIME_DIR/hologram``, else a per-user directory under the temp dir.

    :param environ: the environment to read (default ``os.environ``)
    """
    from pathlib import Path

    env = os.environ if environ is None else environ
    if os.geteuid() == 0 and os.path.isdir("/run"):
        return Path("/run") / APP_DIR
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / APP_DIR
    import tempfile

    return Path(tempfile.gettempdir()) / f"{APP_DIR}-{os.geteuid()}"
