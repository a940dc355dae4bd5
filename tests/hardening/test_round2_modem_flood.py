"""Issue 15 item 9: a modem flooding URCs cannot grow the URC queue without bound,
and a garbage stream with no line end gives a few warnings, not hundreds.

Through ``ATChannel.feed`` (the reader thread's entry point) on a channel that is
never opened, so nothing drains the queue: the worst case."""

from __future__ import annotations

import logging
import time

from hologram_sdk.modem.at import ATChannel

#: the channel warns at most once per this many seconds per kind of trouble
WARN_INTERVAL = 5.0


def allowed_warnings(started: float) -> int:
    """One warning, plus one per interval the flood took (a loaded machine is slower)."""
    return 1 + int((time.monotonic() - started) / WARN_INTERVAL)


def test_a_cmti_flood_is_bounded_and_counted(caplog):
    channel = ATChannel("loop://")
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        for i in range(20_000):
            channel.feed(b'\r\n+CMTI: "SM",%d\r\n' % i)
    assert channel._urcs.qsize() == channel.max_urcs == 1024
    assert channel.urcs_dropped == 20_000 - 1024
    warnings = [r for r in caplog.records if "URC queue full" in r.getMessage()]
    assert 1 <= len(warnings) <= allowed_warnings(started)  # not one per dropped URC


def test_garbage_without_line_end_warns_a_few_times_not_per_64_kib(caplog):
    channel = ATChannel("loop://")
    chunk = b"\xff\x00garbage" * 400  # ~4 KiB, no CR or LF
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        for _ in range(600):  # ~2.4 MB: about 37 times the 64 KiB limit
            channel.feed(chunk)
    warnings = [r for r in caplog.records if "without a line end" in r.getMessage()]
    assert 1 <= len(warnings) <= allowed_warnings(started)  # not one per 64 KiB (37)
    assert len(channel._buffer) <= 65536 + len(chunk)
