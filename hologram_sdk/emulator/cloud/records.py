"""What the local cloud stores and knows: message, SMS and device records."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from json.encoder import encode_basestring_ascii
from typing import Optional, Union

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class StoredMessage:
    """A message the local cloud accepted."""

    id: int
    device: str
    topics: list[str]
    data: str
    #: Unix time (seconds) at which the cloud stored it.
    received: float
    kind: str = field(default="message", init=False)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class StoredSMS:
    """An SMS the local cloud accepted."""

    id: int
    device: str
    destination: str
    text: str
    received: float
    kind: str = field(default="sms", init=False)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class Device:
    """A device the local cloud knows; ``name`` is the only part ever logged or shown."""

    name: str
    cloud_id: Optional[str] = None
    cloud_key: Optional[str] = None
    devicekey: Optional[str] = None
    #: where the device listens for cloud-to-device messages (default 4010)
    inbound_port: Optional[int] = None

    def __repr__(self) -> str:  # never show key material
        return f"Device({self.name!r}, masked)"

    @property
    def kind(self) -> str:
        return "devicekey" if self.devicekey else "cloud_id/cloud_key"



def _storable(text: str) -> str:
    """``text`` as valid UTF-8 for SQLite.

    A client that sends bytes that are not UTF-8 escapes them as lone surrogates
    (``surrogateescape``); they are stored as ``\\xNN`` so nothing is lost from view.
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "backslashreplace")


def loggable(text: str) -> str:
    """Network text for a log line: control characters (ESC...) escaped, so a
    device cannot drive the terminal of whoever reads the log."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _topics_json(topics: list[str]) -> str:
    """``json.dumps(topics)`` for a list of strings, without the general encoder's cost.

    Each topic goes through :func:`_storable` first: a lone surrogate (``"\\udfff"``
    in the request's JSON) would be kept by the ASCII escaping and could never be
    printed or encoded again.
    """
    return "[" + ", ".join(encode_basestring_ascii(_storable(t)) for t in topics) + "]"


def _topics_from_json(text: str) -> list[str]:
    """The stored topics, printable even when an older row kept a lone surrogate."""
    return [_storable(t) for t in json.loads(text)]
