"""The AT command channel: a pure line parser plus a threaded serial channel.

The pure part (:func:`parse_final`, :func:`command_prefixes`, :class:`LineRouter`,
:func:`error_for`) has no I/O and is tested with byte fixtures. :class:`ATChannel`
moves bytes: a reader thread splits lines and routes them to the one pending
command or, for unsolicited result codes, to a queue that a separate dispatcher
thread hands to the registered callbacks.
"""

from __future__ import annotations

import errno
import logging
import queue
import re
import threading
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Optional, Union

from hologram_sdk.base.backoff import Backoff
from hologram_sdk.base.digits import is_digits
from hologram_sdk.base.errors import (
    ATCommandError,
    ConfigurationError,
    ModemTimeoutError,
    ModemUnpluggedError,
    NoNetworkServiceError,
    PortBusyError,
    SerialError,
    SIMBusyError,
    SIMFailureError,
    SIMNotInsertedError,
    SIMPinRequiredError,
    SIMPukRequiredError,
)
from hologram_sdk.modem.ports import Opener, SerialLike, busy_hint, open_port

logger = logging.getLogger(__name__)
#: raw AT traffic, DEBUG only; IMSI and ICCID values are masked
traffic_logger = logger.getChild("traffic")

#: the longest wait between retries of a command the SIM answered "busy", seconds
SIM_BUSY_CAP = 8.0

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
        match = re.match(r"\s*([+^][A-Za-z0-9_]+)", part)
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


# --- I/O part ------------------------------------------------------------------


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


def _default_opener(url: str, baudrate: int, timeout: float) -> SerialLike:
    return open_port(url, baudrate, timeout)


#: given an information line, the number of raw bytes that follow it (None: none)
DataLength = Callable[[str], Optional[int]]


class _Pending:
    def __init__(
        self, command: str, expect_prompt: bool, data_length: Optional[DataLength] = None
    ) -> None:
        self.router = LineRouter(command)
        self.expect_prompt = expect_prompt
        self.data_length = data_length
        self.lines: list[str] = []
        self.final: Optional[FinalResult] = None
        self.prompt = False


UrcHandler = Callable[[URC], Any]


