"""The AT command language, pure: result codes, line routing, URCs, masking (no I/O).

Everything here works on text already received and is tested with fixtures:
:func:`parse_final` and :func:`error_for` read final result codes,
:class:`LineRouter` and :func:`find_line_end` sort a command's lines from
unsolicited ones, :func:`mask_line` hides IMSI/ICCID-like values for logs. The
channel that moves the bytes is :mod:`hologram_sdk.modem.at`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Optional

from hologram_sdk.base.digits import is_digits
from hologram_sdk.base.errors import (
    ATCommandError,
    NoNetworkServiceError,
    SIMBusyError,
    SIMFailureError,
    SIMNotInsertedError,
    SIMPinRequiredError,
    SIMPukRequiredError,
)

CTRL_Z = "\x1a"
ESC = "\x1b"

# --- pure part: result codes ------------------------------------------------


class FinalKind(str, Enum):
    """What kind of final result code ended a command."""

    OK = "ok"
    ERROR = "error"
    CME_ERROR = "cme_error"
    CMS_ERROR = "cms_error"
    CONNECT = "connect"
    NO_CARRIER = "no_carrier"
    BUSY = "busy"
    NO_DIALTONE = "no_dialtone"
    NO_ANSWER = "no_answer"


@dataclass(frozen=True)
class FinalResult:
    """A parsed final result code.

    :param kind: the family of the code
    :param line: the line as received
    :param code: the numeric CME/CMS code (verbose texts are mapped to numbers)
    :param text: the verbose text, when the modem gave one
    :param rate: the rate of ``CONNECT <rate>``, when given
    """

    kind: FinalKind
    line: str
    code: Optional[int] = None
    text: Optional[str] = None
    rate: Optional[str] = None

    @property
    def success(self) -> bool:
        """``OK`` and ``CONNECT`` are successes; everything else is a failure."""
        return self.kind in (FinalKind.OK, FinalKind.CONNECT)


#: 3GPP TS 27.007 §9.2 verbose texts -> numeric +CME ERROR codes
CME_TEXTS: dict[str, int] = {
    "phone failure": 0,
    "no connection to phone": 1,
    "phone-adaptor link reserved": 2,
    "phone adaptor link reserved": 2,
    "operation not allowed": 3,
    "operation not supported": 4,
    "ph-sim pin required": 5,
    "ph-fsim pin required": 6,
    "ph-fsim puk required": 7,
    "sim not inserted": 10,
    "sim pin required": 11,
    "sim puk required": 12,
    "sim failure": 13,
    "sim busy": 14,
    "sim wrong": 15,
    "incorrect password": 16,
    "sim pin2 required": 17,
    "sim puk2 required": 18,
    "memory full": 20,
    "invalid index": 21,
    "not found": 22,
    "memory failure": 23,
    "text string too long": 24,
    "invalid characters in text string": 25,
    "dial string too long": 26,
    "invalid characters in dial string": 27,
    "no network service": 30,
    "network timeout": 31,
    "network not allowed - emergency calls only": 32,
    "incorrect parameters": 50,
    "unknown": 100,
    "illegal ms": 103,
    "illegal me": 106,
    "gprs services not allowed": 107,
    "plmn not allowed": 111,
    "location area not allowed": 112,
    "roaming not allowed in this location area": 113,
    "service option not supported": 132,
    "requested service option not subscribed": 133,
    "service option temporarily out of order": 134,
    "unspecified gprs error": 148,
    "pdp authentication failure": 149,
}

#: 3GPP TS 27.005 §3.2.5 verbose texts -> numeric +CMS ERROR codes
CMS_TEXTS: dict[str, int] = {
    "me failure": 300,
    "sms service of me reserved": 301,
    "sms service reserved": 301,
    "operation not allowed": 302,
    "operation not supported": 303,
    "invalid pdu mode parameter": 304,
    "invalid text mode parameter": 305,
    "sim not inserted": 310,
    "sim pin required": 311,
    "ph-sim pin required": 312,
    "sim failure": 313,
    "sim busy": 314,
    "sim wrong": 315,
    "sim puk required": 316,
    "memory failure": 320,
    "invalid memory index": 321,
    "memory full": 322,
    "smsc address unknown": 330,
    "no network service": 331,
    "network timeout": 332,
    "no +cnma acknowledgement expected": 340,
    "unknown error": 500,
}

#: CME codes with their own exception class
CME_ERRORS: dict[int, type[ATCommandError]] = {
    10: SIMNotInsertedError,
    11: SIMPinRequiredError,
    12: SIMPukRequiredError,
    13: SIMFailureError,
    14: SIMBusyError,
    30: NoNetworkServiceError,
}

#: CMS codes that mean the same as a typed CME error
CMS_ERRORS: dict[int, type[ATCommandError]] = {
    310: SIMNotInsertedError,
    311: SIMPinRequiredError,
    316: SIMPukRequiredError,
    313: SIMFailureError,
    314: SIMBusyError,
    331: NoNetworkServiceError,
}

_SIMPLE_FINALS: dict[str, FinalKind] = {
    "OK": FinalKind.OK,
    "SEND OK": FinalKind.OK,
    "SEND FAIL": FinalKind.ERROR,  # Quectel +QISEND/+QISENDEX: the peer did not take it
    "ERROR": FinalKind.ERROR,
    "COMMAND NOT SUPPORT": FinalKind.ERROR,
    "TOO MANY PARAMETERS": FinalKind.ERROR,
    "NO CARRIER": FinalKind.NO_CARRIER,
    "BUSY": FinalKind.BUSY,
    "NO DIALTONE": FinalKind.NO_DIALTONE,
    "NO DIAL TONE": FinalKind.NO_DIALTONE,
    "NO ANSWER": FinalKind.NO_ANSWER,
}

_CONNECT_RE = re.compile(r"^CONNECT(?:\s+(\S.*))?$")
_EXT_ERROR_RE = re.compile(r"^\+(CME|CMS) ERROR\s*:?\s*(.*)$", re.IGNORECASE)


def parse_final(line: str) -> Optional[FinalResult]:
    """Parse ``line`` as a final result code, or return None if it is not one.

    :param line: one line without its CR/LF
    :returns: the parsed result, or None
    """
    stripped = line.strip()
    simple = _SIMPLE_FINALS.get(stripped)
    if simple is not None:
        return FinalResult(simple, stripped)
    match = _CONNECT_RE.match(stripped)
    if match:
        return FinalResult(FinalKind.CONNECT, stripped, rate=match.group(1))
    match = _EXT_ERROR_RE.match(stripped)
    if match:
        family, detail = match.group(1).upper(), match.group(2).strip()
        kind = FinalKind.CME_ERROR if family == "CME" else FinalKind.CMS_ERROR
        if is_digits(detail) and len(detail) <= 6:
            return FinalResult(kind, stripped, code=int(detail))
        table = CME_TEXTS if family == "CME" else CMS_TEXTS
        return FinalResult(kind, stripped, code=table.get(detail.lower()), text=detail or None)
    return None


def error_for(command: str, result: FinalResult) -> ATCommandError:
    """The typed exception for a failed command.

    :param command: the command line that was sent
    :param result: its (failed) final result
    :returns: an :class:`ATCommandError` subclass instance (not raised)
    """
    cls: type[ATCommandError] = ATCommandError
    if result.code is not None:
        if result.kind is FinalKind.CME_ERROR:
            cls = CME_ERRORS.get(result.code, ATCommandError)
        elif result.kind is FinalKind.CMS_ERROR:
            cls = CMS_ERRORS.get(result.code, ATCommandError)
    return cls(command, result.line, result.code, result.text)


# --- pure part: routing lines ------------------------------------------------


class LineKind(str, Enum):
    """How :class:`LineRouter` classified one received line."""

    EMPTY = "empty"
    ECHO = "echo"
    INFO = "info"
    FINAL = "final"
    PROMPT = "prompt"
    URC = "urc"
    GARBAGE = "garbage"


#: URC names (the text before ':' or the whole line) recognised anywhere
URC_NAMES = frozenset(
    {
        "+CMTI",
        "+CMT",
        "+CDSI",
        "+CDS",
        "+CBM",
        "+CBMI",
        "+CREG",
        "+CGREG",
        "+CEREG",
        "+CGEV",
        "+CIEV",
        "+CUSD",
        "+CTZV",
        "+CTZE",
        "+CRING",
        "+CLIP",
        "+CCWA",
        "+PACSP",
        "^RSSI",
        "^MODE",
        "^BOOT",
        "^SRVST",
        "^SIMST",
        "^DSFLOWRPT",
        "^HCSQ",
        "^RFSWITCH",
        "^NDISSTAT",
        "^NWTIME",
        "^CEND",
        "^ORIG",
        "^CONF",
        "^CONN",
        "^STIN",
        "+UUSORD",
        "+UUSORF",
        "+UUSOCL",
        "+UUSOLI",
        "+UUSOCO",
        "+UUPSDD",
        "+UULOC",
        "+UUPSDA",
        "+CSIM",
        "+UUSIMSTAT",
        "RING",
    }
)

#: URCs followed by one data line that belongs to them (text/PDU body)
URCS_WITH_BODY = frozenset({"+CMT", "+CDS", "+CBM"})

_REGISTRATION_NAMES = frozenset({"+CREG", "+CGREG", "+CEREG"})
_NAME_RE = re.compile(r"^([+^][A-Za-z0-9_]+)\s*:")
_PRINTABLE_RE = re.compile(r"^[\x20-\x7e\u00a0-\uffff\t]*$")


def urc_name(line: str) -> Optional[str]:
    """The ``+NAME``/``^NAME`` before the colon of ``line`` (upper-case), if any."""
    match = _NAME_RE.match(line)
    return match.group(1).upper() if match else None


_PREFIX_RE = re.compile(r"\s*([+^][A-Za-z0-9_]+)")
_LINE_END_RE = re.compile(r"[\r\n]+")


@functools.lru_cache(maxsize=256)  # a program sends the same few commands over and over
def command_prefixes(command: str) -> tuple[str, ...]:
    """The information-line prefixes a command's answer may carry.

    ``AT+CSQ`` -> ``("+CSQ",)``; ``AT^ICCID?`` -> ``("^ICCID",)``;
    ``AT+CMEE=2;+CREG?`` -> ``("+CMEE", "+CREG")``; basic commands -> ``()``.

    :param command: the command line as sent
    """
    text = command.strip()
    if text[:2].upper() == "AT":
        text = text[2:]
    prefixes = []
    for part in text.split(";"):
        match = _PREFIX_RE.match(part)
        if match:
            prefixes.append(match.group(1).upper())
    return tuple(prefixes)


def is_registration_read_form(line: str) -> bool:
    """Whether a ``+CREG:``/``+CGREG:``/``+CEREG:`` line is the read answer.

    The read answer starts with ``<n>,<stat>``; the URC starts with ``<stat>``
    (facts §3.2): ``+CREG: 0,1`` is an answer, ``+CREG: 1`` and
    ``+CREG: 1,"00C3","A1B2",2`` are URCs.
    """
    _, _, rest = line.partition(":")
    fields = [f.strip() for f in rest.split(",")]
    if len(fields) < 2:
        return False
    first, second = fields[0], fields[1]
    return (
        is_digits(first)
        and len(first) <= 3
        and is_digits(second)
        and len(second) <= 3
        and len(fields) != 3
    )


def _is_garbage(line: str) -> bool:
    return not _PRINTABLE_RE.match(line)


@dataclass
class LineRouter:
    """Classifies received lines for one pending command (pure, no I/O).

    :param command: the pending command line, or None when idle
    :param payload: the text sent after a ``> `` prompt (its echo is dropped)
    """

    command: Optional[str] = None
    payload: Optional[str] = None
    prefixes: tuple[str, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        self.prefixes = command_prefixes(self.command) if self.command else ()

    def classify(self, line: str) -> LineKind:
        """Classify one line (without its terminator)."""
        stripped = line.strip(" \r\n")
        if not stripped:
            return LineKind.EMPTY
        if self.command is None:
            # idle: finals such as NO CARRIER after a data call are URCs too
            return LineKind.GARBAGE if _is_garbage(stripped) else LineKind.URC
        if stripped.upper() == self.command.strip().upper():
            return LineKind.ECHO
        if stripped.startswith(">"):
            rest = stripped[1:].strip().rstrip(CTRL_Z + ESC)
            return LineKind.PROMPT if not rest else LineKind.ECHO
        if self.payload is not None:
            bare = stripped.rstrip(CTRL_Z + ESC).strip()
            if bare and bare == self.payload.strip().rstrip(CTRL_Z + ESC).strip():
                return LineKind.ECHO
        if parse_final(stripped) is not None:
            return LineKind.FINAL
        name = urc_name(stripped)
        if name is not None:
            if name in self.prefixes:
                if name in _REGISTRATION_NAMES and not (
                    self.command.strip().endswith("?") and is_registration_read_form(stripped)
                ):
                    return LineKind.URC
                return LineKind.INFO
            return LineKind.URC
        if stripped.upper() in URC_NAMES:
            return LineKind.URC
        if _is_garbage(stripped):
            return LineKind.GARBAGE
        return LineKind.INFO


# --- masking -----------------------------------------------------------------

_ICCID_RE = re.compile(r"89\d{15,18}[Ff]?")
_MASKED_COMMANDS = ("AT+CIMI", "AT+CCID", "AT^ICCID", "AT+ICCID", "AT+QCCID", "AT+CRSM")


def mask_line(line: str, command: Optional[str]) -> str:
    """``line`` with IMSI/ICCID values replaced by ``*`` (for logging), and the SIM's
    answer to ``AT+CSIM`` (SRES/Kc of SIM-OTP) hidden."""
    if command and command.strip().upper().startswith("AT+CSIM"):
        return re.sub(r'"[0-9A-Fa-f]*([0-9A-Fa-f]{4})"', r'"***\1"', line)
    if command and command.strip().upper().startswith(_MASKED_COMMANDS):
        return re.sub(r"\d{6,}[Ff]?", lambda m: m.group(0)[:2] + "*" * (len(m.group(0)) - 2), line)
    return _ICCID_RE.sub(lambda m: "89" + "*" * (len(m.group(0)) - 2), line)


# --- unsolicited result codes ------------------------------------------------


@dataclass(frozen=True)
class URC:
    """One unsolicited result code.

    :param line: the line as received
    :param name: ``+CMTI``, ``^RSSI``, ``RING``... (upper-case)
    :param args: the text after the colon, stripped
    :param body: the following data line, for ``+CMT``-style URCs
    """

    line: str
    name: str
    args: str
    body: Optional[str] = None

    @property
    def fields(self) -> list[str]:
        """``args`` split on commas, each stripped of spaces and quotes."""
        return [f.strip().strip('"') for f in self.args.split(",")] if self.args else []


def make_urc(line: str, body: Optional[str] = None) -> URC:
    """Build a :class:`URC` from a line classified as one."""
    stripped = line.strip()
    name = urc_name(stripped)
    if name is None:
        return URC(stripped, stripped.upper(), "", body)
    return URC(stripped, name, stripped.partition(":")[2].strip(), body)


def find_line_end(buffer: str) -> Optional[tuple[int, int]]:
    """(start, end) of the first run of CR/LF in ``buffer``, or None.

    A run such as the echo's ``\\r\\r\\n`` ends one line; the text before
    ``start`` is the line, the channel keeps what follows ``end``.
    """
    match = _LINE_END_RE.search(buffer)
    return match.span() if match else None
