"""pppd and chat, pure part: pppd's argument list, its output lines, and exit codes.

Nothing here starts a process or touches a file; :mod:`hologram_sdk.network.pppd`
runs pppd with what this module builds and feeds its output back in here.

Sources for the formats and codes: pppd(8) and chat(8) of ppp 2.4.9 (see
``modem-facts.md`` sections 8 and 9).

Why ~520 lines: pure tables and parsers of one program's interface (pppd's
options, its output lines, its exit codes), read together when pppd runs.
"""

from __future__ import annotations

import enum
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional, Union

from hologram_sdk.base.errors import (
    ConfigurationError,
    PermissionDeniedError,
    PPPConnectionError,
)

__all__ = [
    "CHAT_EXIT_CODES",
    "DEFAULT_ABORT_STRINGS",
    "DEFAULT_APN",
    "DEFAULT_BAUD_RATE",
    "DEFAULT_CHAT_PATH",
    "DEFAULT_PPPD_PATH",
    "PPPD_EXIT_CODES",
    "LineKind",
    "PPPLine",
    "PPPOptions",
    "PPPOutput",
    "build_connect_command",
    "build_pppd_args",
    "chat_exit_reason",
    "chat_reason_from_output",
    "parse_abort_strings",
    "parse_line",
    "pppd_exit_error",
    "validate_apn",
]

DEFAULT_PPPD_PATH = "/usr/sbin/pppd"
DEFAULT_CHAT_PATH = "/usr/sbin/chat"
DEFAULT_APN = "hologram"
DEFAULT_BAUD_RATE = 9600

#: ABORT strings of the shipped default chat script, in order (chat exit 4 + index).
DEFAULT_ABORT_STRINGS: tuple[str, ...] = (
    "BUSY",
    "NO CARRIER",
    "VOICE",
    "NO DIALTONE",
    "NO DIAL TONE",
    "NO ANSWER",
    "DELAYED",
)

#: pppd(8) "EXIT STATUS", in plain words.
PPPD_EXIT_CODES: dict[int, str] = {
    0: "the link was terminated by the peer",
    1: "pppd hit an immediately fatal error (a system call failed or memory ran out)",
    2: "pppd rejected its options (invalid option or a device path that does not exist)",
    3: "pppd needs root: it is not setuid-root and the caller is not root",
    4: "the kernel has no PPP support (/dev/ppp missing): load ppp_generic or use serial mode",
    5: "pppd was terminated by a signal (SIGINT, SIGTERM or SIGHUP)",
    6: "the serial port could not be locked: another program holds it",
    7: "the serial port could not be opened",
    8: "the connect script failed",
    9: "the pty command could not be run",
    10: "PPP negotiation failed: no network protocol came up",
    11: "the peer failed or refused to authenticate",
    12: "the link was idle for too long",
    13: "the connect-time limit was reached",
    14: "callback was negotiated; an incoming call is expected",
    15: "the peer stopped answering echo requests (link dead)",
    16: "the modem hung up",
    17: "the serial line loops back (loopback detected)",
    18: "the init script failed",
    19: "pppd failed to authenticate itself to the peer",
    20: "the traffic limit was reached",
    21: "the caller number (CNID) was not authorised",
}

#: chat(8) "EXIT STATUS" for the codes that do not depend on the ABORT list.
CHAT_EXIT_CODES: dict[int, str] = {
    0: "the chat script completed",
    1: "chat was given invalid parameters (or an expect string too large)",
    2: "chat had an I/O error or was terminated by a signal",
    3: "the modem did not give the expected answer in time (an ERROR or no answer)",
}

_APN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-_]{0,99}")


def validate_apn(apn: str) -> str:
    """Check an APN: 1-100 letters, digits, dots, dashes or underscores.

    :raises ConfigurationError: for anything else (it would be interpolated
        into an AT command and a shell command line).
    :returns: the APN unchanged
    """
    if not isinstance(apn, str) or not _APN_RE.fullmatch(apn):
        raise ConfigurationError(
            f"invalid APN {apn!r}: use 1-100 letters, digits, '.', '-' or '_'"
        )
    return apn


def _validate_baud(baud_rate: Union[int, str]) -> int:
    try:
        value = int(baud_rate)
    except (TypeError, ValueError):
        value = 0
    if value <= 0 or isinstance(baud_rate, bool):
        raise ConfigurationError(f"invalid baud rate {baud_rate!r}: use a positive integer")
    return value