class ATChannel:
    """One AT command port: one command in flight, URCs on their own thread.

    :param port_or_url: a device path, a pyserial URL or ``sim://<profile>``
    :param baudrate: serial speed (an int or a numeric string)
    :param timeout: default seconds to wait for a command's final result
    :param on_urc: called with each :class:`URC`, on the dispatcher thread
    :param opener: ``opener(url, baudrate, read_timeout) -> port`` (default:
        :func:`open_port`); tests and the emulator pass their own
    :param sim_busy_retries: how often a ``+CME ERROR: 14`` (SIM busy) is retried
    :param sim_busy_backoff: the first retry delay in seconds (doubled each time, at most
        :data:`SIM_BUSY_CAP`)
    """

    def __init__(
        self,
        port_or_url: str,
        baudrate: Union[int, str] = 9600,
        *,
        timeout: float = 5.0,
        on_urc: Optional[UrcHandler] = None,
        opener: Optional[Opener] = None,
        sim_busy_retries: int = 3,
        sim_busy_backoff: float = 0.5,
    ) -> None:
        try:
            self.baudrate = int(baudrate)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"baud rate must be a number, not {baudrate!r}") from exc
        if timeout is not None and timeout <= 0:
            raise ConfigurationError("timeout must be positive")
        self.url = str(port_or_url)
        self.timeout = float(timeout)
        self.sim_busy_retries = sim_busy_retries
        self.sim_busy_backoff = sim_busy_backoff
        self._sim_busy_backoff = Backoff(sim_busy_backoff, max(sim_busy_backoff, SIM_BUSY_CAP))
        self._opener: Opener = opener or _default_opener
        self._handlers: list[UrcHandler] = [on_urc] if on_urc is not None else []
        self._command_lock = threading.Lock()
        self._cond = threading.Condition()
        self._port: Optional[SerialLike] = None
        self._pending: Optional[_Pending] = None
        self._dead: Optional[BaseException] = None
        self._stopping = False
        self._buffer = ""
        self._urc_body_for: Optional[str] = None
        self._last_body_head = ""
        self._raw_left = 0  # bytes of a command's binary payload still to come
        self._raw_parts: list[str] = []
        self._reader: Optional[threading.Thread] = None
        self._dispatcher: Optional[threading.Thread] = None
        self._urcs: queue.Queue[Optional[URC]] = queue.Queue()
        self._state_lock = threading.Lock()

    # -- lifecycle --------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Whether the port is open and the modem has not gone away."""
        return self._port is not None and self._dead is None

    def open(self) -> None:
        """Open the port and start the threads (again, after :meth:`close`).

        :raises PortBusyError: another process holds the port
        :raises SerialError: the port cannot be opened
        """
        with self._state_lock:
            if self._port is not None and self._dead is None:
                return
            self._close_locked()
            try:
                port = self._opener(self.url, self.baudrate, 0.2)
            except (SerialError, ConfigurationError):
                raise
            except OSError as exc:
                if exc.errno == errno.EBUSY:
                    raise PortBusyError(busy_hint(self.url)) from exc
                raise SerialError(f"cannot open {self.url}: {exc}") from exc
            self._port = port
            self._dead = None
            self._stopping = False
            self._buffer = ""
            self._urc_body_for = None
            self._raw_left = 0
            self._raw_parts = []
            self._urcs = queue.Queue()
            self._reader = threading.Thread(
                target=self._read_loop, name=f"at-reader {self.url}", daemon=True
            )
            self._dispatcher = threading.Thread(
                target=self._dispatch_loop, name=f"at-urc {self.url}", daemon=True
            )
            self._reader.start()
            self._dispatcher.start()
        logger.debug("opened %s", self.url)

    def close(self) -> None:
        """Close the port and join the threads; safe to call twice."""
        with self._state_lock:
            self._close_locked()

    def _close_locked(self) -> None:
        port, reader, dispatcher = self._port, self._reader, self._dispatcher
        if port is None and reader is None and dispatcher is None:
            return
        self._stopping = True
        with self._cond:
            if self._dead is None:
                self._dead = ModemUnpluggedError(f"{self.url} is closed")
            self._cond.notify_all()
        cancel = getattr(port, "cancel_read", None)
        if cancel is not None:
            try:
                cancel()
            except Exception:  # a dead port may refuse; the read timeout covers it
                logger.debug("cancel_read failed on %s", self.url, exc_info=True)
        if reader is not None and reader is not threading.current_thread():
            reader.join(5.0)
        self._urcs.put(None)
        if dispatcher is not None and dispatcher is not threading.current_thread():
            dispatcher.join(5.0)
        if port is not None:
            try:
                port.close()
            except Exception:
                logger.debug("closing %s failed", self.url, exc_info=True)
        self._port = self._reader = self._dispatcher = None
        logger.debug("closed %s", self.url)

    def __enter__(self) -> ATChannel:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- URC subscribers ----------------------------------------------------

    def add_urc_handler(self, handler: UrcHandler) -> None:
        """Call ``handler(urc)`` on the dispatcher thread for every URC."""
        if handler not in self._handlers:
            self._handlers.append(handler)

    def remove_urc_handler(self, handler: UrcHandler) -> None:
        """Stop calling ``handler``; unknown handlers are ignored."""
        if handler in self._handlers:
            self._handlers.remove(handler)

    # -- commands -----------------------------------------------------------

    def command(
        self,
        command: str,
        timeout: Optional[float] = None,
        expect_prompt: bool = False,
        payload: Union[str, bytes, None] = None,
        *,
        data_length: Optional[DataLength] = None,
    ) -> list[str]:
        """Send one command line and return its information lines.

        :param command: e.g. ``AT+CSQ`` (the CR is added)
        :param timeout: seconds to wait for the final result (default: the channel's)
        :param expect_prompt: the command answers ``> `` first (``AT+CMGS``); then
            ``payload`` and Ctrl-Z are sent and the final result awaited
        :param payload: the text or PDU hex to send after the prompt
        :param data_length: for answers with binary data after a header line
            (Quectel ``+QIRD: <n><CR><LF><n bytes>``): called with each
            information line, it returns how many raw bytes follow that line's
            CR LF, or None; those bytes come back as the next "line" (latin-1
            text, CR/LF and all)
        :returns: the information lines (echo, URCs and the final code removed)
        :raises ATCommandError: ``ERROR``/``+CME ERROR``/``+CMS ERROR`` (typed by code)
        :raises ModemTimeoutError: no final result within ``timeout``
        :raises ModemUnpluggedError: the port went away (at once, never a hang)
        """
        if expect_prompt and payload is None:
            raise ConfigurationError("a prompt command needs a payload")
        if not command or any(c in command for c in "\r\n"):
            raise ConfigurationError(f"not a single command line: {command!r}")
        attempt = 0
        while True:
            try:
                return self._command_once(
                    command, timeout, expect_prompt, payload, data_length
                )
            except SIMBusyError:
                if attempt >= self.sim_busy_retries:
                    raise
                delay = self._sim_busy_backoff.delay(attempt)
                attempt += 1
                logger.debug("SIM busy on %s; retry %d in %.2f s", command, attempt, delay)
                time.sleep(delay)

    def _command_once(
        self,
        command: str,
        timeout: Optional[float],
        expect_prompt: bool,
        payload: Union[str, bytes, None],
        data_length: Optional[DataLength] = None,
    ) -> list[str]:
        wait = self.timeout if timeout is None else float(timeout)
        with self._command_lock:
            if self._port is None and self._dead is None:
                self.open()
            pending = _Pending(command, expect_prompt, data_length)
            with self._cond:
                self._raise_if_dead()
                self._pending = pending
            try:
                deadline = time.monotonic() + wait
                traffic_logger.debug("-> %s", command)
                self._write((command + "\r").encode("latin-1", "replace"))
                if expect_prompt:
                    self._wait(pending, deadline, wait, prompt=True)
                    if pending.final is None:
                        data = (
                            payload
                            if isinstance(payload, bytes)
                            else str(payload).encode("latin-1", "replace")
                        )
                        with self._cond:
                            pending.router.payload = data.decode("latin-1")
                        traffic_logger.debug("-> <payload, %d bytes> ^Z", len(data))
                        self._write(data + CTRL_Z.encode())
                if pending.final is None:
                    self._wait(pending, deadline, wait, prompt=False)
            finally:
                with self._cond:
                    self._pending = None
            final = pending.final
            assert final is not None
            if not final.success:
                raise error_for(command, final)
            return list(pending.lines)

    def _wait(self, pending: _Pending, deadline: float, wait: float, *, prompt: bool) -> None:
        with self._cond:
            while True:
                if pending.final is not None or (prompt and pending.prompt):
                    return
                self._raise_if_dead()
                left = deadline - time.monotonic()
                if left <= 0:
                    if prompt and pending.expect_prompt:
                        # abandon the text entry so the modem leaves prompt mode
                        try:
                            self._write(ESC.encode())
                        except SerialError:
                            pass
                    raise ModemTimeoutError(pending.router.command or "", pending.lines, wait)
                self._cond.wait(left)

    def _raise_if_dead(self) -> None:
        dead = self._dead
        if dead is not None:
            if isinstance(dead, ModemUnpluggedError):
                raise ModemUnpluggedError(str(dead))
            raise ModemUnpluggedError(f"{self.url}: {dead}") from dead

    def _write(self, data: bytes) -> None:
        port = self._port
        if port is None:
            raise ModemUnpluggedError(f"{self.url} is closed")
        try:
            port.write(data)
            flush = getattr(port, "flush", None)
            if flush is not None:
                flush()
        except Exception as exc:
            self._mark_dead(exc)
            raise ModemUnpluggedError(f"write to {self.url} failed: {exc}") from exc

    def _mark_dead(self, exc: BaseException) -> None:
        with self._cond:
            if self._dead is None:
                self._dead = ModemUnpluggedError(f"{self.url} went away: {exc}")
                logger.warning("%s went away: %s", self.url, exc)
            self._cond.notify_all()

    # -- reader thread --------------------------------------------------------

    def _read_loop(self) -> None:
        port = self._port
        assert port is not None
        while not self._stopping:
            try:
                data: Optional[bytes] = port.read(1)
                if data is None:  # some port objects signal EOF this way
                    raise EOFError("end of file")
                if data:
                    waiting = getattr(port, "in_waiting", 0)
                    if isinstance(waiting, int) and waiting > 0:
                        data += port.read(waiting)
            except Exception as exc:
                if not self._stopping:
                    self._mark_dead(exc)
                return
            if data:
                self.feed(data)

    def feed(self, data: bytes) -> None:
        """Route received bytes (the reader thread calls this; tests may too)."""
        text = data.decode("latin-1")
        with self._cond:
            self._buffer += text
            while True:
                if self._raw_left > 0:
                    if not self._take_raw():
                        break
                    continue
                cut = _find_terminator(self._buffer)
                if cut is None:
                    break
                if self._data_header(cut[0]):
                    continue
                if self._raw_left < 0:  # a header whose CR LF is not complete yet
                    self._raw_left = 0
                    break
                line, self._buffer = self._buffer[: cut[0]], self._buffer[cut[1] :]
                self._route(line)
            pending = self._pending
            if (
                pending is not None
                and pending.expect_prompt
                and not pending.prompt
                and self._buffer.lstrip("\r\n").startswith(">")
            ):
                traffic_logger.debug("<- > (prompt)")
                pending.prompt = True
                self._buffer = ""
                self._cond.notify_all()
            if len(self._buffer) > 65536:  # a line that never ends: drop it
                logger.warning("dropping %d bytes without a line end", len(self._buffer))
                self._buffer = ""

    def _data_header(self, end: int) -> bool:
        """Whether the line ending at ``end`` announces raw bytes (then it is consumed).

        Callers hold ``self._cond``. Only the header's own CR LF is taken: the
        payload may itself start with CR or LF. Sets ``_raw_left`` to -1 when
        the header's line end has not fully arrived.
        """
        pending = self._pending
        if pending is None or pending.data_length is None or pending.final is not None:
            return False
        head = self._buffer[:end].strip(" \r\n")
        if not head or pending.router.classify(head) is not LineKind.INFO:
            return False
        count = pending.data_length(head)
        if not count or count < 0:
            return False
        rest = self._buffer[end:]
        if rest.startswith("\r\n"):
            skip = 2
        elif rest.startswith("\n") or (rest.startswith("\r") and len(rest) > 1):
            skip = 1
        else:
            self._raw_left = -1
            return False
        self._buffer = rest[skip:]
        traffic_logger.debug("<- %s (then %d bytes)", head, count)
        pending.lines.append(head)
        self._raw_left = count
        self._raw_parts = []
        return True

    def _take_raw(self) -> bool:
        """Move announced raw bytes from the buffer to the pending command."""
        if not self._buffer:
            return False
        take = self._buffer[: self._raw_left]
        self._buffer = self._buffer[len(take) :]
        self._raw_left -= len(take)
        self._raw_parts.append(take)
        if self._raw_left == 0:
            data, self._raw_parts = "".join(self._raw_parts), []
            traffic_logger.debug("<- <%d bytes of data>", len(data))
            pending = self._pending
            if pending is not None:
                pending.lines.append(data)
        return True

    def _route(self, line: str) -> None:
        stripped = line.strip(" \r\n")
        if self._urc_body_for is not None:
            name, self._urc_body_for = self._urc_body_for, None
            if stripped:
                head = self._last_body_head
                self._urcs.put(make_urc(head, stripped))
                traffic_logger.debug("<- %s (body of %s)", stripped, name)
                return
        pending = self._pending
        if pending is not None and pending.final is not None:
            # the command is over (its thread has not yet picked the result up):
            # what follows is unsolicited, e.g. +QIOPEN: 0,0 right after OK
            pending = None
        router = pending.router if pending is not None else LineRouter(None)
        kind = router.classify(line)
        if kind is LineKind.EMPTY:
            return
        traffic_logger.debug("<- %s", mask_line(stripped, router.command))
        if kind is LineKind.ECHO or kind is LineKind.GARBAGE:
            if kind is LineKind.GARBAGE:
                logger.debug("ignoring garbage line %r", stripped[:80])
            return
        if kind is LineKind.URC:
            urc = make_urc(stripped)
            if urc.name in URCS_WITH_BODY:
                self._urc_body_for = urc.name
                self._last_body_head = stripped
                return
            self._urcs.put(urc)
            return
        assert pending is not None
        if kind is LineKind.PROMPT:
            if pending.expect_prompt:
                pending.prompt = True
                self._cond.notify_all()
            return
        if kind is LineKind.FINAL:
            pending.final = parse_final(stripped)
            self._cond.notify_all()
            return
        pending.lines.append(stripped)

    # -- dispatcher thread ------------------------------------------------------

    def _dispatch_loop(self) -> None:
        urcs = self._urcs
        while True:
            urc = urcs.get()
            if urc is None:
                return
            for handler in list(self._handlers):
                try:
                    handler(urc)
                except Exception:
                    logger.exception("URC handler %r raised on %s", handler, urc.name)


def _find_terminator(buffer: str) -> Optional[tuple[int, int]]:
    """(start, end) of the first run of CR/LF in ``buffer``, or None."""
    for index, char in enumerate(buffer):
        if char in "\r\n":
            end = index
            while end < len(buffer) and buffer[end] in "\r\n":
                end += 1
            return index, end
    return None
