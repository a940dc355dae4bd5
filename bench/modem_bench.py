"""AT round trips per second against the ModemEmulator on a real pty, for either SDK or none.

The driver (``bench/run.py``) starts the emulator and passes its ``/dev/pts/N``;
this module, run inside the worker of the implementation under test, opens that
pty the way it does (ours: ``ATChannel``; the public SDK: its ``Modem`` class
over pyserial; ``bare_serial``: the least a client can do, pyserial ``write``
then ``readline`` up to ``OK``) and times ``AT`` and ``AT+CSQ`` commands,
checking every answer. Each command runs in equal batches; ``rate`` and
``csq_rate`` are the best batch's (like ``timeit``: the batch least disturbed by
other work on a shared machine), ``mean_rate``/``csq_mean_rate`` the whole loop's.
"""

from __future__ import annotations

import time
from typing import Any, Callable


class NotBuilt(Exception):
    """The SDK under test has no AT layer to drive."""


def _rate(send: Callable[[str], None], command: str, count: int, limit_s: float,
          batches: int) -> tuple[float, float, int]:
    """(best batch's rate, whole loop's rate, commands done)."""
    per_batch = max(1, count // batches)
    start = time.monotonic()
    done = 0
    best = 0.0
    for _ in range(batches):
        batch_start = time.monotonic()
        for _ in range(per_batch):
            send(command)
        done += per_batch
        best = max(best, per_batch / (time.monotonic() - batch_start))
        if time.monotonic() - start > limit_s:
            break
    return best, done / (time.monotonic() - start), done


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


def _bare(device: str) -> tuple[Callable[[str], None], Callable[[], None]]:
    """The least a client can do: pyserial ``write``, then ``readline`` up to the final line."""
    import serial

    port = serial.Serial(device, 115200, timeout=2.0)

    def send(command: str) -> None:
        port.write(command.encode() + b"\r")
        lines = []
        while True:
            line = port.readline()
            if not line:
                raise RuntimeError(f"no answer to {command}")
            text = line.strip()
            if text == b"OK":
                break
            if text.startswith((b"ERROR", b"+CME ERROR", b"+CMS ERROR")):
                raise RuntimeError(f"{command}: {text!r}")
            if text and text != command.encode():
                lines.append(text)
        if command == "AT+CSQ" and not (lines and lines[0].startswith(b"+CSQ:")):
            raise RuntimeError(f"unexpected answer to {command}: {lines!r}")

    return send, port.close


def run(impl: str, params: dict[str, Any]) -> dict[str, Any]:
    """Time ``AT`` and ``AT+CSQ`` round trips on ``params["device"]``.

    :param impl: ``ours``, ``theirs`` or ``bare_serial``
    :returns: ``rate`` (``AT`` per second), ``csq_rate`` (``AT+CSQ`` per second),
        both the best batch's, and the whole loops' ``mean_rate``/``csq_mean_rate``
    """
    count = int(params.get("round_trips", 1000))
    limit = float(params.get("max_seconds", 15.0))
    batches = int(params.get("batches", 1))
    opener = {"ours": _ours, "theirs": _theirs, "bare_serial": _bare}[impl]
    send, close = opener(params["device"])
    try:
        for _ in range(20):
            send("AT")
        rate, mean, done = _rate(send, "AT", count, limit, batches)
        csq_rate, csq_mean, csq_done = _rate(send, "AT+CSQ", max(1, count // 2), limit / 2,
                                             batches)
    finally:
        close()
    return {"rate": rate, "csq_rate": csq_rate, "mean_rate": mean, "csq_mean_rate": csq_mean,
            "count": done + csq_done,
            "partial": done < count - count % batches}