def _validate_device(device: str) -> str:
    if not isinstance(device, str) or not device or any(c.isspace() for c in device):
        raise ConfigurationError(f"invalid device {device!r}: use a path such as /dev/ttyUSB0")
    return device


@dataclass(frozen=True)
class PPPOptions:
    """Everything that decides pppd's command line.

    :param device: the modem's data port (``/dev/ttyUSB0``, ``/dev/pts/3``)
    :param chat_script: path of the chat script run as pppd's connect script
    :param baud_rate: line speed (irrelevant for USB modems but required by pppd)
    :param apn: passed to chat with ``-T`` (the script's ``\\T``); ``None`` omits ``-T``
    :param chat_path: the chat binary
    :param chat_log_to_stderr: add chat's ``-s`` so its transcript reaches pppd's
        output, where the SDK reads chat's reason for a failed dial
    :param persist: let pppd redial by itself; off by default so that a failed
        attempt ends pppd with an exit code the SDK can report, and the SDK's own
        reconnect policy decides when to redial
    :param default_route: add a default route through the link
    :param use_peer_dns: ask the network for DNS servers
    :param lock: take the UUCP lock on the device
    :param extra: further pppd options, appended before ``nodetach``
    :param dryrun: append pppd's ``dryrun`` (print options and exit)
    """

    device: str
    chat_script: str
    baud_rate: Union[int, str] = DEFAULT_BAUD_RATE
    apn: Optional[str] = DEFAULT_APN
    chat_path: str = DEFAULT_CHAT_PATH
    chat_log_to_stderr: bool = True
    persist: bool = False
    default_route: bool = True
    use_peer_dns: bool = True
    lock: bool = True
    extra: tuple[str, ...] = field(default_factory=tuple)
    dryrun: bool = False


def build_connect_command(
    chat_script: str,
    *,
    apn: Optional[str] = DEFAULT_APN,
    chat_path: str = DEFAULT_CHAT_PATH,
    log_to_stderr: bool = True,
) -> str:
    """The string given to pppd's ``connect`` option (pppd runs it with ``/bin/sh -c``).

    Example: ``/usr/sbin/chat -v -s -T hologram -f /path/default-script``.
    Every word is shell-quoted, so paths with spaces work.

    :raises ConfigurationError: for an invalid APN or an empty script path
    """
    if not chat_script:
        raise ConfigurationError("no chat script given")
    words = [chat_path, "-v"]
    if log_to_stderr:
        words.append("-s")
    if apn is not None:
        words += ["-T", validate_apn(apn)]
    words += ["-f", chat_script]
    return " ".join(shlex.quote(w) for w in words)


def build_pppd_args(options: PPPOptions) -> list[str]:
    """pppd's argument list (without the program) for ``options``.

    The order is: ``connect <cmd>``, the device, the speed, then flags, with
    ``nodetach`` last (before ``dryrun``). ``noipdefault`` is always there (the
    network assigns the address) and ``noauth`` too (the modem does not
    authenticate itself; Debian's /etc/ppp/options says ``auth``).

    :raises ConfigurationError: for a bad device, speed, APN or extra option
    """
    device = _validate_device(options.device)
    baud = _validate_baud(options.baud_rate)
    connect = build_connect_command(
        options.chat_script,
        apn=options.apn,
        chat_path=options.chat_path,
        log_to_stderr=options.chat_log_to_stderr,
    )
    args = ["connect", connect, device, str(baud), "noipdefault"]
    if options.use_peer_dns:
        args.append("usepeerdns")
    if options.default_route:
        args.append("defaultroute")
    args.append("persist" if options.persist else "nopersist")
    args.append("lock" if options.lock else "nolock")
    args.append("noauth")
    for extra in options.extra:
        if not isinstance(extra, str) or not extra:
            raise ConfigurationError(f"invalid extra pppd option {extra!r}")
        if extra in ("nodetach", "dryrun", "updetach"):
            raise ConfigurationError(f"pppd option {extra!r} is managed by the SDK")
        args.append(extra)
    args.append("nodetach")
    if options.dryrun:
        args.append("dryrun")
    return args


# --- output lines ------------------------------------------------------------


