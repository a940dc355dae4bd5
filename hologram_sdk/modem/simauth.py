"""The SIM's AUTHENTICATE over ``AT+CSIM`` (generic access, 3GPP TS 27.007 §8.17)
and the modem's clock (``AT+CCLK?``), as functions over a modem's ``command``.

Small on purpose: a modem driver may offer ``sim_authenticate(rand)`` itself
(the modem drivers do); this is what it and ``HologramCloud`` fall back on.
"""

from __future__ import annotations

import calendar
import re
from typing import Any, Callable

from hologram_sdk.base.errors import ModemError, SIMAuthenticationError
from hologram_sdk.wire.auth import simotp

Command = Callable[[str, float], list[str]]

#: what common status words mean (ISO 7816-4, TS 31.102 §7.3)
STATUS_WORDS = {
    "6700": "wrong length",
    "6982": "security status not satisfied (PIN not verified?)",
    "6985": "conditions of use not satisfied",
    "6A82": "file or application not found",
    "6A86": "incorrect P1/P2",
    "6D00": "instruction not supported",
    "6E00": "class not supported",
    "9862": "authentication error, incorrect MAC",
    "9864": "authentication error, security context not supported",
}

_CSIM = re.compile(r'^\+CSIM:\s*(\d+)\s*,\s*"?([0-9A-Fa-f]*)"?\s*$')
_CCLK = re.compile(
    r'^\+CCLK:\s*"?(\d{2,4})/(\d{1,2})/(\d{1,2}),(\d{1,2}):(\d{1,2}):(\d{1,2})([+-]\d{1,2})?"?\s*$'
)


def _command_of(modem: Any) -> Command:
    command = getattr(modem, "command", None)
    if not callable(command):
        raise ModemError(f"{type(modem).__name__} has no AT command channel")
    return command  # type: ignore[no-any-return]


def csim(modem: Any, apdu: str, timeout: float = 10.0) -> tuple[str, str]:
    """Send one command APDU (hex) with ``AT+CSIM``; ``(data, status word)`` of the answer.

    :raises ModemError: no ``+CSIM`` answer or a malformed one
    :raises ATCommandError: the modem refused the command (not the SIM)
    """
    lines = _command_of(modem)(f'AT+CSIM={len(apdu)},"{apdu}"', timeout)
    for line in lines:
        match = _CSIM.match(line.strip())
        if match:
            try:
                return simotp.split_status(match.group(2))
            except ValueError:
                break
    raise ModemError('the modem\'s answer to AT+CSIM is not +CSIM: <length>,"<hex>"')


def sim_authenticate(modem: Any, rand: bytes, timeout: float = 10.0) -> tuple[bytes, bytes]:
    """Run AUTHENTICATE in the GSM context on the SIM: ``(SRES, Kc)`` for ``rand``.

    A ``61xx`` answer (data waiting, T=0 cards) is fetched with GET RESPONSE.
    Neither RAND's answer nor the command is logged here.

    :raises SIMAuthenticationError: the SIM answered a status word other than 9000
    :raises ModemError: the modem's answer is malformed
    """
    data, status = csim(modem, simotp.authenticate_apdu(rand), timeout)
    if status.startswith("61"):
        data, status = csim(modem, "00C00000" + status[2:], timeout)
    if status != simotp.SW_OK:
        raise SIMAuthenticationError(status, STATUS_WORDS.get(status, ""))
    try:
        return simotp.parse_authenticate_data(data)
    except ValueError as exc:
        raise ModemError(f"the SIM's AUTHENTICATE answer is malformed: {exc}") from None


def read_clock(modem: Any) -> float:
    """The modem's real-time clock (``AT+CCLK?``) as Unix seconds (UTC).

    The time zone is in quarter hours (3GPP TS 27.007 §8.15); without one the
    clock is taken as UTC.

    :raises ModemError: no ``+CCLK`` answer, or not a date
    """
    for line in _command_of(modem)("AT+CCLK?", 5.0):
        match = _CCLK.match(line.strip())
        if not match:
            continue
        year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
        if year < 100:
            year += 2000
        quarters = int(match.group(7) or 0)
        try:
            local = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
        except (ValueError, OverflowError):
            break
        if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60):
            break
        return float(local - quarters * 15 * 60)
    raise ModemError('the modem\'s answer to AT+CCLK? is not +CCLK: "yy/MM/dd,hh:mm:ss±zz"')
