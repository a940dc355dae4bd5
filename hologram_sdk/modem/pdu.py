"""Pure SMS PDU codec (3GPP TS 23.040 / 23.038): GSM 7-bit and UCS-2, SMS-SUBMIT and SMS-DELIVER.

Nothing here does I/O. Hex strings are what AT+CMGS / +CMGR / +CMGL carry in PDU
mode: the SMSC address field first (``00`` = "use the SIM's SMSC") unless the
caller says there is none, then the TPDU.

Errors: a text that does not fit one SMS raises
:class:`~hologram_sdk.base.errors.MessageTooLongError`; a malformed PDU, a bad
number or an unencodable text raises
:class:`~hologram_sdk.base.errors.ConfigurationError` (a ``ValueError``).

Why ~730 lines in one module: it is one pure codec; SMS-SUBMIT and SMS-DELIVER
share the address, alphabet, user-data-header and timestamp code, and the
round-trip property tests check both directions of the same tables.
"""

from __future__ import annotations

import datetime as _dt
import enum
from dataclasses import dataclass
from typing import Optional, Union

from hologram_sdk.base.digits import is_digits
from hologram_sdk.base.errors import (
    ConfigurationError,
    InvalidPhoneNumberError,
    MessageTooLongError,
)

__all__ = [
    "GSM7_LIMIT",
    "OCTET_LIMIT",
    "UCS2_LIMIT",
    "EncodedPdu",
    "Encoding",
    "SmsDeliver",
    "SmsSubmit",
    "check_length",
    "choose_encoding",
    "decode",
    "decode_deliver",
    "decode_gsm7",
    "decode_submit",
    "decode_timestamp",
    "decode_ucs2_hex",
    "encode_deliver",
    "encode_gsm7",
    "encode_submit",
    "encode_timestamp",
    "encode_ucs2_hex",
    "format_scts",
    "gsm7_encodable",
    "gsm7_length",
    "pack_septets",
    "parse_scts",
    "unpack_septets",
]

#: septets in one GSM 7-bit message (extension-table characters count twice)
GSM7_LIMIT = 160
#: UTF-16 code units in one UCS-2 message
UCS2_LIMIT = 70
#: octets of user data in one 8-bit message
OCTET_LIMIT = 140

_ESC = 0x1B

# 3GPP TS 23.038 §6.2.1 default alphabet; index = septet value. 0x1B is the escape.
_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

# 3GPP TS 23.038 §6.2.1.1 extension table (reached through ESC).
_EXTENSION = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

_ENCODE_BASIC = {ch: i for i, ch in enumerate(_BASIC) if i != _ESC}
_ENCODE_EXT = {ch: code for code, ch in _EXTENSION.items()}


class Encoding(str, enum.Enum):
    """The user-data alphabet of a message (from its data coding scheme)."""

    GSM7 = "gsm7"
    EIGHT_BIT = "8bit"
    UCS2 = "ucs2"


#: TP-DCS octet for each alphabet in the general data coding group, no class.
_DCS = {Encoding.GSM7: 0x00, Encoding.EIGHT_BIT: 0x04, Encoding.UCS2: 0x08}


@dataclass(frozen=True)
class EncodedPdu:
    """An encoded PDU ready for the modem.

    :param hex: the PDU as upper-case hex, SMSC field included when asked for
    :param tpdu_length: octets after the SMSC field (the ``<length>`` of AT+CMGS)
    """

    hex: str
    tpdu_length: int


@dataclass(frozen=True)
class SmsSubmit:
    """A decoded SMS-SUBMIT (a message a phone or the SDK asks to send)."""

    #: destination number; ``+`` prefix when international
    destination: str
    #: the text (for 8-bit data: the octets decoded as Latin-1)
    text: str
    #: the alphabet named by the data coding scheme
    encoding: Encoding
    #: TP-MR, the message reference (0 lets the modem choose)
    reference: int
    #: SMSC number from the SMSC field, None when absent or empty
    smsc: Optional[str]
    #: the relative validity-period octet when present
    validity: Optional[int]
    #: TP-SRR, status report requested
    status_report: bool
    #: the user-data header octets (without its length octet), empty when none
    udh: bytes
    #: TP-DCS octet as sent
    dcs: int
    #: TP-PID octet as sent
    pid: int