class LineKind(str, enum.Enum):
    """What one line of pppd's (or chat's) output says."""

    CHAT_REPORT = "chat_report"  # chat:  Nov 26 11:48:18 CONNECT 7200000
    CHAT_FAILED = "chat_failed"  # Failed (NO CARRIER) / Failed
    CHAT_TIMEOUT = "chat_timeout"  # alarm
    CHAT_LOG = "chat_log"  # abort on (...), send (...), expect (...), -- got it
    SERIAL_CONNECTED = "serial_connected"
    INTERFACE = "interface"  # Using interface ppp0
    CONNECT = "connect"  # Connect: ppp0 <--> /dev/ttyUSB0
    REMOTE_DEFAULTED = "remote_defaulted"
    LOCAL_IP = "local_ip"
    REMOTE_IP = "remote_ip"
    PRIMARY_DNS = "primary_dns"
    SECONDARY_DNS = "secondary_dns"
    AUTH_OK = "auth_ok"
    CONNECT_SCRIPT_FAILED = "connect_script_failed"
    MODEM_HANGUP = "modem_hangup"
    CONNECTION_TERMINATED = "connection_terminated"
    TERMINATING_ON_SIGNAL = "terminating_on_signal"
    HANGUP_SIGNAL = "hangup_signal"
    LCP_TIMEOUT = "lcp_timeout"
    IPCP_TIMEOUT = "ipcp_timeout"
    ECHO_TIMEOUT = "echo_timeout"
    LINK_DISCONNECTED = "link_disconnected"
    DEVICE_LOCKED = "device_locked"
    OPEN_FAILED = "open_failed"
    NO_KERNEL_SUPPORT = "no_kernel_support"
    UNRECOGNIZED_OPTION = "unrecognized_option"
    CONNECT_TIME = "connect_time"
    TRAFFIC = "traffic"
    OTHER = "other"


@dataclass(frozen=True)
class PPPLine:
    """One classified output line.

    :param kind: what the line says
    :param value: the value it carries (an address, an interface, a reason) or ``None``
    :param text: the line as printed, without the line end
    """

    kind: LineKind
    value: Optional[str]
    text: str


_IPV4 = r"(\d{1,3}(?:\.\d{1,3}){3})"
# Patterns are tried in order; the first match wins.  Spacing follows pppd's
# format strings exactly ("local  IP address" has two spaces) but tolerates
# any run of blanks so a reformatted build still parses.
_PATTERNS: tuple[tuple[LineKind, re.Pattern[str]], ...] = (
    (LineKind.CHAT_REPORT, re.compile(r"^chat:\s+\w{3}\s+\d{1,2}\s+[\d:]{8}\s+(.*?)\s*$")),
    (LineKind.LOCAL_IP, re.compile(r"^local\s+IP address\s+" + _IPV4 + r"\s*$")),
    (LineKind.REMOTE_IP, re.compile(r"^remote\s+IP address\s+" + _IPV4 + r"\s*$")),
    (LineKind.PRIMARY_DNS, re.compile(r"^primary\s+DNS address\s+" + _IPV4 + r"\s*$")),
    (LineKind.SECONDARY_DNS, re.compile(r"^secondary\s+DNS address\s+" + _IPV4 + r"\s*$")),
    (
        LineKind.REMOTE_DEFAULTED,
        re.compile(r"^Could not determine remote IP address: defaulting to " + _IPV4),
    ),
    (LineKind.SERIAL_CONNECTED, re.compile(r"^Serial connection established\.?\s*$")),
    (LineKind.INTERFACE, re.compile(r"^Using interface\s+(\S+)\s*$")),
    (LineKind.CONNECT, re.compile(r"^Connect:\s+(\S+)\s+<-->\s+(?:\S+)\s*$")),
    (LineKind.AUTH_OK, re.compile(r"^((?:CHAP|PAP) authentication succeeded)")),
    (LineKind.CONNECT_SCRIPT_FAILED, re.compile(r"^Connect script failed")),
    (LineKind.MODEM_HANGUP, re.compile(r"^Modem hangup")),
    (LineKind.CONNECTION_TERMINATED, re.compile(r"^Connection terminated\.?\s*$")),
    (LineKind.TERMINATING_ON_SIGNAL, re.compile(r"^Terminating on signal (\d+)")),
    (LineKind.HANGUP_SIGNAL, re.compile(r"^Hangup \(SIGHUP\)")),
    (LineKind.LCP_TIMEOUT, re.compile(r"^LCP: timeout sending Config-Requests")),
    (LineKind.IPCP_TIMEOUT, re.compile(r"^IPCP: timeout sending Config-Requests")),
    (LineKind.ECHO_TIMEOUT, re.compile(r"^No response to (\d+) echo-requests")),
    (LineKind.LINK_DISCONNECTED, re.compile(r"^Serial link appears to be disconnected")),
    (LineKind.DEVICE_LOCKED, re.compile(r"^Device (\S+) is locked by pid (\d+)")),
    (LineKind.OPEN_FAILED, re.compile(r"^Failed to open (\S+?):\s*(.*)$")),
    (
        LineKind.NO_KERNEL_SUPPORT,
        re.compile(r"^(?:Couldn't open the /dev/ppp device: (.*)|.*load the ppp_generic.*)$"),
    ),
    (LineKind.UNRECOGNIZED_OPTION, re.compile(r"unrecognized option '(.*)'")),
    (LineKind.CONNECT_TIME, re.compile(r"^Connect time ([\d.]+) minutes")),
    (LineKind.TRAFFIC, re.compile(r"^(Sent \d+ bytes, received \d+ bytes)")),
    (LineKind.CHAT_FAILED, re.compile(r"^Failed(?: \((.*)\))?\s*$")),
    (LineKind.CHAT_TIMEOUT, re.compile(r"^alarm\s*$")),
    (
        LineKind.CHAT_LOG,
        re.compile(
            r"^(?:abort on \(|timeout set to |report \(|send \(|expect \(|"
            r" -- got it| -- failed|chat: )"
        ),
    ),
)

