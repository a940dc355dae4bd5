"""How the dashboard shows what a device sent: stored rows as JSON, payloads as text or bytes.

A payload is text when it was valid UTF-8 without control characters; otherwise
it is "binary" and shown as hex and base64 (the bytes come from the store's
``raw`` column where it keeps them, else from the ``\\xNN`` escapes the store
writes for bytes that were not UTF-8). Long payloads are cut to a preview.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any, Optional

#: Characters of a payload sent with a list row; the rest is fetched on demand.
PREVIEW_CHARS = 512

# ``\xNN`` with NN >= 0x80 is what the store writes for a byte that was not UTF-8.
_ESCAPED_BYTE = re.compile(r"\\x([89a-f][0-9a-f])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Payload:
    """How to show one payload."""

    text: str
    binary: bool
    size: int
    raw: bytes

    @classmethod
    def of(cls, stored: str, raw: Optional[bytes] = None) -> Payload:
        """What a device sent: ``raw`` when the store kept the bytes (payloads that
        were not UTF-8), else recovered from the stored text."""
        if raw is not None:
            try:
                binary = bool(_CONTROL.search(raw.decode("utf-8")))
            except UnicodeDecodeError:
                binary = True
            return cls(stored, binary, len(raw), bytes(raw))
        binary = bool(_ESCAPED_BYTE.search(stored) or _CONTROL.search(stored))
        if _ESCAPED_BYTE.search(stored):
            parts = _ESCAPED_BYTE.split(stored)
            raw = b"".join(
                bytes([int(part, 16)]) if i % 2 else part.encode("utf-8", "surrogatepass")
                for i, part in enumerate(parts)
            )
        else:
            raw = stored.encode("utf-8", "surrogatepass")
        return cls(stored, binary, len(raw), raw)

    def as_dict(self, limit: Optional[int] = PREVIEW_CHARS) -> dict[str, Any]:
        """JSON fields: ``data`` (text), ``size`` (bytes), ``binary``, and for binary
        payloads ``hex`` and ``base64``; ``truncated`` when cut to ``limit``."""
        raw = self.raw if limit is None else self.raw[:limit]
        cut = limit is not None and (len(self.text) > limit or len(self.raw) > limit)
        out: dict[str, Any] = {
            "data": self.text if limit is None else self.text[:limit],
            "size": self.size,
            "binary": self.binary,
            "truncated": cut,
        }
        if self.binary:
            out["hex"] = raw.hex(" ")
            out["base64"] = base64.b64encode(raw).decode("ascii")
        return out


def message_dict(
    message_id: int,
    device: str,
    topics: str,
    data: str,
    received: float,
    raw: Optional[bytes] = None,
    *,
    limit: Optional[int] = PREVIEW_CHARS,
) -> dict[str, Any]:
    """A stored message row as the dashboard's JSON."""
    out: dict[str, Any] = {
        "kind": "message",
        "id": message_id,
        "device": device,
        "topics": list(json.loads(topics)),
        "received": received,
    }
    out.update(Payload.of(data, raw).as_dict(limit))
    return out


def sms_dict(
    sms_id: int, device: str, destination: str, text: str, received: float
) -> dict[str, Any]:
    """A stored SMS row as the dashboard's JSON."""
    return {
        "kind": "sms",
        "id": sms_id,
        "device": device,
        "destination": destination,
        "text": text,
        "received": received,
    }
