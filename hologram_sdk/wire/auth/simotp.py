"""SIM-OTP: RAND from the cloud's nonce, the AUTHENTICATE APDU, and the token.

The device asks the cloud for a nonce; RAND is derived from IMSI, ICCID, the
nonce and the timestamp; the SIM runs AUTHENTICATE in the GSM context on
RAND (its secret never leaves it); the token is an HMAC of the timestamp keyed
with SRES and Kc. Facts: ``shared/reference/modem-facts.md`` §14.4.

* RAND = the two halves of HMAC-SHA256(key, timestamp) XORed together, where
  key = ((IMSI + ICCID) repeated 6 times) XOR nonce, as long as the shorter;
* AUTHENTICATE, GSM context (TS 31.102 §7.1.2): ``00 88 00 80 11 10 <RAND> 00``;
  its answer: ``04 <SRES> 08 <Kc>`` then status word ``90 00``;
* token = HMAC-SHA256(((SRES + Kc') * 3)[:32], timestamp) in lower-case hex,
  Kc' being Kc with the two low bits of its last byte cleared.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Union

RAND_SIZE = 16
#: CLA INS P1 P2 (P2 0x80: GSM security context), Lc = 17, then RAND's length 16
AUTHENTICATE_GSM_HEADER = "008800801110"
#: what a SIM answers when all went well
SW_OK = "9000"

Timestamp = Union[int, str]


def _text(value: Timestamp) -> bytes:
    return str(value).encode("ascii")


def derive_rand(imsi: str, iccid: str, nonce: bytes, timestamp: Timestamp) -> bytes:
    """RAND (16 bytes) for one SIM-OTP exchange.

    :raises ValueError: an empty nonce, IMSI or ICCID
    """
    if not nonce or not imsi or not iccid:
        raise ValueError("SIM-OTP needs the IMSI, the ICCID and a nonce")
    material = ((imsi + iccid) * 6).encode("ascii")
    key = bytes(a ^ b for a, b in zip(material, nonce))
    digest = hmac.new(key, _text(timestamp), hashlib.sha256).digest()
    return bytes(a ^ b for a, b in zip(digest[:RAND_SIZE], digest[RAND_SIZE:]))


def token(sres: bytes, kc: bytes, timestamp: Timestamp) -> str:
    """The SIM-OTP token (64 lower-case hex digits) from the SIM's SRES and Kc."""
    if len(sres) != 4 or len(kc) != 8:
        raise ValueError("SRES is 4 bytes and Kc 8 bytes")
    kc_cleared = kc[:-1] + bytes((kc[-1] & 0xFC,))
    key = ((sres + kc_cleared) * 3)[:32]
    return hmac.new(key, _text(timestamp), hashlib.sha256).hexdigest()


def authenticate_apdu(rand: bytes) -> str:
    """The AUTHENTICATE (GSM context) command APDU for RAND, as upper-case hex."""
    if len(rand) != RAND_SIZE:
        raise ValueError("RAND is 16 bytes")
    return AUTHENTICATE_GSM_HEADER + rand.hex().upper() + "00"


def rand_from_apdu(apdu: str) -> bytes:
    """RAND from an AUTHENTICATE (GSM context) command APDU (the SIM's side).

    :raises ValueError: not that command (the caller answers a status word)
    """
    text = apdu.strip().upper()
    if not text.startswith(AUTHENTICATE_GSM_HEADER) or len(text) not in (44, 46):
        raise ValueError("not an AUTHENTICATE command in the GSM context")
    return bytes.fromhex(text[12:44])


def authenticate_response(sres: bytes, kc: bytes) -> str:
    """What a SIM answers to AUTHENTICATE (GSM context): data and ``9000``, as hex."""
    return ("04" + sres.hex() + "08" + kc.hex()).upper() + SW_OK


def split_status(response: str) -> tuple[str, str]:
    """``(data, status word)`` of a response APDU in hex.

    :raises ValueError: not hex, or shorter than a status word
    """
    text = response.strip().strip('"').upper()
    if len(text) < 4 or len(text) % 2:
        raise ValueError("a response APDU is an even number of hex digits, at least 4")
    bytes.fromhex(text)  # raises ValueError when not hex
    return text[:-4], text[-4:]


def parse_authenticate_data(data: str) -> tuple[bytes, bytes]:
    """``(SRES, Kc)`` from the data of a GSM-context AUTHENTICATE answer (status removed).

    :raises ValueError: the lengths are not 4 and 8
    """
    raw = bytes.fromhex(data)
    if len(raw) < 14 or raw[0] != 4 or raw[5] != 8:
        raise ValueError("not an AUTHENTICATE answer: 04 <SRES> 08 <Kc> expected")
    return raw[1:5], raw[6:14]