# The group that holds the value for kinds whose value is not group 1.
_VALUE_GROUP: dict[LineKind, int] = {LineKind.DEVICE_LOCKED: 1, LineKind.OPEN_FAILED: 2}


def parse_line(text: str) -> PPPLine:
    """Classify one line of pppd's output (chat's stderr arrives mixed in).

    Unknown lines come back as :attr:`LineKind.OTHER`; this never raises.
    """
    line = text.rstrip("\r\n")
    for kind, pattern in _PATTERNS:
        match = pattern.search(line)
        if match:
            group = _VALUE_GROUP.get(kind, 1)
            value = match.group(group) if match.re.groups >= group else None
            if kind is LineKind.CHAT_LOG:
                value = None
            return PPPLine(kind, value, line)
    return PPPLine(LineKind.OTHER, None, line)


@dataclass
class PPPOutput:
    """Accumulates pppd's output and what it says about the link.

    Feed it lines with :meth:`feed`; read the addresses, DNS servers, the
    interface, and why chat or the link failed.
    """

    lines: list[str] = field(default_factory=list)
    interface: Optional[str] = None
    local_ip: Optional[str] = None
    remote_ip: Optional[str] = None
    dns: list[str] = field(default_factory=list)
    connect_rate: Optional[str] = None
    serial_connected: bool = False
    connect_script_failed: bool = False
    modem_hangup: bool = False
    terminated: bool = False
    signal: Optional[int] = None
    chat_reason: Optional[str] = None
    chat_timed_out: bool = False

    def feed(self, text: str) -> PPPLine:
        """Record one line and return its classification."""
        parsed = parse_line(text)
        self.lines.append(parsed.text)
        kind, value = parsed.kind, parsed.value
        if kind is LineKind.LOCAL_IP:
            self.local_ip = value
        elif kind is LineKind.REMOTE_IP:
            self.remote_ip = value
        elif kind in (LineKind.PRIMARY_DNS, LineKind.SECONDARY_DNS) and value:
            self.dns.append(value)
        elif kind is LineKind.INTERFACE or (kind is LineKind.CONNECT and not self.interface):
            self.interface = value
        elif kind is LineKind.CHAT_REPORT:
            self.connect_rate = value
        elif kind is LineKind.SERIAL_CONNECTED:
            self.serial_connected = True
        elif kind is LineKind.CONNECT_SCRIPT_FAILED:
            self.connect_script_failed = True
        elif kind is LineKind.MODEM_HANGUP:
            self.modem_hangup = True
        elif kind is LineKind.CONNECTION_TERMINATED:
            self.terminated = True
        elif kind is LineKind.TERMINATING_ON_SIGNAL and value:
            self.signal = int(value)
        elif kind is LineKind.CHAT_TIMEOUT:
            self.chat_timed_out = True
        elif kind is LineKind.CHAT_FAILED:
            if value:
                self.chat_reason = f"the modem answered {value}"
            elif self.chat_timed_out:
                self.chat_reason = CHAT_EXIT_CODES[3]
        return parsed

    @property
    def is_up(self) -> bool:
        """Whether both addresses have been reported (IPCP is up)."""
        return self.local_ip is not None and self.remote_ip is not None

    @property
    def text(self) -> str:
        """All lines so far, newline-separated."""
        return "\n".join(self.lines)


