"""HOTP (RFC 4226) and TOTP (RFC 6238): the one-time passwords of TOTP authentication.

The Hologram cloud's TOTP is HMAC-SHA1 over the 30-second time step as an
8-byte big-endian counter, dynamic truncation, modulo 10^6; the key is the
SIM's IMSI (ASCII digits) and the device id its ICCID (see
``shared/reference/modem-facts.md`` §14.4).
"""

from __future__ import annotations

import hashlib
import hmac
import struct

DEFAULT_STEP = 30
DEFAULT_DIGITS = 6
#: 2020-01-01T00:00:00Z: a device clock before it has not been set (no RTC, no NTP yet)
EARLIEST_VALID_TIME = 1577836800


def hotp(key: bytes, counter: int, digits: int = DEFAULT_DIGITS) -> int:
    """RFC 4226: the HOTP value for ``counter`` (an integer below ``10**digits``).

    :raises ValueError: negative counter, or digits outside 1..9
    """
    if counter < 0 or counter >= 1 << 64:
        raise ValueError("the HOTP counter is an unsigned 64-bit integer")
    if not 1 <= digits <= 9:
        raise ValueError("HOTP digits must be 1 to 9")
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    (binary,) = struct.unpack(">I", digest[offset : offset + 4])
    return int((binary & 0x7FFFFFFF) % (10**digits))


def time_step(timestamp: float, step: int = DEFAULT_STEP, t0: int = 0) -> int:
    """RFC 6238's T: whole ``step``-second intervals since ``t0``."""
    if step <= 0:
        raise ValueError("the TOTP step must be > 0 seconds")
    return int((int(timestamp) - t0) // step)


def totp(
    key: bytes,
    timestamp: float,
    step: int = DEFAULT_STEP,
    digits: int = DEFAULT_DIGITS,
    t0: int = 0,
) -> int:
    """RFC 6238: the TOTP value at ``timestamp`` (Unix seconds)."""
    return hotp(key, time_step(timestamp, step, t0), digits)
