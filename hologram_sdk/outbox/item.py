"""Outbox rows as Python objects, the default path, and the outbox's constants."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.base.paths import OUTBOX_FILE, state_path

#: What the outbox does when a new message would exceed its bounds.
POLICIES = ("drop_oldest", "drop_newest", "reject")
#: Row kinds: a Hologram cloud message, an SMS sent through the Hologram cloud
#: (both answered with a result code), or raw bytes for any TCP server
#: (``CustomCloud``: written, write side shut down, any reply means delivered).
KINDS = ("message", "sms", "raw")

DEFAULT_MAX_MESSAGES = 10_000
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_DEAD = 1_000
#: Seconds after which another sender may take over a claimed row.
DEFAULT_LEASE = 60.0

PathLike = Union[str, "os.PathLike[str]"]
TopicsArg = Union[str, Sequence[str], None]


def default_path(environ: Optional[Mapping[str, str]] = None) -> Path:
    """Where the outbox lives unless told otherwise.

    ``$XDG_STATE_HOME/hologram/outbox.db`` when that variable holds an absolute
    path (the XDG spec says to ignore relative ones), else
    ``~/.local/state/hologram/outbox.db``.

    :param environ: the environment to read (default ``os.environ``)
    """
    return Path(state_path(OUTBOX_FILE, environ))


@dataclass
class OutboxItem:
    """One stored message (or, from :meth:`Outbox.dead`, one dead letter)."""

    #: Row id: increasing, never reused. ``None`` for a message never stored.
    id: Optional[int]
    #: Where it goes, e.g. ``"cloudsocket.hologram.io:9999"``.
    destination: str
    #: ``"message"``, ``"sms"`` or ``"raw"`` (see :data:`KINDS`).
    kind: str
    #: The exact request bytes to write to the destination.
    body: bytes
    #: Topics, in order (also inside ``body`` when the protocol carries them).
    topics: list[str] = field(default_factory=list)
    #: The message as the application gave it, for display and events.
    text: Optional[str] = None
    #: Wall-clock time (``time.time()``) when it was stored.
    created: float = 0.0
    #: Failed delivery attempts so far.
    attempts: int = 0
    #: Why the last attempt failed.
    last_error: Optional[str] = None
    #: Who holds the row for sending, and since when.
    claim_owner: Optional[str] = None
    claimed_at: Optional[float] = None
    #: Dead letters only: the cloud's final result code and when it came.
    code: Optional[int] = None
    failed_at: Optional[float] = None
    #: The size as stored in its row (saves encoding the text again).
    stored_size: Optional[int] = field(default=None, repr=False, compare=False)

    @property
    def size(self) -> int:
        """Bytes the row stores (body plus text), as counted against ``max_bytes``."""
        if self.stored_size is not None:
            return self.stored_size
        return item_size(self.body, self.text)

    @property
    def display_text(self) -> str:
        """The message text, or the body decoded for display when no text was given."""
        if self.text is not None:
            return self.text
        return self.body.decode("utf-8", errors="replace")

    def __repr__(self) -> str:  # the body may hold credentials: never show it
        return (
            f"OutboxItem(id={self.id}, destination={self.destination!r}, kind={self.kind!r}, "
            f"size={self.size}, topics={self.topics!r}, attempts={self.attempts})"
        )


def item_size(body: bytes, text: Optional[str]) -> int:
    return len(body) + (len(text.encode("utf-8", errors="surrogateescape")) if text else 0)


def topics_list(topics: TopicsArg) -> list[str]:
    if topics is None:
        return []
    if isinstance(topics, str):
        return [topics] if topics else []
    result = []
    for topic in topics:
        if not isinstance(topic, str):
            raise ConfigurationError(f"topics must be strings, got {topic!r}")
        result.append(topic)
    return result
