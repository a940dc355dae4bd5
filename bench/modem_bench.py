"""AT round trips per second against the ModemEmulator on a real pty, for either SDK.

The driver (``bench/run.py``) starts the emulator and passes its ``/dev/pts/N``;
this module, run inside the worker of the SDK under test, opens that pty the way
the SDK does (ours: ``ATChannel``; the public SDK: its ``Modem`` class over
pyserial) and times ``AT`` and ``AT+CSQ`` commands, checking every answer.
"""

from __future__ import annotations

import time
from typing import Any, Callable


class NotBuilt(Exception):
    """The SDK under test has no AT layer to drive."""


def _rate(send: Callable[[str], None], command: str, count: int, limit_s: float
          ) -> tuple[float, int]:
    start = time.monotonic()
    done = 0
    for _ in range(count):
        send(command)
        done += 1
        if time.monotonic() - start > limit_s:
            break
    return done / (time.monotonic() - start), done


def _ours(device: str) -> tuple[Callable[[str], None], Callable[[], None]]:
    try:
        from hologram_sdk.modem.at import ATChannel
    except ImportError as exc:
        raise NotBuilt(f"hologram_sdk.modem.at: {exc}") from None
    channel = ATChannel(device, 115200, timeout=2.0)
    channel.open()

    def send(command: str) -> None:
        lines = channel.command(command)
        if command == "AT+CSQ" and not (lines and lines[0].startswith("+CSQ:")):
            raise RuntimeError(f"unexpected answer to {command}: {lines!r}")

    return send, channel.close


def _theirs(device: str) -> tuple[Callable[[str], None], Callable[[], None]]:
    from UtilClasses import ModemResult  # the public SDK's own top-level module

    from Hologram.Network.Modem.Modem import Modem

    modem = Modem(device_name=device, baud_rate="115200")

    def send(command: str) -> None:
        ok, answer = modem.command(command[2:])  # it prepends "AT" itself
        if ok != ModemResult.OK or (command == "AT+CSQ" and not str(answer).startswith("+CSQ:")):
            raise RuntimeError(f"unexpected answer to {command}: {ok!r} {answer!r}")

    return send, modem.closeSerialPort


def run(impl: str, params: dict[str, Any]) -> dict[str, Any]:
    """Time ``AT`` and ``AT+CSQ`` round trips on ``params["device"]``.

    :returns: ``rate`` (``AT`` per second), ``csq_rate`` (``AT+CSQ`` per second)
    """
    count = int(params.get("round_trips", 1000))
    limit = float(params.get("max_seconds", 15.0))
    send, close = (_ours if impl == "ours" else _theirs)(params["device"])
    try:
        for _ in range(20):
            send("AT")
        rate, done = _rate(send, "AT", count, limit)
        csq_rate, csq_done = _rate(send, "AT+CSQ", max(1, count // 2), limit / 2)
    finally:
        close()
    return {"rate": rate, "csq_rate": csq_rate, "count": done + csq_done,
            "partial": done < count}
