"""Shared helpers for the emulator tests: read a pty or port until an expected tail."""

from __future__ import annotations

import re
import time

_CM_ERROR = re.compile(rb"\r\n\+CM[ES] ERROR: [^\r\n]*\r\n$")

FINALS = (b"\r\nOK\r\n", b"ERROR\r\n", b"\r\nNO CARRIER\r\n", b"\r\nBUSY\r\n",
          b"\r\nNO ANSWER\r\n", b"\r\nNO DIALTONE\r\n", b"> ", b"\r\n@")


def read_until(port, tails=FINALS, timeout=3.0) -> bytes:
    """Read from a pyserial-like port until the data ends with one of ``tails``."""
    if isinstance(tails, bytes):
        tails = (tails,)
    elif tails is not FINALS:
        tails = tuple(tails)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = port.read(max(1, port.in_waiting))
        out += chunk
        if any(out.endswith(t) for t in tails):
            return out
        if tails is FINALS and _CM_ERROR.search(out):
            return out
    raise AssertionError(f"no {tails!r} within {timeout} s; got {out!r}")


def command(port, line: bytes, tails=FINALS, timeout=3.0) -> bytes:
    port.write(line + b"\r")
    return read_until(port, tails, timeout)
