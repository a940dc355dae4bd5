"""AT round trips per second: the SDK's ATChannel against the ModemEmulator on a real pty."""

from __future__ import annotations

import time
from typing import Any


def _rate(channel: Any, command: str, count: int, limit_s: float) -> tuple[float, int]:
    start = time.monotonic()
    done = 0
    for _ in range(count):
        channel.command(command)
        done += 1
        if time.monotonic() - start > limit_s:
            break
    return done / (time.monotonic() - start), done


def run(emulator_cls: Any, channel_cls: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Start an emulated E303 on a pty, open it with pyserial through ATChannel, time commands.

    :returns: ``rate`` (``AT`` per second), ``csq_rate`` (``AT+CSQ`` per second)
    """
    count = int(params.get("round_trips", 1000))
    limit = float(params.get("max_seconds", 15.0))
    with emulator_cls("e303") as emulator:
        device = emulator.start()
        with channel_cls(device, 115200, timeout=2.0) as channel:
            for _ in range(20):
                channel.command("AT")
            rate, done = _rate(channel, "AT", count, limit)
            csq_rate, csq_done = _rate(channel, "AT+CSQ", max(1, count // 2), limit / 2)
    return {"rate": rate, "csq_rate": csq_rate, "count": done + csq_done,
            "partial": done < count, "device": "pty"}
