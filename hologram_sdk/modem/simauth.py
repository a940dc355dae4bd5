"""The SIM's AUTHENTICATE over ``AT+CSIM`` and the modem's clock (``AT+CCLK?``).

The one implementation of the SIM-OTP primitive: every driver's
``sim_authenticate(rand)`` and ``HologramCloud``'s SIM-OTP come here.

``AT+CSIM=<length>,"<APDU hex>"`` (3GPP TS 27.007 §8.17) passes one command
APDU to the SIM and answers ``+CSIM: <length>,"<response hex>"``, the response
ending in the status word SW1 SW2. The APDU is the USIM AUTHENTICATE of
TS 31.102 §7.1.2 in GSM context (``00 88 00 80 11 10 <RAND> 00``, from the
SIM-OTP codec :mod:`hologram_sdk.wire.auth.simotp`); a successful answer is
``04 <SRES> 08 <Kc>`` then ``90 00``. Status words followed (TS 102 221 §10.2,
TS 51.011 §9.4):

* ``61 xx``: ``xx`` response bytes wait (T=0): GET RESPONSE ``00 C0 00 00 xx``;
* ``9F xx``: the same on a GSM SIM (class ``A0``): ``A0 C0 00 00 xx``;
* ``6C xx``: wrong Le: the same command again with Le = ``xx``;
* ``90 00``: done; anything else is a refusal, raised as
  :class:`~hologram_sdk.base.errors.SIMAuthenticationError` naming the status word.

RAND, SRES and Kc are secrets of the SIM's owner: none of them is logged.
"""

from __future__ import annotations

import calendar
import re
from typing import Any, Callable

from hologram_sdk.base.errors import ConfigurationError, ModemError, SIMAuthenticationError
from hologram_sdk.wire.auth import simotp

Command = Callable[[str, float], list[str]]

#: at most this many GET RESPONSE / Le exchanges after the first
MAX_CHAINED = 4

#: what a status word means (TS 102 221 §10.2.1, TS 31.102 §7.3), for the error message
STATUS_WORDS_BY_NUMBER = {
    0x6282: "end of file reached before reading Le bytes",
    0x6300: "authentication failed",
    0x6581: "memory problem",
    0x6700: "wrong length",
    0x6981: "command incompatible with file structure",
    0x6982: "security status not satisfied",
    0x6983: "authentication method blocked",
    0x6985: "conditions of use not satisfied",
    0x6986: "command not allowed (no EF selected)",
    0x6A80: "incorrect parameters in the data field",
    0x6A81: "function not supported",
    0x6A82: "file or application not found",
    0x6A86: "incorrect parameters P1 to P2",
    0x6A88: "referenced data not found",
    0x6B00: "wrong parameters P1-P2",
    0x6D00: "instruction code not supported or invalid",
    0x6E00: "class not supported",
    0x6F00: "technical problem, no precise diagnosis",
    0x9862: "authentication error, application specific",
    0x9864: "authentication error, security context not supported",
    0x9865: "key freshness failure",
}

#: the same, keyed by the four hex digits
STATUS_WORDS = {f"{sw:04X}": text for sw, text in STATUS_WORDS_BY_NUMBER.items()}

_CSIM = re.compile(r'^\+CSIM:\s*(\d{1,4})\s*,\s*"?([0-9A-Fa-f]*)"?\s*$', re.ASCII)
_CCLK = re.compile(
    r'^\+CCLK:\s*"?(\d{2,4})/(\d{1,2})/(\d{1,2}),(\d{1,2}):(\d{1,2}):(\d{1,2})([+-]\d{1,2})?"?\s*$'
)


def _command_of(modem: Any) -> Command:
    command = getattr(modem, "command", None)
    if not callable(command):
        raise ModemError(f"{type(modem).__name__} has no AT command channel")
    return command  # type: ignore[no-any-return]


def status_meaning(status: str) -> str:
    """What a status word (four hex digits) means, or ``""``."""
    text = STATUS_WORDS.get(status.upper(), "")
    if not text and status[:2] == "63" and status[2:3].upper() == "C":
        text = f"verification failed, {int(status[3], 16)} retries left"
    return text


