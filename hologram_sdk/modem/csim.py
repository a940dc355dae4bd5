"""The SIM's GSM-context AUTHENTICATE over ``AT+CSIM`` (the primitive SIM-OTP needs).

``AT+CSIM=<length>,"<APDU hex>"`` (3GPP TS 27.007 §8.17) passes one command
APDU to the SIM and answers ``+CSIM: <length>,"<response hex>"``, the response
ending in the status word SW1 SW2. The APDU built here is the USIM
AUTHENTICATE of TS 31.102 §7.1.2 in GSM security context::

    CLA 00  INS 88  P1 00  P2 80 (GSM context)  Lc 11  data: 10 <RAND, 16 bytes>  Le 00

and a successful answer's data is ``04 <SRES, 4 bytes> 08 <Kc, 8 bytes>``
followed by ``90 00``.

Status words a modem may hand through (TS 102 221 §10.2, TS 51.011 §9.4):

* ``61 xx``: ``xx`` response bytes are waiting (T=0): fetch them with
  GET RESPONSE ``00 C0 00 00 xx``;
* ``9F xx``: the same on a GSM SIM (class ``A0``): ``A0 C0 00 00 xx``;
* ``6C xx``: wrong Le: send the same command again with Le = ``xx``;
* ``90 00``: done; anything else is a refusal, raised as
  :class:`~hologram_sdk.errors.SIMAuthenticationError` naming the status word.

The APDU and the answer's data are the SIM-OTP codec's
(:mod:`hologram_sdk.wire.auth.simotp`); this module adds the ``AT+CSIM``
framing and the status-word handling. Everything here is pure. RAND, SRES
and Kc are secrets of the SIM's owner: none of them is logged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

from hologram_sdk.base.errors import ConfigurationError, ModemError, SIMAuthenticationError
from hologram_sdk.wire.auth import simotp

#: RAND is 128 bits
RAND_LENGTH = simotp.RAND_SIZE
#: at most this many GET RESPONSE / Le retries before giving up
MAX_CHAINED = 4

#: what a status word means (TS 102 221 §10.2.1, TS 31.102 §7.3), for the error message
STATUS_TEXTS = {
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

_CSIM_RE = re.compile(r'^\s*(\d{1,4})\s*,\s*"?([0-9A-Fa-f]*)"?\s*$', re.ASCII)


@dataclass(frozen=True)
class GsmAuthResult:
    """What the SIM computed: SRES (4 bytes) and Kc (8 bytes).

    Unpacks as the pair ``(sres, kc)``.
    """

    sres: bytes
    kc: bytes

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter((self.sres, self.kc))

    def __repr__(self) -> str:  # never print the secrets
        return "GsmAuthResult(sres=<4 bytes>, kc=<8 bytes>)"


def status_text(sw: int) -> str:
    """``6982 (security status not satisfied)`` for a status word."""
    text = STATUS_TEXTS.get(sw)
    if text is None and sw >> 8 == 0x63 and sw & 0xF0 == 0xC0:
        text = f"verification failed, {sw & 0x0F} retries left"
    return f"{sw:04X}" + (f" ({text})" if text else "")


def csim_command(apdu: bytes) -> str:
    """The ``AT+CSIM`` line for one command APDU (length counts hex characters)."""
    if not 4 <= len(apdu) <= 261:
        raise ConfigurationError(f"an APDU is 4 to 261 bytes, not {len(apdu)}")
    text = apdu.hex().upper()
    return f'AT+CSIM={len(text)},"{text}"'


def authenticate_apdu(rand: bytes, le: int = 0) -> bytes:
    """The USIM AUTHENTICATE APDU in GSM context for ``rand``.

    :raises ConfigurationError: ``rand`` is not 16 bytes
    """
    if not isinstance(rand, (bytes, bytearray)) or len(rand) != RAND_LENGTH:
        raise ConfigurationError(f"RAND must be {RAND_LENGTH} bytes")
    apdu = bytes.fromhex(simotp.authenticate_apdu(bytes(rand)))
    return apdu[:-1] + bytes((le & 0xFF,))


def parse_csim(args: str) -> bytes:
    """The response bytes (status word included) in ``+CSIM: <length>,"<hex>"``.

    :param args: the text after ``+CSIM:``
    :raises ModemError: not that shape, odd hex, or a length that disagrees
    """
    match = _CSIM_RE.match(args)
    if match is None:
        raise ModemError(f"cannot read +CSIM answer {args[:60]!r}")
    length, text = int(match.group(1)), match.group(2)
    if len(text) % 2 or len(text) < 4:
        raise ModemError(f"+CSIM answer has {len(text)} hex characters: not a response APDU")
    if length != len(text):
        raise ModemError(f"+CSIM length {length} does not match its {len(text)} hex characters")
    return bytes.fromhex(text)


def split_response(response: bytes) -> tuple[bytes, int]:
    """(data, status word) of a response APDU."""
    if len(response) < 2:
        raise ModemError("a response APDU needs at least its 2-byte status word")
    return response[:-2], (response[-2] << 8) | response[-1]


def parse_gsm_auth(data: bytes) -> GsmAuthResult:
    """SRES and Kc from the data of a successful GSM-context AUTHENTICATE.

    :raises ModemError: the data is not ``04 SRES 08 Kc``
    """
    try:
        sres, kc = simotp.parse_authenticate_data(data.hex())
    except ValueError as exc:
        raise ModemError(
            f"unexpected GSM AUTHENTICATE data ({len(data)} bytes): want 04 <SRES> 08 <Kc>"
        ) from exc
    return GsmAuthResult(bytes(sres), bytes(kc))


#: sends one AT+CSIM line and returns the response APDU bytes
Exchange = Callable[[str], bytes]


def run_authenticate(exchange: Exchange, rand: bytes) -> GsmAuthResult:
    """AUTHENTICATE through ``exchange``, following 61xx/9Fxx/6Cxx as TS 102 221 says.

    :param exchange: sends an ``AT+CSIM`` line, returns the response bytes
    :raises SIMAuthenticationError: the SIM refused (the status word is named)
    :raises ModemError: the answers cannot be read
    """
    command = authenticate_apdu(rand)
    data = b""
    for _ in range(MAX_CHAINED + 1):
        part, sw = split_response(exchange(csim_command(command)))
        data += part
        sw1, sw2 = sw >> 8, sw & 0xFF
        if sw == 0x9000:
            return parse_gsm_auth(data)
        if sw1 == 0x61:
            command = bytes((0x00, 0xC0, 0x00, 0x00, sw2))
        elif sw1 == 0x9F:
            command = bytes((0xA0, 0xC0, 0x00, 0x00, sw2))
        elif sw1 == 0x6C:
            command = command[:-1] + bytes((sw2,))
            data = b""
        else:
            raise SIMAuthenticationError(
                f"the SIM refused AUTHENTICATE: status word {status_text(sw)}", sw
            )
    raise ModemError(f"the SIM kept asking for more exchanges after {MAX_CHAINED} retries")


def response_from_lines(lines: list[str], late: Optional[str] = None) -> bytes:
    """The response bytes from a command's information lines (or a late URC's arguments)."""
    for line in lines:
        if line.upper().startswith("+CSIM:"):
            return parse_csim(line.partition(":")[2])
    if late is not None:
        return parse_csim(late)
    raise ModemError("AT+CSIM gave no +CSIM answer")
