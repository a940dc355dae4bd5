"""Plain-text tables for the commands that list records (``messages``, ``outbox``)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Optional


def printable(text: str, width: int) -> str:
    """``text`` on one line (control characters escaped), cut to ``width`` with '…'."""
    flat = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def topics_cell(topics: Sequence[str]) -> str:
    """Topics joined with ``,``; a topic that holds a ``,`` or a ``"`` (or is empty, or
    has spaces at its ends) is written as a JSON string, so ``a,b`` (two topics) and
    ``"a,b"`` (one) differ. ``-`` for none. Control characters are escaped."""

    def one(topic: str) -> str:
        plain = bool(topic) and topic.strip() == topic and not any(c in topic for c in ',"')
        return topic if plain else json.dumps(topic, ensure_ascii=False)

    return printable(",".join(one(t) for t in topics), 1 << 30) or "-"


def local_time(timestamp: Optional[float]) -> str:
    """A Unix time as local ``YYYY-MM-DD HH:MM:SS``; ``-`` for none."""
    if timestamp is None:
        return "-"
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns two spaces apart, left-aligned; the first (ids) right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = []
    for row in [list(headers), *rows]:
        parts = [row[0].rjust(widths[0])]
        parts += [cell.ljust(widths[i + 1]) for i, cell in enumerate(row[1:])]
        lines.append("  ".join(parts).rstrip())
    return lines