@dataclass(frozen=True)
class SmsDeliver:
    """A decoded SMS-DELIVER (a message the network hands to the modem)."""

    #: originating address; ``+`` prefix when international, letters when alphanumeric
    sender: str
    #: the text (for 8-bit data: the octets decoded as Latin-1)
    text: str
    #: the alphabet named by the data coding scheme
    encoding: Encoding
    #: service-centre time stamp, timezone-aware
    timestamp: _dt.datetime
    #: SMSC number from the SMSC field, None when absent or empty
    smsc: Optional[str]
    #: TP-MMS clear: the SMSC has more messages waiting
    more_messages: bool
    #: the user-data header octets (without its length octet), empty when none
    udh: bytes
    #: TP-DCS octet as received
    dcs: int
    #: TP-PID octet as received
    pid: int


# --- GSM 7-bit alphabet ------------------------------------------------------


def gsm7_encodable(text: str) -> bool:
    """Tell whether every character of ``text`` is in the GSM 7-bit default alphabet
    or its extension table."""
    return all(ch in _ENCODE_BASIC or ch in _ENCODE_EXT for ch in text)


def encode_gsm7(text: str) -> list[int]:
    """Turn text into septet values; extension characters become ``ESC`` + code.

    :raises ConfigurationError: a character has no GSM 7-bit form
    """
    septets: list[int] = []
    for ch in text:
        code = _ENCODE_BASIC.get(ch)
        if code is not None:
            septets.append(code)
            continue
        ext = _ENCODE_EXT.get(ch)
        if ext is None:
            raise ConfigurationError(f"character {ch!r} is not in the GSM 7-bit alphabet")
        septets.extend((_ESC, ext))
    return septets


def gsm7_length(text: str) -> int:
    """Septets ``text`` needs in GSM 7-bit (extension characters count two).

    :raises ConfigurationError: a character has no GSM 7-bit form
    """
    return len(encode_gsm7(text))


def decode_gsm7(septets: list[int]) -> str:
    """Turn septet values back into text.

    An escape followed by a code outside the extension table yields the
    default-alphabet character (23.038 §6.2.1.1); a trailing escape yields a space.
    """
    out: list[str] = []
    escaped = False
    for raw in septets:
        value = raw & 0x7F
        if escaped:
            escaped = False
            out.append(_EXTENSION.get(value, _BASIC[value] if value != _ESC else " "))
        elif value == _ESC:
            escaped = True
        else:
            out.append(_BASIC[value])
    if escaped:
        out.append(" ")
    return "".join(out)


def pack_septets(septets: list[int], fill_bits: int = 0) -> bytes:
    """Pack septets LSB-first into octets, after ``fill_bits`` zero bits (UDH alignment)."""
    acc = 0
    nbits = fill_bits
    out = bytearray()
    for septet in septets:
        acc |= (septet & 0x7F) << nbits
        nbits += 7
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


def unpack_septets(data: bytes, count: int, fill_bits: int = 0) -> list[int]:
    """Unpack ``count`` septets from packed octets, skipping ``fill_bits`` first.

    :raises ConfigurationError: ``data`` is too short for ``count`` septets
    """
    if fill_bits + 7 * count > 8 * len(data):
        raise ConfigurationError(f"user data too short for {count} septets")
    value = int.from_bytes(data, "little")
    return [(value >> (fill_bits + 7 * i)) & 0x7F for i in range(count)]


# --- alphabets and limits ------------------------------------------------------


def choose_encoding(text: str) -> Encoding:
    """GSM 7-bit when every character fits, else UCS-2."""
    return Encoding.GSM7 if gsm7_encodable(text) else Encoding.UCS2


def _ucs2_bytes(text: str) -> bytes:
    try:
        return text.encode("utf-16-be")
    except UnicodeEncodeError as exc:
        raise ConfigurationError(f"text cannot be encoded as UCS-2: {exc.reason}") from exc