def csim_command(apdu: str) -> str:
    """The ``AT+CSIM`` line for one command APDU in hex (the length counts hex digits).

    :raises ConfigurationError: not 4 to 261 bytes of hex
    """
    text = apdu.strip().upper()
    if len(text) % 2 or not 8 <= len(text) <= 522 or not re.fullmatch(r"[0-9A-F]+", text):
        raise ConfigurationError("an APDU is 4 to 261 bytes, in hex")
    return f'AT+CSIM={len(text)},"{text}"'


def parse_csim(line: str) -> tuple[str, str]:
    """``(data, status word)`` in hex of one ``+CSIM: <length>,"<hex>"`` line.

    :raises ModemError: not that shape, odd hex, or a length that disagrees
    """
    match = _CSIM.match(line.strip())
    if match is None:
        raise ModemError(f"cannot read the +CSIM answer {line[:60]!r}")
    length, text = int(match.group(1)), match.group(2)
    if length != len(text):
        raise ModemError(f"+CSIM length {length} does not match its {len(text)} hex digits")
    try:
        return simotp.split_status(text)
    except ValueError as exc:
        raise ModemError(f"the +CSIM answer is not a response APDU: {exc}") from None


def csim(modem: Any, apdu: str, timeout: float = 10.0) -> tuple[str, str]:
    """Send one command APDU (hex) with ``AT+CSIM``; ``(data, status word)`` of the answer.

    :raises ModemError: no ``+CSIM`` answer or a malformed one
    :raises ATCommandError: the modem refused the command (not the SIM)
    """
    lines = _command_of(modem)(csim_command(apdu), timeout)
    for line in lines:
        if line.strip().upper().startswith("+CSIM:"):
            return parse_csim(line)
    raise ModemError('the modem\'s answer to AT+CSIM is not +CSIM: <length>,"<hex>"')


Exchange = Callable[[str], "tuple[str, str]"]


def run_authenticate(exchange: Exchange, rand: bytes) -> tuple[bytes, bytes]:
    """AUTHENTICATE through ``exchange(apdu hex) -> (data, status)``, chaining as above.

    :raises ConfigurationError: ``rand`` is not 16 bytes
    :raises SIMAuthenticationError: the SIM refused (the status word is named)
    :raises ModemError: the answers cannot be read, or the chaining does not end
    """
    if not isinstance(rand, (bytes, bytearray)) or len(rand) != simotp.RAND_SIZE:
        raise ConfigurationError(f"RAND must be {simotp.RAND_SIZE} bytes")
    command = simotp.authenticate_apdu(bytes(rand))
    data = ""
    for _ in range(MAX_CHAINED + 1):
        part, status = exchange(command)
        data += part
        sw1, sw2 = status[:2], status[2:]
        if status == simotp.SW_OK:
            try:
                sres, kc = simotp.parse_authenticate_data(data)
            except ValueError:
                raise ModemError(
                    "the SIM's AUTHENTICATE answer is not 04 <SRES> 08 <Kc>"
                ) from None
            return bytes(sres), bytes(kc)
        if sw1 == "61":
            command = "00C00000" + sw2
        elif sw1 == "9F":
            command = "A0C00000" + sw2
        elif sw1 == "6C":
            command, data = command[:-2] + sw2, ""
        else:
            raise SIMAuthenticationError(status, status_meaning(status))
    raise ModemError(f"the SIM kept asking for more exchanges after {MAX_CHAINED}")


def sim_authenticate(modem: Any, rand: bytes, timeout: float = 10.0) -> tuple[bytes, bytes]:
    """Run AUTHENTICATE in the GSM context on the SIM: ``(SRES, Kc)`` for ``rand``.

    :raises ConfigurationError: ``rand`` is not 16 bytes
    :raises SIMAuthenticationError: the SIM answered a status word other than 9000
    :raises ModemError: the modem's answer is malformed
    :raises ATCommandError: the modem refused ``AT+CSIM`` (command and CME code named)
    """
    return run_authenticate(lambda apdu: csim(modem, apdu, timeout), rand)


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