# --- exit codes --------------------------------------------------------------


def parse_abort_strings(script_text: str) -> tuple[str, ...]:
    """The ABORT strings of a chat script, in order (chat exits 4 + their index).

    Handles the script syntax of chat(8): whitespace-separated words, ``'...'``
    or ``"..."`` quoting, and ``#`` comment lines. ``CLR_ABORT`` removes one.
    """
    words: list[str] = []
    for raw in script_text.splitlines():
        if raw.startswith("#"):
            continue
        words.extend(_split_chat_words(raw))
    aborts: list[str] = []
    i = 0
    while i < len(words) - 1:
        if words[i] == "ABORT":
            aborts.append(words[i + 1])
            i += 2
        elif words[i] == "CLR_ABORT":
            if words[i + 1] in aborts:
                aborts.remove(words[i + 1])
            i += 2
        else:
            i += 1
    return tuple(aborts)


def _split_chat_words(line: str) -> list[str]:
    words: list[str] = []
    i, n = 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
            continue
        if line[i] in "'\"":
            quote = line[i]
            end = line.find(quote, i + 1)
            end = n if end < 0 else end
            words.append(line[i + 1 : end])
            i = end + 1
        else:
            start = i
            while i < n and not line[i].isspace():
                i += 1
            words.append(line[start:i])
    return words


def chat_exit_reason(code: int, abort_strings: Sequence[str] = DEFAULT_ABORT_STRINGS) -> str:
    """Plain words for chat's exit ``code`` given the script's ABORT strings.

    ``4`` is the first ABORT string (``BUSY`` in the default script), ``5`` the
    second (``NO CARRIER``), and so on.
    """
    if code in CHAT_EXIT_CODES:
        return CHAT_EXIT_CODES[code]
    index = code - 4
    if 0 <= index < len(abort_strings):
        return f"the modem answered {abort_strings[index]}"
    if code < 0:
        return f"chat was killed by signal {-code}"
    return f"chat exited with unknown code {code}"


def chat_reason_from_output(output: PPPOutput) -> Optional[str]:
    """chat's reason for failing, as read from its ``-s`` transcript, if any."""
    return output.chat_reason


def pppd_exit_error(
    code: int,
    output: Union[PPPOutput, str] = "",
    *,
    chat_reason: Optional[str] = None,
) -> Union[PPPConnectionError, PermissionDeniedError]:
    """The typed error for pppd's exit ``code``, with a plain message.

    Every code maps to :class:`PPPConnectionError` (``.code`` is pppd's status)
    except 3, pppd's "not root", which is a :class:`PermissionDeniedError`.
    ``chat_reason`` (or the reason found in ``output``'s chat transcript) is
    appended for code 8. Codes 0 and 5 are returned too; whether they are
    failures is the caller's call (5 follows our own SIGTERM).
    """
    parsed = output if isinstance(output, PPPOutput) else None
    text = output.text if isinstance(output, PPPOutput) else output
    if code < 0:
        message = f"pppd was killed by signal {-code}"
    else:
        message = PPPD_EXIT_CODES.get(code, f"pppd exited with unknown code {code}")
    if code == 8:
        reason = chat_reason or (parsed.chat_reason if parsed else None)
        if reason:
            message = f"{message}: {reason}"
    elif code == 16:
        message = f"{message} (often the SIM is not registered or the data plan is inactive)"
    elif code == 2:
        bad = [p.value for p in map(parse_line, text.splitlines())
               if p.kind is LineKind.UNRECOGNIZED_OPTION]
        if bad:
            message = f"{message}: unrecognized option {bad[0]!r}"
    if code == 3:
        return PermissionDeniedError(f"{message}; run as root (sudo) or use serial mode")
    return PPPConnectionError(code, f"pppd exit {code}: {message}", text)