def check_length(text: str, encoding: Optional[Encoding] = None) -> Encoding:
    """Check that ``text`` fits one SMS and return the alphabet it will use.

    :param encoding: force an alphabet; by default :func:`choose_encoding`
    :raises MessageTooLongError: more than 160 septets, 70 UCS-2 characters or 140 octets
    :raises ConfigurationError: the text cannot be written in the forced alphabet
    """
    enc = choose_encoding(text) if encoding is None else Encoding(encoding)
    if enc is Encoding.GSM7:
        n = gsm7_length(text)
        if n > GSM7_LIMIT:
            raise MessageTooLongError(
                f"text needs {n} GSM 7-bit septets; one SMS holds {GSM7_LIMIT}"
            )
    elif enc is Encoding.UCS2:
        n = len(_ucs2_bytes(text)) // 2
        if n > UCS2_LIMIT:
            raise MessageTooLongError(
                f"text needs {n} UCS-2 characters; one SMS holds {UCS2_LIMIT}"
            )
    else:
        n = len(_latin1(text))
        if n > OCTET_LIMIT:
            raise MessageTooLongError(f"data is {n} octets; one SMS holds {OCTET_LIMIT}")
    return enc


def _latin1(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise ConfigurationError("8-bit data must be Latin-1 characters") from exc


def encode_ucs2_hex(text: str) -> str:
    """Text as the hex of its UTF-16 code units (27.005 text mode with AT+CSCS="UCS2")."""
    return _ucs2_bytes(text).hex().upper()


def decode_ucs2_hex(value: str) -> str:
    """Inverse of :func:`encode_ucs2_hex`.

    :raises ConfigurationError: not hex, or not a whole number of code units
    """
    data = _unhex(value)
    if len(data) % 2:
        raise ConfigurationError("UCS-2 hex must be a multiple of 4 digits")
    return data.decode("utf-16-be", errors="replace")


# --- addresses -----------------------------------------------------------------


_TOA_INTERNATIONAL = 0x91
_TOA_NATIONAL = 0x81
_TOA_ALPHANUMERIC = 0xD0


def _swap_digits(digits: str) -> bytes:
    if len(digits) % 2:
        digits += "F"
    return bytes(int(digits[i + 1] + digits[i], 16) for i in range(0, len(digits), 2))


def _unswap_digits(data: bytes, count: int) -> str:
    out = []
    for octet in data:
        out.append("0123456789*#abc"[octet & 0x0F] if (octet & 0x0F) != 0x0F else "")
        out.append("0123456789*#abc"[octet >> 4] if (octet >> 4) != 0x0F else "")
    return "".join(out)[:count]


def _split_number(number: str) -> tuple[int, str]:
    international = number.startswith("+")
    digits = number[1:] if international else number
    if not digits or not is_digits(digits) or not digits.isascii() or len(digits) > 20:
        raise InvalidPhoneNumberError(f"not a phone number: {number!r}")
    return (_TOA_INTERNATIONAL if international else _TOA_NATIONAL), digits


def _encode_address(number: str) -> bytes:
    """TP-DA / TP-OA: digit count, type of address, swapped digits (or packed letters)."""
    if number and not is_digits(number.lstrip("+")):
        if len(number) > 11 or not gsm7_encodable(number):
            raise InvalidPhoneNumberError(f"not a phone number or short sender name: {number!r}")
        septets = encode_gsm7(number)
        semi_octets = (len(septets) * 7 + 3) // 4
        return bytes([semi_octets, _TOA_ALPHANUMERIC]) + pack_septets(septets)
    toa, digits = _split_number(number)
    return bytes([len(digits), toa]) + _swap_digits(digits)


def _encode_smsc(smsc: Optional[str]) -> bytes:
    if not smsc:
        return b"\x00"
    toa, digits = _split_number(smsc)
    body = bytes([toa]) + _swap_digits(digits)
    return bytes([len(body)]) + body


def _number(toa: int, digits: str) -> str:
    return ("+" + digits) if (toa & 0x70) == 0x10 else digits


# --- timestamps ----------------------------------------------------------------


def _bcd(value: int) -> int:
    return ((value % 10) << 4) | (value // 10)


def _unbcd(octet: int) -> int:
    low, high = octet & 0x0F, octet >> 4
    if low > 9 or high > 9:
        raise ConfigurationError(f"bad BCD octet {octet:02X} in time stamp")
    return low * 10 + high


def encode_timestamp(when: _dt.datetime) -> bytes:
    """TP-SCTS: seven swapped-BCD octets YY MM DD hh mm ss TZ (TZ in quarter hours).

    A naive datetime is taken as UTC.
    """
    offset = when.utcoffset() or _dt.timedelta(0)
    quarters = int(offset.total_seconds() // 900)
    negative = quarters < 0
    quarters = min(abs(quarters), 79)
    tz = (quarters // 10) | (0x08 if negative else 0) | ((quarters % 10) << 4)
    return bytes(
        [
            _bcd(when.year % 100),
            _bcd(when.month),
            _bcd(when.day),
            _bcd(when.hour),
            _bcd(when.minute),
            _bcd(when.second),
            tz,
        ]
    )


def decode_timestamp(data: bytes) -> _dt.datetime:
    """Inverse of :func:`encode_timestamp`; years 00-99 map to 2000-2099.

    :raises ConfigurationError: not 7 octets or not a valid date
    """
    if len(data) != 7:
        raise ConfigurationError("a time stamp is 7 octets")
    year, month, day, hour, minute, second = (_unbcd(b) for b in data[:6])
    tz = data[6]
    quarters = (tz & 0x07) * 10 + (tz >> 4)
    if (tz >> 4) > 9:
        raise ConfigurationError(f"bad time-zone octet {tz:02X}")
    if tz & 0x08:
        quarters = -quarters
    try:
        zone = _dt.timezone(_dt.timedelta(minutes=15 * quarters))
        return _dt.datetime(2000 + year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError as exc:
        raise ConfigurationError(f"bad time stamp: {exc}") from exc


def format_scts(when: _dt.datetime) -> str:
    """27.005 text-mode time stamp ``yy/MM/dd,hh:mm:ss±zz`` (zz in quarter hours)."""
    offset = when.utcoffset() or _dt.timedelta(0)
    quarters = int(offset.total_seconds() // 900)
    sign = "-" if quarters < 0 else "+"
    return f"{when:%y/%m/%d,%H:%M:%S}{sign}{abs(quarters):02d}"


def parse_scts(value: str) -> _dt.datetime:
    """Inverse of :func:`format_scts` (quotes allowed around the value).

    :raises ConfigurationError: not in the 27.005 format
    """
    text = value.strip().strip('"')
    try:
        stamp, zone = text[:17], text[17:]
        when = _dt.datetime.strptime(stamp, "%y/%m/%d,%H:%M:%S")
        quarters = int(zone) if zone else 0
        return when.replace(tzinfo=_dt.timezone(_dt.timedelta(minutes=15 * quarters)))
    except ValueError as exc:
        raise ConfigurationError(f"not a 27.005 time stamp: {value!r}") from exc


# --- user data -----------------------------------------------------------------


def _encode_user_data(text: str, encoding: Encoding) -> tuple[int, bytes]:
    """Return (TP-UDL, TP-UD) for a text with no user-data header."""
    if encoding is Encoding.GSM7:
        septets = encode_gsm7(text)
        return len(septets), pack_septets(septets)
    data = _ucs2_bytes(text) if encoding is Encoding.UCS2 else _latin1(text)
    return len(data), data


def _dcs_alphabet(dcs: int) -> Encoding:
    group = dcs & 0xF0
    if group < 0x80:  # general data coding (00xx) and automatic deletion (01xx)
        if dcs & 0x20:
            raise ConfigurationError(f"compressed user data (DCS {dcs:02X}) is not supported")
        return (Encoding.GSM7, Encoding.EIGHT_BIT, Encoding.UCS2, Encoding.EIGHT_BIT)[
            (dcs >> 2) & 0x03
        ]
    if group in (0xC0, 0xD0):
        return Encoding.GSM7
    if group == 0xE0:
        return Encoding.UCS2
    if group == 0xF0:
        return Encoding.EIGHT_BIT if dcs & 0x04 else Encoding.GSM7
    raise ConfigurationError(f"reserved data coding scheme {dcs:02X}")


def _decode_user_data(
    ud: bytes, udl: int, udhi: bool, encoding: Encoding
) -> tuple[bytes, str]:
    udh = b""
    header_octets = 0
    if udhi:
        if not ud:
            raise ConfigurationError("user-data header flag set but no user data")
        header_octets = ud[0] + 1
        if header_octets > len(ud):
            raise ConfigurationError("user-data header longer than the user data")
        udh = ud[1:header_octets]
    if encoding is Encoding.GSM7:
        if udl > GSM7_LIMIT:
            raise ConfigurationError(f"user data length {udl} exceeds {GSM7_LIMIT} septets")
        header_septets = (header_octets * 8 + 6) // 7
        fill = header_septets * 7 - header_octets * 8
        count = udl - header_septets
        if count < 0:
            raise ConfigurationError("user data length shorter than its header")
        septets = unpack_septets(ud[header_octets:], count, fill)
        return udh, decode_gsm7(septets)
    if udl > len(ud) or udl > OCTET_LIMIT:
        raise ConfigurationError(f"user data length {udl} but {len(ud)} octets present")
    if udl < header_octets:
        raise ConfigurationError("user data length shorter than its header")
    body = ud[header_octets:udl]
    if encoding is Encoding.UCS2:
        if len(body) % 2:
            raise ConfigurationError("UCS-2 user data has an odd number of octets")
        return udh, body.decode("utf-16-be", errors="replace")
    return udh, body.decode("latin-1")


# --- encoders ------------------------------------------------------------------


def encode_submit(
    destination: str,
    text: str,
    *,
    smsc: Optional[str] = None,
    include_smsc: bool = True,
    reference: int = 0,
    validity: Optional[int] = 0xAA,
    encoding: Optional[Encoding] = None,
    status_report: bool = False,
) -> EncodedPdu:
    """Encode an SMS-SUBMIT for AT+CMGS in PDU mode.

    :param destination: ``+`` and digits (international) or digits (national)
    :param text: the message; GSM 7-bit when possible, else UCS-2
    :param smsc: SMSC number to put in the SMSC field; None writes ``00`` (the SIM's)
    :param include_smsc: False for modems that take the TPDU alone
    :param reference: TP-MR, 0-255 (0 lets the modem choose)
    :param validity: relative validity-period octet (``0xAA`` = 4 days) or None
    :param encoding: force an alphabet
    :param status_report: request a status report
    :raises MessageTooLongError: the text does not fit one SMS
    :raises InvalidPhoneNumberError: the destination or SMSC is not a number
    """
    if not 0 <= reference <= 255:
        raise ConfigurationError(f"message reference must be 0-255, not {reference}")
    if validity is not None and not 0 <= validity <= 255:
        raise ConfigurationError(f"validity period octet must be 0-255, not {validity}")
    enc = check_length(text, encoding)
    _split_number(destination)
    first = 0x01 | (0x10 if validity is not None else 0) | (0x20 if status_report else 0)
    udl, ud = _encode_user_data(text, enc)
    tpdu = bytes([first, reference]) + _encode_address(destination) + bytes([0x00, _DCS[enc]])
    if validity is not None:
        tpdu += bytes([validity])
    tpdu += bytes([udl]) + ud
    prefix = _encode_smsc(smsc) if include_smsc else b""
    return EncodedPdu((prefix + tpdu).hex().upper(), len(tpdu))


def encode_deliver(
    sender: str,
    text: str,
    timestamp: _dt.datetime,
    *,
    smsc: Optional[str] = None,
    include_smsc: bool = True,
    more_messages: bool = False,
    encoding: Optional[Encoding] = None,
) -> EncodedPdu:
    """Encode an SMS-DELIVER as a modem returns it from +CMGR / +CMGL.

    :param sender: a number (``+`` for international) or a short alphanumeric name
    :param timestamp: the service-centre time stamp (naive = UTC)
    :param smsc: SMSC number for the SMSC field; None writes ``00``
    :param more_messages: the SMSC has more messages waiting (TP-MMS clear)
    :raises MessageTooLongError: the text does not fit one SMS
    :raises InvalidPhoneNumberError: the sender or SMSC is not usable
    """
    enc = check_length(text, encoding)
    first = 0x00 if more_messages else 0x04
    udl, ud = _encode_user_data(text, enc)
    tpdu = (
        bytes([first])
        + _encode_address(sender)
        + bytes([0x00, _DCS[enc]])
        + encode_timestamp(timestamp)
        + bytes([udl])
        + ud
    )
    prefix = _encode_smsc(smsc) if include_smsc else b""
    return EncodedPdu((prefix + tpdu).hex().upper(), len(tpdu))


# --- decoders ------------------------------------------------------------------


def _unhex(value: str) -> bytes:
    try:
        return bytes.fromhex(value.strip())
    except ValueError as exc:
        raise ConfigurationError(f"PDU is not hex: {value[:40]!r}") from exc


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ConfigurationError(f"PDU ends inside the {what}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def octet(self, what: str) -> int:
        return self.take(1, what)[0]

    def rest(self) -> bytes:
        chunk = self.data[self.pos :]
        self.pos = len(self.data)
        return chunk


def _read_smsc(reader: _Reader, has_smsc: bool) -> Optional[str]:
    if not has_smsc:
        return None
    length = reader.octet("SMSC length")
    if length == 0:
        return None
    body = reader.take(length, "SMSC address")
    digits = _unswap_digits(body[1:], 2 * (length - 1))
    return _number(body[0], digits) or None


def _read_address(reader: _Reader, what: str) -> str:
    count = reader.octet(f"{what} length")
    toa = reader.octet(f"{what} type")
    body = reader.take((count + 1) // 2, what)
    if (toa & 0x70) == 0x50:  # alphanumeric
        return decode_gsm7(unpack_septets(body, count * 4 // 7))
    return _number(toa, _unswap_digits(body, count))


def decode_submit(pdu: str, *, has_smsc: bool = True) -> SmsSubmit:
    """Decode an SMS-SUBMIT given as hex.

    :param has_smsc: the hex starts with the SMSC field (as AT+CMGS sends it)
    :raises ConfigurationError: not an SMS-SUBMIT, or malformed
    """
    reader = _Reader(_unhex(pdu))
    smsc = _read_smsc(reader, has_smsc)
    first = reader.octet("first octet")
    if first & 0x03 != 0x01:
        raise ConfigurationError(f"not an SMS-SUBMIT (first octet {first:02X})")
    reference = reader.octet("message reference")
    destination = _read_address(reader, "destination address")
    pid = reader.octet("protocol identifier")
    dcs = reader.octet("data coding scheme")
    vpf = (first >> 3) & 0x03
    validity: Optional[int] = None
    if vpf == 0x02:
        validity = reader.octet("validity period")
    elif vpf in (0x01, 0x03):
        reader.take(7, "validity period")
    udl = reader.octet("user data length")
    encoding = _dcs_alphabet(dcs)
    udh, text = _decode_user_data(reader.rest(), udl, bool(first & 0x40), encoding)
    return SmsSubmit(
        destination=destination,
        text=text,
        encoding=encoding,
        reference=reference,
        smsc=smsc,
        validity=validity,
        status_report=bool(first & 0x20),
        udh=udh,
        dcs=dcs,
        pid=pid,
    )


def decode_deliver(pdu: str, *, has_smsc: bool = True) -> SmsDeliver:
    """Decode an SMS-DELIVER given as hex (as +CMGR / +CMGL return it).

    :param has_smsc: the hex starts with the SMSC field
    :raises ConfigurationError: not an SMS-DELIVER, or malformed
    """
    reader = _Reader(_unhex(pdu))
    smsc = _read_smsc(reader, has_smsc)
    first = reader.octet("first octet")
    if first & 0x03 != 0x00:
        raise ConfigurationError(f"not an SMS-DELIVER (first octet {first:02X})")
    sender = _read_address(reader, "originating address")
    pid = reader.octet("protocol identifier")
    dcs = reader.octet("data coding scheme")
    timestamp = decode_timestamp(reader.take(7, "time stamp"))
    udl = reader.octet("user data length")
    encoding = _dcs_alphabet(dcs)
    udh, text = _decode_user_data(reader.rest(), udl, bool(first & 0x40), encoding)
    return SmsDeliver(
        sender=sender,
        text=text,
        encoding=encoding,
        timestamp=timestamp,
        smsc=smsc,
        more_messages=not first & 0x04,
        udh=udh,
        dcs=dcs,
        pid=pid,
    )


def decode(pdu: str, *, has_smsc: bool = True) -> Union[SmsSubmit, SmsDeliver]:
    """Decode an SMS-SUBMIT or SMS-DELIVER, whichever the first octet says.

    :raises ConfigurationError: another message type, or malformed
    """
    reader = _Reader(_unhex(pdu))
    _read_smsc(reader, has_smsc)
    mti = reader.octet("first octet") & 0x03
    if mti == 0x01:
        return decode_submit(pdu, has_smsc=has_smsc)
    if mti == 0x00:
        return decode_deliver(pdu, has_smsc=has_smsc)
    raise ConfigurationError(f"unsupported message type indicator {mti}")
