"""Durable store-and-forward outbox: messages wait in SQLite until the cloud has replied.

One row per message, FIFO per destination (``"host:port"``). A row is
acknowledged, and so gone for good, only after the cloud's reply was received
(:meth:`Outbox.ack`; the next write deletes it from the file); a refusal that
retrying cannot fix moves it to the dead-letter table (:meth:`Outbox.dead_letter`).
Several processes may share one file: rows are claimed in a transaction, so no
two senders hold the same row at the same time.

- :mod:`~hologram_sdk.outbox.item`: :class:`OutboxItem`, :func:`default_path`, constants
- :mod:`~hologram_sdk.outbox.store`: :class:`Outbox` (the SQLite file; durability notes)
- :mod:`~hologram_sdk.outbox.delivery`: :class:`OutboxDelivery` (FIFO rounds, the
  background flusher with backoff)
- :mod:`~hologram_sdk.outbox.sender`: :func:`tcp_send` and :class:`TcpSender` (one row
  over TCP, as the clouds send it)
- :mod:`~hologram_sdk.outbox.cloudlink`: :class:`CloudOutbox` (what a cloud uses)
- :mod:`~hologram_sdk.outbox.schema`, :mod:`~hologram_sdk.outbox.claims`: the SQLite
  schema with the durability notes, and claim owners
- :mod:`~hologram_sdk.outbox.salvage`: moving a damaged file aside, and reading
  back its readable rows (``hologram outbox recover``)
- :mod:`~hologram_sdk.outbox.diskfull`: delivery on a full disk (claims and
  acknowledgements kept in memory by the file's sole owner)
- :mod:`~hologram_sdk.outbox.acklog`: a delivery round's acknowledgements as
  appends to a file of its own, written to SQLite with the next claim

The file holds the exact request bytes, credentials included, so it is created
with mode 0600 (and its default directory with 0700).
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported on first use, so that ``hologram_sdk.outbox.item`` (the default
# path) can be loaded without sqlite3: ``import Hologram`` stays light.
_LAZY = {
    "DEFAULT_LEASE": "item",
    "DEFAULT_MAX_BYTES": "item",
    "DEFAULT_MAX_DEAD": "item",
    "DEFAULT_MAX_MESSAGES": "item",
    "KINDS": "item",
    "POLICIES": "item",
    "OutboxItem": "item",
    "default_path": "item",
    "Outbox": "store",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hologram_sdk.outbox' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"hologram_sdk.outbox.{module}"), name)
    globals()[name] = value
    return value
