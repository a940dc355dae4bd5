"""A 27.007 / 27.005 AT modem emulator (E303, MS2131, iota) on a real pty or in process.

Three ways to talk to it:

* ``start()`` opens a real pseudo-terminal in raw mode and serves it from one
  thread (selectors, no busy loop); ``.device`` is the slave path
  (``/dev/pts/N``) for pyserial, ``chat`` or any AT client.
* ``open_port()`` (or :func:`open_sim_port` for ``sim://e303`` URLs) returns a
  :class:`SimPort`: a pyserial-like object (``read``/``write``/``timeout``/
  ``in_waiting``/``close``) joined to the emulator by a socketpair, served by
  the same kind of thread. Nothing global in pyserial is touched.
* ``feed(data) -> bytes`` runs the state machine in the caller's thread with no
  thread, pty or pipe: it returns everything the modem says in reply at once
  (the ``delay`` fault is ignored there). ``feed(b"")`` collects URCs raised
  since the last call.

Everything the tests steer is on the instance: ``set()``, ``deliver_sms()``,
``sent_sms``, ``hang_up()``, ``unplug()``, ``faults`` and ``log``.

``unplug()`` on a pty closes the master and the emulator's own slave fd: the
``/dev/pts/N`` node disappears, a client's ``read`` returns EOF (pyserial's
``read`` raises ``SerialException``, its ``in_waiting`` a bare ``OSError`` EIO)
and ``write`` fails with EIO (pyserial: ``SerialException``). On a :class:`SimPort`
the socketpair is closed: ``read`` and ``write`` raise ``SerialException``.
In ``feed`` mode ``feed`` raises :class:`~hologram_sdk.errors.ModemUnpluggedError`.
"""

from __future__ import annotations

import collections
import datetime as _dt
import errno
import fcntl
import logging
import os
import re
import select
import selectors
import socket
import struct
import termios
import threading
import time
import tty
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

import serial

from hologram_sdk.digits import is_digits
from hologram_sdk.errors import (
    ConfigurationError,
    MessageTooLongError,
    ModemUnpluggedError,
)
from hologram_sdk.modem import pdu

__all__ = [
    "DIAL_RESULTS",
    "PROFILES",
    "REGISTRATION_STATES",
    "SIM_STATES",
    "Faults",
    "ModemEmulator",
    "Profile",
    "SentSms",
    "SimPort",
    "open_sim_port",
]

logger = logging.getLogger(__name__)

CR, LF, BS, DEL, CTRL_Z, ESC = 0x0D, 0x0A, 0x08, 0x7F, 0x1A, 0x1B


# --- the per-profile facts ------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """What differs between the emulated modems. ``{imei}`` in ``ati`` is filled in."""

    name: str
    manufacturer: str
    model: str
    revision: str
    #: lines of the ATI answer
    ati: tuple[str, ...]
    #: the CONNECT line answering a packet-data dial
    connect: str
    #: command families beyond 27.007/27.005: "huawei" (^ICCID, ^RSSI/^MODE URCs,
    #: ^CURC, ^SYSINFO), "ublox" (+USO* sockets, +UPSD*, +UDCONF, ATI9)
    families: frozenset[str]
    #: index of the first SMS storage slot
    first_sms_index: int
    #: +CCID pads a 19-digit ICCID with a trailing F
    ccid_pad: bool
    #: USB vendor:product in modem mode
    usb_id: str
    #: access technology reported by +CREG/+COPS (2 = UTRAN)
    act: int = 2
    #: ATI9 answer (u-blox)
    ati9: str = ""


PROFILES: dict[str, Profile] = {
    "e303": Profile(
        name="e303",
        manufacturer="huawei",
        model="E303",
        revision="21.157.01.01.18",
        ati=(
            "Manufacturer: huawei",
            "Model: E303",
            "Revision: 21.157.01.01.18",
            "IMEI: {imei}",
            "+GCAP: +CGSM,+DS,+ES",
        ),
        connect="CONNECT 7200000",
        families=frozenset({"huawei"}),
        first_sms_index=0,
        ccid_pad=True,
        usb_id="12d1:1001",
    ),
    "ms2131": Profile(
        name="ms2131",
        manufacturer="huawei",
        model="MS2131",
        revision="21.318.01.00.00",
        ati=(
            "Manufacturer: huawei",
            "Model: MS2131",
            "Revision: 21.318.01.00.00",
            "IMEI: {imei}",
            "+GCAP: +CGSM,+DS,+ES",
        ),
        connect="CONNECT 21600000",
        families=frozenset({"huawei"}),
        first_sms_index=0,
        ccid_pad=True,
        usb_id="12d1:1506",
    ),
    "iota": Profile(
        name="iota",
        manufacturer="u-blox",
        model="SARA-U201",
        revision="23.60",
        ati=("SARA-U201-03B-00",),
        connect="CONNECT",
        families=frozenset({"ublox"}),
        first_sms_index=1,
        ccid_pad=False,
        usb_id="1546:1102",
        ati9="23.60,A01.01",
    ),
}

#: registration names accepted by ``set(registration=...)`` -> 27.007 <stat>
REGISTRATION_STATES: dict[str, int] = {
    "none": 0,
    "not registered": 0,
    "home": 1,
    "searching": 2,
    "denied": 3,
    "unknown": 4,
    "roaming": 5,
}

#: SIM states -> the CME error a SIM-dependent command gets (None = works)
SIM_STATES: dict[str, Optional[int]] = {
    "ready": None,
    "absent": 10,
    "pin": 11,
    "puk": 12,
    "failure": 13,
    "busy": 14,
}
_SIM_CMS = {10: 310, 11: 311, 12: 316, 13: 313, 14: 314}
_CPIN_TEXT = {"ready": "READY", "pin": "SIM PIN", "puk": "SIM PUK"}

#: what the ``dial_result`` fault may be
DIAL_RESULTS = frozenset({"CONNECT", "BUSY", "NO CARRIER", "ERROR", "NO ANSWER", "NO DIALTONE"})

_CME_TEXT = {
    0: "phone failure",
    3: "operation not allowed",
    4: "operation not supported",
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    13: "SIM failure",
    14: "SIM busy",
    16: "incorrect password",
    21: "invalid index",
    30: "no network service",
    50: "incorrect parameters",
    100: "unknown",
}

_NUMERIC = {
    "OK": "0",
    "CONNECT": "1",
    "RING": "2",
    "NO CARRIER": "3",
    "ERROR": "4",
    "NO DIALTONE": "6",
    "BUSY": "7",
    "NO ANSWER": "8",
}

_SMS_STAT = ("REC UNREAD", "REC READ", "STO UNSENT", "STO SENT", "ALL")
_SMS_CAPACITY = 23
_MEMORIES = ("ME", "SM", "MT")
_LOOPBACK = ("127.0.0.1", "::1")
_MAX_SOCKETS = 7

DEFAULT_IMEI = "351234567890124"
DEFAULT_ICCID = "8910010123456789015"
DEFAULT_IMSI = "001010123456789"


# --- values the tests read ------------------------------------------------------


@dataclass
class Faults:
    """Fault switches; change them at any time (``emu.faults.delay = 0.5``)."""

    #: seconds between the echo of a command and its answer (pty and port modes)
    delay: float = 0.0
    #: lines sent (framed like URCs) before every answer
    garbage: list[str] = field(default_factory=list)
    #: result of a packet-data dial: one of :data:`DIAL_RESULTS`
    dial_result: str = "CONNECT"
    #: answer every SMS send with ``+CMS ERROR: <n>``
    sms_error: Optional[int] = None
    #: swallow everything: no echo, no answer (a hung modem)
    mute: bool = False
    #: unplug when a command line starting with this arrives (e.g. ``"AT+CSQ"``)
    unplug_on: Optional[str] = None


@dataclass(frozen=True)
class SentSms:
    """One message the modem was asked to send (AT+CMGS)."""

    number: str
    text: str
    #: "text" or "pdu": the AT+CMGF mode used
    mode: str
    #: the message reference the modem answered with
    reference: int
    encoding: pdu.Encoding
    #: the hex PDU as the client sent it (PDU mode only)
    pdu: Optional[str] = None


@dataclass
class _Stored:
    stat: int
    sender: str
    text: str
    timestamp: _dt.datetime
    smsc: str
    encoded: pdu.EncodedPdu
    encoding: pdu.Encoding


@dataclass
class _USocket:
    sid: int
    proto: int
    sock: Optional[socket.socket] = None
    listening: bool = False
    local_port: int = 0
    rx: bytearray = field(default_factory=bytearray)
    remote_closed: bool = False
    close_reported: bool = False
    sent: int = 0
    received: int = 0
    last_error: int = 0
    peer: tuple[str, int] = ("", 0)


class _Fail(Exception):
    """A command failed: kind is "error", "cme" or "cms"."""

    def __init__(self, kind: str, code: int = 0) -> None:
        super().__init__(kind, code)
        self.kind = kind
        self.code = code


class _Final(Exception):
    """A command ends the line with this result (CONNECT, NO CARRIER, BUSY...)."""

    def __init__(self, result: str) -> None:
        super().__init__(result)
        self.result = result


class _Prompt(Exception):
    """A command asks for more input: send this prompt and give no final result."""

    def __init__(self, prompt: bytes) -> None:
        super().__init__(prompt)
        self.prompt = prompt


_Handler = Callable[["ModemEmulator", str, list[str]], list[str]]


def _split_args(text: str) -> list[str]:
    """Split on commas outside double quotes; strip spaces and the quotes."""
    args: list[str] = []
    cur: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            args.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    args.append("".join(cur).strip())
    return [a[1:-1] if len(a) >= 2 and a[0] == a[-1] == '"' else a for a in args]


def _int(value: str, lo: int, hi: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise _Fail("error") from None
    if not lo <= number <= hi:
        raise _Fail("error")
    return number


def _syntax(ok: bool) -> None:
    if not ok:
        raise _Fail("error")


#: radios a :class:`ModemEmulator` can register on (its ``rat``)
RATS = ("utran", "lte")
#: registration commands and the attribute holding each one's ``<n>`` setting
_REG_SETTINGS = {"+CREG": "_creg_n", "+CGREG": "_cgreg_n", "+CEREG": "_cereg_n"}


# --- the emulator -----------------------------------------------------------------


class ModemEmulator:
    """An emulated USB cellular modem speaking AT commands.

    :param profile: "e303", "ms2131" or "iota" (see :data:`PROFILES`)
    :param imei: 15 digits
    :param iccid: 19 or 20 digits
    :param imsi: up to 15 digits
    :param sim: "ready", "absent", "pin", "puk", "failure" or "busy"
    :param pin: the PIN that ``AT+CPIN="<pin>"`` accepts
    :param puk: the PUK that ``AT+CPIN="<puk>","<new pin>"`` accepts
    :param rssi: +CSQ rssi, 0-31 or 99
    :param ber: +CSQ ber, 0-7 or 99
    :param registration: a key of :data:`REGISTRATION_STATES` or a <stat> number
    :param rat: the radio the modem registers on: ``"utran"`` (3G, as the
        profiles' modems: +CREG/+CGREG carry ``registration``, ``AT+CEREG``
        is unknown) or ``"lte"`` (an LTE Cat-M modem such as the Nova R410:
        +CEREG carries it, +CREG/+CGREG stay 0, access technology 7)
    :param operator: long operator name for +COPS
    :param operator_numeric: MCC+MNC for +COPS with format 2
    :param smsc: the SMSC number (+CSCA)
    :param hosts: host names +USOCO may use, mapped to 127.0.0.1 or ::1
    :param faults: initial fault switches
    :param escape_guard: guard time in seconds around ``+++``
    :raises ConfigurationError: an unknown profile or an invalid value
    """

    def __init__(
        self,
        profile: str = "e303",
        *,
        imei: str = DEFAULT_IMEI,
        iccid: str = DEFAULT_ICCID,
        imsi: str = DEFAULT_IMSI,
        sim: str = "ready",
        pin: str = "1234",
        puk: str = "12345678",
        rssi: int = 20,
        ber: int = 99,
        registration: Union[str, int] = "home",
        rat: str = "utran",
        operator: str = "Test Network",
        operator_numeric: str = "00101",
        smsc: str = "+15555550000",
        hosts: Optional[Mapping[str, str]] = None,
        faults: Optional[Faults] = None,
        escape_guard: float = 1.0,
    ) -> None:
        if profile not in PROFILES:
            raise ConfigurationError(
                f"unknown modem profile {profile!r}; valid: {', '.join(sorted(PROFILES))}"
            )
        self.profile = PROFILES[profile]
        if rat not in RATS:
            raise ConfigurationError(f"rat must be one of {', '.join(RATS)}, not {rat!r}")
        #: "utran" or "lte" (which registration commands carry the state)
        self.rat = rat
        for name, value, lengths in (
            ("imei", imei, (15,)),
            ("iccid", iccid, (19, 20)),
            ("imsi", imsi, tuple(range(6, 16))),
        ):
            if not (is_digits(value) and len(value) in lengths):
                raise ConfigurationError(f"{name} must be {'/'.join(map(str, lengths))} digits")
        if not (is_digits(pin) and 4 <= len(pin) <= 8):
            raise ConfigurationError("pin must be 4 to 8 digits")
        if escape_guard < 0:
            raise ConfigurationError("escape_guard must be >= 0")
        for name, ip in (hosts or {}).items():
            if ip not in _LOOPBACK:
                raise ConfigurationError(f"hosts[{name!r}] must be 127.0.0.1 or ::1, not {ip!r}")
        self.imei, self.iccid, self.imsi = imei, iccid, imsi
        self.pin, self.puk = pin, puk
        self.hosts: dict[str, str] = {"localhost": "127.0.0.1", **dict(hosts or {})}
        self.faults = faults if faults is not None else Faults()
        self.escape_guard = float(escape_guard)

        self._lock = threading.RLock()
        self._cfun = 1
        self._curc = True
        self._sim = "ready"
        self._rssi, self._ber = 20, 99
        self._registration = 1
        self.operator, self.operator_numeric = operator, operator_numeric
        self._apply(sim=sim, rssi=rssi, ber=ber, registration=registration, urcs=False)
        self.smsc = smsc
        self._pin_attempts = 3

        # command-line and data state
        self._mode = "command"  # command | sms | binary | data
        self._call_up = False
        self._line = bytearray()
        self._prev_cr = False
        self._last_line = ""
        self._pending_urcs: list[str] = []
        self._after: list[str] = []
        self._executing = False
        self.data_received = bytearray()
        self._esc_count = 0
        self._esc_deadline: Optional[float] = None
        self._last_data_rx = 0.0
        self._entry = bytearray()
        self._entry_ctx: dict[str, Any] = {}

        # settings restored by ATZ, and the rest
        self._reset_settings()
        self._creg_n = 0
        self._cgreg_n = 0
        self._cereg_n = 0
        self._cops_format = 0
        self._cops_mode = 0
        self._cmgf = 0
        self._cscs = "IRA"
        self._cpms = ["ME", "ME", "ME"]
        self._cnmi = [0, 0, 0, 0, 0]
        self._csmp = [17, 167, 0, 0]
        self._csdh = 0
        self._mr = 0
        self._store: dict[int, _Stored] = {}
        self._contexts: dict[int, tuple[str, str]] = {1: ("IP", "hologram")}
        self._sregs: dict[int, int] = {0: 0, 2: 43, 3: 13, 4: 10, 5: 8, 7: 50, 12: 50}
        self._udconf_hex = 0
        self._psd: dict[int, str] = {}
        self._psd_active = False
        self._socks: dict[int, _USocket] = {}
        self._usoer = 0
        self._sent: list[SentSms] = []
        self._log: list[str] = []

        # transport
        self._sel = selectors.DefaultSelector()
        self._outq: collections.deque[tuple[float, bytes]] = collections.deque()
        self._last_due = 0.0
        self._link_fd: Optional[int] = None
        self._link_is_socket = False
        self._link_sock: Optional[socket.socket] = None
        self._write_blocked = False
        self._slave_fd: Optional[int] = None
        self._device: Optional[str] = None
        self._thread: Optional[threading.Thread] = None
        self._wake_r: Optional[int] = None
        self._wake_w: Optional[int] = None
        self._stopping = False
        self._closed = False
        self._unplugged = False
        self._unplug_done = threading.Event()

    # --- public read-only views -------------------------------------------------

    @property
    def device(self) -> Optional[str]:
        """The pty slave path (``/dev/pts/N``) once ``start()`` ran, else None."""
        return self._device

    @property
    def sent_sms(self) -> list[SentSms]:
        """Every message the modem was asked to send, oldest first (a copy)."""
        with self._lock:
            return list(self._sent)

    @property
    def log(self) -> list[str]:
        """Every command line received (without its CR), oldest first (a copy)."""
        with self._lock:
            return list(self._log)

    @property
    def sim(self) -> str:
        """The SIM state: a key of :data:`SIM_STATES`."""
        return self._sim

    @property
    def rssi(self) -> int:
        """The +CSQ rssi the modem reports while the radio is on."""
        return self._rssi

    @property
    def registration(self) -> int:
        """The registration <stat> configured (reported while SIM and radio are up)."""
        return self._registration

    @property
    def in_data_mode(self) -> bool:
        """True while a data call is up and the port carries data (after CONNECT)."""
        with self._lock:
            return self._mode == "data"

    @property
    def stored_sms(self) -> dict[int, tuple[str, str, str]]:
        """The message store: index -> (stat text, sender, text)."""
        with self._lock:
            return {i: (_SMS_STAT[m.stat], m.sender, m.text) for i, m in self._store.items()}

    def socket_local_port(self, sid: int) -> int:
        """The real local TCP port behind u-blox socket ``sid`` (for +USOLI port 0).

        :raises ConfigurationError: no such socket
        """
        with self._lock:
            usock = self._socks.get(sid)
            if usock is None:
                raise ConfigurationError(f"no u-blox socket {sid}")
            if usock.sock is not None:
                return int(usock.sock.getsockname()[1])
            return usock.local_port

    # --- control from tests --------------------------------------------------------

    def set(
        self,
        *,
        sim: Optional[str] = None,
        rssi: Optional[int] = None,
        ber: Optional[int] = None,
        registration: Union[str, int, None] = None,
        operator: Optional[str] = None,
        operator_numeric: Optional[str] = None,
    ) -> None:
        """Change the radio/SIM situation; raises the URCs a modem would
        (+CREG/+CGREG when enabled, ^RSSI and ^MODE on Huawei profiles).

        :raises ConfigurationError: an invalid value
        """
        with self._lock:
            if operator is not None:
                self.operator = operator
            if operator_numeric is not None:
                self.operator_numeric = operator_numeric
            self._apply(sim=sim, rssi=rssi, ber=ber, registration=registration, urcs=True)
        self._wake()

    def deliver_sms(
        self,
        sender: str,
        text: str,
        *,
        timestamp: Optional[_dt.datetime] = None,
        smsc: Optional[str] = None,
    ) -> int:
        """An SMS arrives from the network: store it as REC UNREAD and raise
        ``+CMTI`` when AT+CNMI's <mt> is 1 (``+CMT`` with the message when 2).

        :param timestamp: the SCTS; now (UTC, whole seconds) by default
        :returns: the storage index, or -1 when <mt>=2 routed it directly
        :raises MessageTooLongError: the text does not fit one SMS
        :raises ConfigurationError: the store is full or the sender is not usable
        """
        when = timestamp or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
        centre = smsc or self.smsc
        encoded = pdu.encode_deliver(sender, text, when, smsc=centre)
        encoding = pdu.choose_encoding(text)
        with self._lock:
            message = _Stored(0, sender, text, when, centre, encoded, encoding)
            if self._cnmi[1] == 2:
                if self._cmgf:
                    header = f'+CMT: "{self._te(sender)}",,"{pdu.format_scts(when)}"'
                    self._urc(header + "\r\n" + self._te(text))
                else:
                    self._urc(f"+CMT: ,{encoded.tpdu_length}\r\n{encoded.hex}")
                self._wake()
                return -1
            first = self.profile.first_sms_index
            free = [i for i in range(first, first + _SMS_CAPACITY) if i not in self._store]
            if not free:
                raise ConfigurationError("the emulated modem's message store is full")
            index = free[0]
            self._store[index] = message
            if self._cnmi[1] == 1:
                self._urc(f'+CMTI: "{self._cpms[2]}",{index}')
        self._wake()
        return index

    def hang_up(self) -> bool:
        """The network ends the data call: ``NO CARRIER`` and back to command state.

        :returns: whether a call was up
        """
        with self._lock:
            if not self._call_up:
                return False
            self._call_up = False
            self._mode = "command"
            self._esc_deadline = None
            self._send(self._final_bytes("NO CARRIER"))
            self._flush_urcs()
        self._wake()
        return True

    def unplug(self) -> None:
        """The modem vanishes (see the module docstring for what a client sees).

        Idempotent. The emulator still needs ``close()``.
        """
        with self._lock:
            if self._unplugged:
                return
            self._unplugged = True
            threaded = self._thread is not None and self._thread.is_alive()
            if not threaded:
                self._drop_link()
        if threaded and self._thread is not threading.current_thread():
            self._wake()
            self._unplug_done.wait(5.0)

    # --- running modes ---------------------------------------------------------

    def start(self) -> str:
        """Open a raw pseudo-terminal and serve it from a thread.

        :returns: the slave path, also in ``.device``
        :raises ConfigurationError: already started or closed
        """
        with self._lock:
            self._check_startable()
            master, slave = os.openpty()
            try:
                tty.setraw(slave, termios.TCSANOW)
                os.set_blocking(master, False)
                self._device = os.ttyname(slave)
            except OSError:
                os.close(master)
                os.close(slave)
                raise
            self._slave_fd = slave
            self._start_thread(master, is_socket=False)
        logger.debug("modem emulator %s on %s", self.profile.name, self._device)
        return self._device

    def open_port(
        self, *, timeout: Optional[float] = None, write_timeout: Optional[float] = None
    ) -> SimPort:
        """Serve the emulator in process and return a pyserial-like port for it.

        Closing the port does not close the emulator.

        :raises ConfigurationError: already started or closed
        """
        with self._lock:
            self._check_startable()
            ours, theirs = socket.socketpair()
            ours.setblocking(False)
            self._link_sock = ours
            self._start_thread(ours.fileno(), is_socket=True)
        return SimPort(self, theirs, timeout=timeout, write_timeout=write_timeout)

    def feed(self, data: bytes) -> bytes:
        """In-process mode: hand the modem bytes, get back everything it answers.

        :raises ModemUnpluggedError: after ``unplug()``
        :raises ConfigurationError: the emulator is serving a pty or port
        """
        with self._lock:
            if self._thread is not None or self._closed:
                raise ConfigurationError("feed() is only for an emulator not started or closed")
            if self._unplugged:
                raise ModemUnpluggedError(errno.EIO, "the emulated modem was unplugged")
            for key, _mask in self._sel.select(0):
                self._dispatch(key.data, selectors.EVENT_READ)
            self._receive(bytes(data))
            self._tick()
            out = b"".join(chunk for _due, chunk in self._outq)
            self._outq.clear()
            return out

    def close(self) -> None:
        """Stop the thread and close the pty, the port link and every bridged socket.

        Idempotent.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stopping = True
            thread = self._thread
        self._wake()
        if thread is not None and thread is not threading.current_thread():
            thread.join(10.0)
        with self._lock:
            self._drop_link()
            self._close_sockets()
            for fd in (self._wake_r, self._wake_w):
                if fd is not None:
                    os.close(fd)
            self._wake_r = self._wake_w = None
            self._sel.close()

    def __enter__(self) -> ModemEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self._device or ("in-process" if self._thread else "feed")
        return f"<ModemEmulator {self.profile.name} {where}>"

    # --- transport internals --------------------------------------------------------

    def _check_startable(self) -> None:
        if self._closed:
            raise ConfigurationError("this modem emulator is closed")
        if self._thread is not None:
            raise ConfigurationError("this modem emulator is already serving a link")

    def _start_thread(self, link_fd: int, *, is_socket: bool) -> None:
        self._link_fd = link_fd
        self._link_is_socket = is_socket
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, ("wake", -1))
        self._sel.register(link_fd, selectors.EVENT_READ, ("link", -1))
        self._thread = threading.Thread(
            target=self._serve, name=f"modem-emulator-{self.profile.name}", daemon=True
        )
        self._thread.start()

    def _wake(self) -> None:
        fd = self._wake_w
        if fd is not None:
            try:
                os.write(fd, b"x")
            except OSError:  # full (already awake) or closed
                pass

    def _serve(self) -> None:
        try:
            while True:
                with self._lock:
                    if self._stopping:
                        return
                    if self._unplugged:
                        self._drop_link()
                        self._close_sockets()
                        self._unplug_done.set()
                        return
                    timeout = self._next_timeout()
                events = self._sel.select(timeout)
                with self._lock:
                    for key, mask in events:
                        self._dispatch(key.data, mask)
                    self._tick()
                    self._flush()
        except Exception:  # pragma: no cover - a bug; keep the traceback visible
            logger.exception("modem emulator thread failed")
        finally:
            self._unplug_done.set()

    def _next_timeout(self) -> Optional[float]:
        now = time.monotonic()
        deadlines = []
        if self._outq and not self._write_blocked:
            deadlines.append(self._outq[0][0])
        if self._esc_deadline is not None:
            deadlines.append(self._esc_deadline)
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - now)

    def _dispatch(self, data: tuple[str, int], mask: int) -> None:
        kind, sid = data
        if kind == "wake":
            assert self._wake_r is not None
            try:
                while os.read(self._wake_r, 512):
                    pass
            except BlockingIOError:
                pass
        elif kind == "link":
            if mask & selectors.EVENT_WRITE:
                self._write_blocked = False
                assert self._link_fd is not None
                self._sel.modify(self._link_fd, selectors.EVENT_READ, ("link", -1))
            if mask & selectors.EVENT_READ:
                self._read_link()
        elif kind == "listen":
            self._accept(sid)
        elif kind == "sock":
            self._socket_readable(sid)

    def _read_link(self) -> None:
        assert self._link_fd is not None
        try:
            data = os.read(self._link_fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the port's other end is gone: stop listening to it
            self._sel.unregister(self._link_fd)
            self._drop_link()
            return
        self._receive(data)

    def _flush(self) -> None:
        fd = self._link_fd
        if fd is None:
            self._outq.clear()
            return
        now = time.monotonic()
        while self._outq and self._outq[0][0] <= now:
            due, chunk = self._outq.popleft()
            try:
                n = os.write(fd, chunk)
            except BlockingIOError:
                n = 0
            except OSError:
                self._outq.clear()
                return
            if n < len(chunk):
                self._outq.appendleft((due, chunk[n:]))
                self._write_blocked = True
                self._sel.modify(
                    fd, selectors.EVENT_READ | selectors.EVENT_WRITE, ("link", -1)
                )
                return

    def _drop_link(self) -> None:
        fd = self._link_fd
        if fd is not None:
            try:
                self._sel.unregister(fd)
            except (KeyError, ValueError):
                pass
            if self._link_sock is not None:
                self._link_sock.close()
                self._link_sock = None
            else:
                os.close(fd)
            self._link_fd = None
        if self._slave_fd is not None:
            os.close(self._slave_fd)
            self._slave_fd = None

    def _send(self, data: bytes, delay: float = 0.0) -> None:
        if not data:
            return
        due = max(time.monotonic() + delay, self._last_due)
        self._last_due = due
        self._outq.append((due, data))

    # --- framing ------------------------------------------------------------------

    def _reset_settings(self) -> None:
        self._echo = True
        self._verbose = True
        self._quiet = False
        self._x = 4
        self._cmee = 0

    def _info_bytes(self, lines: list[str]) -> bytes:
        body = "".join(line + "\r\n" for line in lines)
        text = ("\r\n" + body) if self._verbose else body
        return text.encode("latin-1", errors="replace")

    def _final_bytes(self, result: str) -> bytes:
        if self._verbose:
            return f"\r\n{result}\r\n".encode("latin-1")
        code = _NUMERIC.get(result.split(" ")[0] if result.startswith("CONNECT") else result)
        if code is not None:
            return f"{code}\r".encode("latin-1")
        return f"{result}\r\n".encode("latin-1")

    def _error_text(self, failure: _Fail) -> str:
        if failure.kind == "cms":
            return f"+CMS ERROR: {failure.code}"
        if failure.kind == "cme" and self._cmee == 1:
            return f"+CME ERROR: {failure.code}"
        if failure.kind == "cme" and self._cmee == 2:
            return f"+CME ERROR: {_CME_TEXT.get(failure.code, 'unknown')}"
        return "ERROR"

    def _urc(self, text: str) -> None:
        if self._executing:  # raised by the command being run: after its answer
            self._after.append(text)
            return
        if self._mode != "command":
            self._pending_urcs.append(text)
            return
        self._send(self._info_bytes([text]))

    def _flush_urcs(self) -> None:
        pending, self._pending_urcs = self._pending_urcs, []
        for text in pending:
            self._urc(text)

    def _te(self, text: str) -> str:
        """A string in the TE character set chosen by AT+CSCS."""
        return pdu.encode_ucs2_hex(text) if self._cscs == "UCS2" else text

    # --- input --------------------------------------------------------------------

    def _receive(self, data: bytes) -> None:
        now = time.monotonic()
        for byte in data:
            if self._unplugged:
                return
            if self._mode == "data":
                self._data_byte(byte, now)
            elif self._mode == "sms":
                self._sms_byte(byte)
            elif self._mode == "binary":
                self._binary_byte(byte)
            else:
                self._command_byte(byte)

    def _command_byte(self, byte: int) -> None:
        if self.faults.mute:
            return
        after_cr, self._prev_cr = self._prev_cr, byte == CR
        if byte == LF:
            if not after_cr and self._echo:
                self._send(b"\n")
            return
        if self._echo:
            self._send(bytes([byte]))
        if byte == CR:
            line = bytes(self._line)
            self._line.clear()
            self._execute_line(line.decode("latin-1"))
        elif byte in (BS, DEL):
            if self._line:
                self._line.pop()
        elif len(self._line) < 2048:
            self._line.append(byte)
            if self._line.upper() == b"A/":
                self._line.clear()
                if self._last_line:
                    self._execute_line(self._last_line)

    def _execute_line(self, raw: str) -> None:
        text = raw.strip()
        start = text.upper().find("AT")
        if start < 0:
            return  # a modem waits for "AT"; anything else is ignored
        text = text[start:]
        self._log.append(text)
        logger.debug("emulator got %r", "AT+CPIN=<hidden>" if "CPIN=" in text.upper() else text)
        unplug_on = self.faults.unplug_on
        if unplug_on and text.upper().startswith(unplug_on.upper()):
            self.unplug()
            return
        self._last_line = text
        blocks: list[list[str]] = []
        final: Optional[str] = "OK"
        prompt: Optional[bytes] = None
        self._after = []
        self._executing = True
        try:
            for name, op, args in self._parse(text[2:]):
                blocks.append(self._run(name, op, args))
        except _Fail as failure:
            final = self._error_text(failure)
        except _Final as result:
            final = result.result
        except _Prompt as asked:
            final, prompt = None, asked.prompt
        finally:
            self._executing = False
        out = bytearray()
        if prompt is None:
            for line in self.faults.garbage:
                out += f"\r\n{line}\r\n".encode("latin-1", errors="replace")
        for block in blocks:
            if block:
                out += self._info_bytes(block)
        if prompt is not None:
            out += prompt
        elif not self._quiet and final is not None:
            out += self._final_bytes(final)
        if self._mode == "command":
            for urc in self._after:
                out += self._info_bytes([urc])
        else:  # a prompt or data mode: hold them
            self._pending_urcs.extend(self._after)
        self._after = []
        self._send(bytes(out), delay=self.faults.delay)
        if self._mode == "command":
            self._flush_urcs()

    def _parse(self, body: str) -> list[tuple[str, str, str]]:
        """Split a command line (after "AT") into (name, op, args) triples."""
        out: list[tuple[str, str, str]] = []
        i, n = 0, len(body)
        while i < n:
            ch = body[i]
            if ch in " ;":
                i += 1
                continue
            if ch in "+^":
                j = i + 1
                quoted = False
                while j < n and (quoted or body[j] != ";"):
                    if body[j] == '"':
                        quoted = not quoted
                    j += 1
                command = body[i:j]
                m = re.match(r"([+^][A-Za-z0-9]+)(.*)$", command, re.DOTALL)
                if m is None:
                    raise _Fail("error")
                rest = m.group(2).strip()
                if rest == "":
                    op, args = "exec", ""
                elif rest == "?":
                    op, args = "read", ""
                elif rest == "=?":
                    op, args = "test", ""
                elif rest.startswith("="):
                    op, args = "set", rest[1:]
                else:
                    raise _Fail("error")
                out.append((m.group(1).upper(), op, args))
                i = j
            elif ch in "Dd":
                out.append(("D", "set", body[i + 1 :].strip()))
                break
            elif ch == "&":
                m = re.match(r"&([A-Za-z])(\d*)", body[i:])
                if m is None:
                    raise _Fail("error")
                out.append(("&" + m.group(1).upper(), "set", m.group(2)))
                i += m.end()
            elif ch in "Ss":
                m = re.match(r"[Ss](\d+)(=(\d*)|\?)?", body[i:])
                if m is None:
                    raise _Fail("error")
                if m.group(2) == "?":
                    out.append(("S", "read", m.group(1)))
                elif m.group(2):
                    out.append(("S", "set", f"{m.group(1)},{m.group(3) or 0}"))
                else:
                    out.append(("S", "exec", m.group(1)))
                i += m.end()
            elif ch.isalpha():
                m = re.match(r"([A-Za-z])(\d*)", body[i:])
                assert m is not None
                out.append((m.group(1).upper(), "set", m.group(2)))
                i += m.end()
            else:
                raise _Fail("error")
        return out

    def _run(self, name: str, op: str, args: str) -> list[str]:
        entry = _COMMANDS.get(name)
        if entry is None or not (entry.family == "std" or entry.family in self.profile.families):
            raise _Fail("error")
        if entry.sim and op != "test":
            self._need_sim(entry.sim)
        return entry.handler(self, op, _split_args(args) if op == "set" else [])

    def _need_sim(self, kind: str) -> None:
        code = SIM_STATES[self._sim]
        if code is not None:
            if kind == "cms":
                raise _Fail("cms", _SIM_CMS[code])
            raise _Fail("cme", code)

    # --- data mode ----------------------------------------------------------------

    def _enter_data(self) -> None:
        self._mode = "data"
        self._call_up = True
        self._esc_count = 0
        self._esc_deadline = None
        self._last_data_rx = time.monotonic()

    def _data_byte(self, byte: int, now: float) -> None:
        if len(self.data_received) < 1 << 20:
            self.data_received.append(byte)
        quiet = now - self._last_data_rx >= self.escape_guard
        if byte == ord("+") and (0 < self._esc_count < 3 or (self._esc_count == 0 and quiet)):
            self._esc_count += 1
            self._esc_deadline = now + self.escape_guard if self._esc_count == 3 else None
        else:
            self._esc_count = 0
            self._esc_deadline = None
        self._last_data_rx = now

    def _tick(self) -> None:
        if self._esc_deadline is not None and time.monotonic() >= self._esc_deadline:
            self._esc_deadline = None
            self._esc_count = 0
            if self._mode == "data":
                self._mode = "command"  # online command state: the call stays up
                self._prev_cr = False
                self._line.clear()
                if not self._quiet:
                    self._send(self._final_bytes("OK"))
                self._flush_urcs()

    # --- text entry (SMS and binary socket writes) --------------------------------

    def _sms_byte(self, byte: int) -> None:
        after_cr, self._prev_cr = self._prev_cr, byte == CR
        if byte == LF and after_cr:
            return
        if byte == CTRL_Z:
            self._mode = "command"
            self._finish_sms(bytes(self._entry))
            self._entry.clear()
            self._flush_urcs()
        elif byte == ESC:
            self._mode = "command"
            self._entry.clear()
            self._send(self._final_bytes("OK"))
            self._flush_urcs()
        elif byte == CR:
            self._entry.append(byte)
            self._send(b"\r\n> ")
        elif byte == BS:
            if self._entry:
                self._entry.pop()
        else:
            self._entry.append(byte)
            if self._echo:
                self._send(bytes([byte]))

    def _finish_sms(self, raw: bytes) -> None:
        ctx = self._entry_ctx
        try:
            sent = self._decode_entry(raw, ctx)
            if self.faults.sms_error is not None:
                raise _Fail("cms", self.faults.sms_error)
            if self._stat() not in (1, 5):
                raise _Fail("cms", 331)
        except _Fail as failure:
            self._send(self._final_bytes(self._error_text(failure)), delay=self.faults.delay)
            return
        self._sent.append(sent)
        self._mr = (self._mr + 1) % 256
        out = self._info_bytes([f"+CMGS: {sent.reference}"]) + self._final_bytes("OK")
        self._send(out, delay=self.faults.delay)

    def _decode_entry(self, raw: bytes, ctx: dict[str, Any]) -> SentSms:
        if ctx["mode"] == "text":
            if self._cscs == "UCS2":
                try:
                    text = pdu.decode_ucs2_hex(raw.decode("latin-1").replace("\r", ""))
                except ConfigurationError:
                    raise _Fail("cms", 305) from None
            else:
                text = raw.decode("latin-1")
            try:
                encoding = pdu.check_length(text)
            except (MessageTooLongError, ConfigurationError):
                raise _Fail("cms", 305) from None
            return SentSms(ctx["number"], text, "text", self._mr, encoding)
        hex_pdu = re.sub(r"\s", "", raw.decode("latin-1"))
        try:
            submit = pdu.decode_submit(hex_pdu)
        except ConfigurationError:
            raise _Fail("cms", 304) from None
        smsc_octets = int(hex_pdu[:2], 16) + 1
        if len(hex_pdu) // 2 - smsc_octets != ctx["length"]:
            raise _Fail("cms", 304)
        return SentSms(
            submit.destination, submit.text, "pdu", self._mr, submit.encoding, hex_pdu.upper()
        )

    def _binary_byte(self, byte: int) -> None:
        self._entry.append(byte)
        if len(self._entry) < self._entry_ctx["length"]:
            return
        self._mode = "command"
        data = bytes(self._entry)
        self._entry.clear()
        sid = self._entry_ctx["sid"]
        try:
            self._socket_send(sid, data)
            out = self._info_bytes([f"+USOWR: {sid},{len(data)}"]) + self._final_bytes("OK")
        except _Fail as failure:
            out = self._final_bytes(self._error_text(failure))
        self._send(out, delay=self.faults.delay)
        self._flush_urcs()

    # --- radio and SIM state ------------------------------------------------------

    def _stat(self) -> int:
        if self._sim != "ready" or self._cfun != 1:
            return 0
        return self._registration

    def _apply(
        self,
        *,
        sim: Optional[str],
        rssi: Optional[int],
        ber: Optional[int],
        registration: Union[str, int, None],
        urcs: bool,
    ) -> None:
        if sim is not None and sim not in SIM_STATES:
            raise ConfigurationError(f"sim must be one of {', '.join(SIM_STATES)}, not {sim!r}")
        if rssi is not None and not (0 <= rssi <= 31 or rssi == 99):
            raise ConfigurationError(f"rssi must be 0-31 or 99, not {rssi}")
        if ber is not None and not (0 <= ber <= 7 or ber == 99):
            raise ConfigurationError(f"ber must be 0-7 or 99, not {ber}")
        stat: Optional[int] = None
        if isinstance(registration, str):
            if registration not in REGISTRATION_STATES:
                raise ConfigurationError(
                    f"registration must be one of {', '.join(REGISTRATION_STATES)}"
                )
            stat = REGISTRATION_STATES[registration]
        elif registration is not None:
            if not 0 <= registration <= 5:
                raise ConfigurationError("registration <stat> must be 0-5")
            stat = registration
        before, before_rssi = self._stat(), self._csq()[0]
        if sim is not None:
            self._sim = sim
            if sim == "pin":
                self._pin_attempts = 3
        if rssi is not None:
            self._rssi = rssi
        if ber is not None:
            self._ber = ber
        if stat is not None:
            self._registration = stat
        if urcs:
            self._state_urcs(before, before_rssi)

    def _state_urcs(self, before: int, before_rssi: int) -> None:
        after = self._stat()
        huawei = "huawei" in self.profile.families and self._curc
        if after != before:
            for prefix in _REG_SETTINGS:
                n = getattr(self, _REG_SETTINGS[prefix])
                if n and self._reports(prefix):
                    self._urc(f"{prefix}: " + self._reg_fields(after, n == 2))
            if huawei and (after in (1, 5)) != (before in (1, 5)):
                self._urc("^MODE:5,4" if after in (1, 5) else "^MODE:0,0")
        rssi = self._csq()[0]
        if huawei and rssi != before_rssi:
            self._urc(f"^RSSI:{rssi}")

    def _reports(self, prefix: str) -> bool:
        """Whether ``prefix`` carries the registration state on this radio.

        An LTE Cat-M modem registers in the EPS domain only: +CREG and +CGREG
        say 0 there while +CEREG says home (what makes a client that reads
        only +CREG think the modem is not registered).
        """
        return (prefix == "+CEREG") == (self.rat == "lte")

    @property
    def _act(self) -> int:
        """27.007 <AcT>: the profile's (2, UTRAN), or 7 (E-UTRAN) on LTE."""
        return 7 if self.rat == "lte" else self.profile.act

    def _reg_fields(self, stat: int, location: bool) -> str:
        if location and stat in (1, 5):
            return f'{stat},"00C3","0000A1B2",{self._act}'
        return str(stat)

    def _csq(self) -> tuple[int, int]:
        if self._cfun != 1:
            return 99, 99
        return self._rssi, self._ber

    # --- u-blox socket bridge -----------------------------------------------------

    def _usock(self, value: str) -> _USocket:
        sid = _int(value, 0, _MAX_SOCKETS - 1)
        usock = self._socks.get(sid)
        if usock is None:
            self._usoer = 9  # EBADF
            raise _Fail("cme", 3)
        return usock

    def _sock_error(self, usock: Optional[_USocket], code: int) -> _Fail:
        self._usoer = code
        if usock is not None:
            usock.last_error = code
        return _Fail("cme", 3)

    def _socket_send(self, sid: int, data: bytes) -> None:
        usock = self._socks.get(sid)
        if usock is None:
            raise self._sock_error(None, 9)
        if usock.sock is None or usock.listening or usock.remote_closed:
            raise self._sock_error(usock, 107)  # ENOTCONN
        try:
            usock.sock.settimeout(5.0)
            usock.sock.sendall(data)
        except OSError as exc:
            raise self._sock_error(usock, exc.errno or 32) from None
        finally:
            usock.sock.setblocking(False)
        usock.sent += len(data)

    def _register(self, usock: _USocket, kind: str) -> None:
        assert usock.sock is not None
        self._sel.register(usock.sock, selectors.EVENT_READ, (kind, usock.sid))

    def _unregister(self, usock: _USocket) -> None:
        if usock.sock is not None:
            try:
                self._sel.unregister(usock.sock)
            except (KeyError, ValueError):
                pass

    def _close_usock(self, usock: _USocket) -> None:
        self._unregister(usock)
        if usock.sock is not None:
            usock.sock.close()
            usock.sock = None

    def _close_sockets(self) -> None:
        for usock in list(self._socks.values()):
            self._close_usock(usock)
        self._socks.clear()

    def _free_sid(self) -> Optional[int]:
        for sid in range(_MAX_SOCKETS):
            if sid not in self._socks:
                return sid
        return None

    def _accept(self, lsid: int) -> None:
        listener = self._socks.get(lsid)
        if listener is None or listener.sock is None:
            return
        try:
            conn, addr = listener.sock.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return
        sid = self._free_sid()
        if sid is None:
            conn.close()
            return
        conn.setblocking(False)
        usock = _USocket(sid, 6, conn, peer=(str(addr[0]), int(addr[1])))
        usock.local_port = listener.local_port
        self._socks[sid] = usock
        self._register(usock, "sock")
        local = str(conn.getsockname()[0])
        self._urc(
            f'+UUSOLI: {sid},"{addr[0]}",{addr[1]},{lsid},"{local}",{listener.local_port}'
        )

    def _socket_readable(self, sid: int) -> None:
        usock = self._socks.get(sid)
        if usock is None or usock.sock is None:
            return
        try:
            data = usock.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            usock.remote_closed = True
            self._unregister(usock)
            if not usock.rx and not usock.close_reported:
                usock.close_reported = True
                self._urc(f"+UUSOCL: {sid}")
            return
        was_empty = not usock.rx
        usock.rx += data
        usock.received += len(data)
        if was_empty:
            self._urc(f"+UUSORD: {sid},{len(usock.rx)}")

    def _resolve(self, host: str) -> str:
        ip = self.hosts.get(host.lower(), host)
        if ip in _LOOPBACK:
            return ip
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)
        except OSError:
            raise self._sock_error(None, 163) from None  # DNS: name not found
        raise self._sock_error(None, 113)  # EHOSTUNREACH: only loopback is bridged

    # --- command handlers -------------------------------------------------------------

    def _h_ok(self, op: str, args: list[str]) -> list[str]:
        return []

    def _flag(self, op: str, args: list[str], hi: int = 1) -> int:
        return _int(args[0] or "0", 0, hi)

    def _h_e(self, op: str, args: list[str]) -> list[str]:
        self._echo = bool(self._flag(op, args))
        return []

    def _h_q(self, op: str, args: list[str]) -> list[str]:
        self._quiet = bool(self._flag(op, args))
        return []

    def _h_v(self, op: str, args: list[str]) -> list[str]:
        self._verbose = bool(self._flag(op, args))
        return []

    def _h_x(self, op: str, args: list[str]) -> list[str]:
        self._x = self._flag(op, args, 4)
        return []

    def _h_z(self, op: str, args: list[str]) -> list[str]:
        self._flag(op, args, 1)
        self._reset_settings()
        self._creg_n = self._cgreg_n = self._cereg_n = 0
        return []

    def _h_amp_f(self, op: str, args: list[str]) -> list[str]:
        self._reset_settings()
        self._creg_n = self._cgreg_n = self._cereg_n = 0
        return []

    def _h_amp_any(self, op: str, args: list[str]) -> list[str]:
        _int(args[0] or "0", 0, 9)
        return []

    def _h_i(self, op: str, args: list[str]) -> list[str]:
        n = _int(args[0] or "0", 0, 9)
        if n == 9 and self.profile.ati9:
            return [self.profile.ati9]
        if n == 0:
            return [line.format(imei=self.imei) for line in self.profile.ati]
        return [self.profile.manufacturer]

    def _h_s(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            reg = _int(args[0], 0, 255)
            return [f"{self._sregs.get(reg, 0):03d}"]
        if op == "set":
            reg, value = _int(args[0], 0, 255), _int(args[1], 0, 255)
            self._sregs[reg] = value
        return []

    def _h_h(self, op: str, args: list[str]) -> list[str]:
        self._flag(op, args)
        self._call_up = False
        self._esc_deadline = None
        return []

    def _h_o(self, op: str, args: list[str]) -> list[str]:
        if not self._call_up:
            raise _Final("NO CARRIER")
        self._enter_data()
        raise _Final("CONNECT" if self._x == 0 else self.profile.connect)

    def _h_a(self, op: str, args: list[str]) -> list[str]:
        raise _Final("NO CARRIER")

    def _h_d(self, op: str, args: list[str]) -> list[str]:
        number = args[0].upper().replace(" ", "") if args else ""
        number = number.lstrip("TP")
        if not re.fullmatch(r"\*99(\*{1,3}\d*)?#", number):
            raise _Final("NO CARRIER")  # voice and CSD calls: a data stick has none
        self._need_sim("cme")
        result = self.faults.dial_result
        if result not in DIAL_RESULTS:
            raise _Fail("error")
        if result == "ERROR":
            raise _Fail("error")
        if result == "CONNECT" and self._stat() not in (1, 5):
            result = "NO CARRIER"
        if result == "CONNECT":
            self._enter_data()
            raise _Final("CONNECT" if self._x == 0 else self.profile.connect)
        if self._x == 0:
            result = "NO CARRIER"
        raise _Final(result)

    def _h_cmee(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"+CMEE: {self._cmee}"]
        if op == "test":
            return ["+CMEE: (0-2)"]
        self._cmee = _int(args[0] or "0", 0, 2) if op == "set" else 0
        return []

    def _h_cfun(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"+CFUN: {self._cfun}"]
        if op == "test":
            return ["+CFUN: (0,1,4,7,15,16),(0-1)"]
        _syntax(op == "set")
        value = _int(args[0], 0, 16)
        _syntax(value in (0, 1, 4, 7, 15, 16))
        before, before_rssi = self._stat(), self._csq()[0]
        if value in (15, 16):
            self._reset_settings()
            value = 1
        self._cfun = value
        self._state_urcs(before, before_rssi)
        return []

    def _h_cpin(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return []
        code = SIM_STATES[self._sim]
        if op == "read":
            if self._sim in _CPIN_TEXT:
                return [f"+CPIN: {_CPIN_TEXT[self._sim]}"]
            assert code is not None
            raise _Fail("cme", code)
        _syntax(op == "set" and bool(args[0]))
        if self._sim not in ("pin", "puk"):
            raise _Fail("cme", code if code is not None else 3)
        before, before_rssi = self._stat(), self._csq()[0]
        if self._sim == "pin":
            if args[0] != self.pin:
                self._pin_attempts -= 1
                if self._pin_attempts <= 0:
                    self._sim = "puk"
                raise _Fail("cme", 16)
        else:
            _syntax(len(args) == 2 and is_digits(args[1]) and 4 <= len(args[1]) <= 8)
            if args[0] != self.puk:
                raise _Fail("cme", 16)
            self.pin = args[1]
        self._sim = "ready"
        self._pin_attempts = 3
        self._state_urcs(before, before_rssi)
        return []

    def _h_csq(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+CSQ: (0-31,99),(0-7,99)"]
        _syntax(op == "exec")
        rssi, ber = self._csq()
        return [f"+CSQ: {rssi},{ber}"]

    def _reg_cmd(self, prefix: str, op: str, args: list[str]) -> list[str]:
        attr = _REG_SETTINGS[prefix]
        if prefix == "+CEREG" and self.rat != "lte":
            raise _Fail("error")  # a 3G modem does not know the EPS domain
        if op == "test":
            return [f"{prefix}: (0-2)"]
        if op == "read":
            n = int(getattr(self, attr))
            stat = self._stat() if self._reports(prefix) else 0
            return [f"{prefix}: {n}," + self._reg_fields(stat, n == 2)]
        _syntax(op == "set")
        setattr(self, attr, _int(args[0] or "0", 0, 2))
        return []

    def _h_creg(self, op: str, args: list[str]) -> list[str]:
        return self._reg_cmd("+CREG", op, args)

    def _h_cgreg(self, op: str, args: list[str]) -> list[str]:
        return self._reg_cmd("+CGREG", op, args)

    def _h_cereg(self, op: str, args: list[str]) -> list[str]:
        return self._reg_cmd("+CEREG", op, args)

    def _h_cops(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return [
                f'+COPS: (2,"{self.operator}","{self.operator[:8]}",'
                f'"{self.operator_numeric}",{self._act}),,(0-4),(0-2)'
            ]
        if op == "read":
            self._need_sim("cme")
            if self._stat() not in (1, 5):
                return [f"+COPS: {self._cops_mode}"]
            name = {
                0: self.operator,
                1: self.operator[:8],
                2: self.operator_numeric,
            }[self._cops_format]
            return [f'+COPS: {self._cops_mode},{self._cops_format},"{name}",{self._act}']
        _syntax(op == "set")
        mode = _int(args[0] or "0", 0, 4)
        if mode == 3:
            _syntax(len(args) >= 2)
            self._cops_format = _int(args[1], 0, 2)
            return []
        self._need_sim("cme")
        if len(args) >= 2 and args[1]:
            _int(args[1], 0, 2)
        self._cops_mode = mode
        return []

    def _h_cgmi(self, op: str, args: list[str]) -> list[str]:
        return [] if op == "test" else [self.profile.manufacturer]

    def _h_cgmm(self, op: str, args: list[str]) -> list[str]:
        return [] if op == "test" else [self.profile.model]

    def _h_cgmr(self, op: str, args: list[str]) -> list[str]:
        return [] if op == "test" else [self.profile.revision]

    def _h_cgsn(self, op: str, args: list[str]) -> list[str]:
        return [] if op == "test" else [self.imei]

    def _h_cimi(self, op: str, args: list[str]) -> list[str]:
        return [] if op == "test" else [self.imsi]

    def _h_ccid(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return []
        value = self.iccid
        if self.profile.ccid_pad and len(value) == 19:
            value += "F"
        return [f"+CCID: {value}"]

    def _h_iccid(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "read")
        return [f"^ICCID: {self.iccid.ljust(20, 'F')}"]

    def _h_curc(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"^CURC: {int(self._curc)}"]
        _syntax(op == "set")
        self._curc = bool(_int(args[0], 0, 1))
        return []

    def _h_sysinfo(self, op: str, args: list[str]) -> list[str]:
        stat = self._stat()
        registered = stat in (1, 5)
        sim = {"ready": 1, "absent": 255}.get(self._sim, 0)
        return [
            f"^SYSINFO:{2 if registered else 0},{3 if registered else 0},"
            f"{1 if stat == 5 else 0},{5 if registered else 0},{sim},,{4 if registered else 0}"
        ]

    def _h_gcap(self, op: str, args: list[str]) -> list[str]:
        return ["+GCAP: +CGSM,+DS,+ES"]

    def _h_cgdcont(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ['+CGDCONT: (1-16),"IP",,,(0-2),(0-4)']
        if op == "read":
            return [
                f'+CGDCONT: {cid},"{kind}","{apn}","0.0.0.0",0,0'
                for cid, (kind, apn) in sorted(self._contexts.items())
            ]
        _syntax(op == "set")
        cid = _int(args[0], 1, 16)
        if len(args) == 1:
            self._contexts.pop(cid, None)
            return []
        kind = args[1].upper()
        _syntax(kind in ("IP", "IPV6", "IPV4V6", "PPP"))
        self._contexts[cid] = (kind, args[2] if len(args) > 2 else "")
        return []

    def _h_cgatt(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"+CGATT: {int(self._stat() in (1, 5))}"]
        if op == "test":
            return ["+CGATT: (0-1)"]
        _syntax(op == "set")
        _int(args[0], 0, 1)
        return []

    def _h_clac(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "exec")
        return [
            f"AT{name}"
            for name, entry in _COMMANDS.items()
            if name[0] in "+^" and (entry.family == "std" or entry.family in self.profile.families)
        ]

    def _h_onoff(self, op: str, args: list[str]) -> list[str]:
        if op == "set":
            _int(args[0], 0, 1)
        return []

    # SMS ------------------------------------------------------------------------

    def _h_cmgf(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"+CMGF: {self._cmgf}"]
        if op == "test":
            return ["+CMGF: (0-1)"]
        _syntax(op == "set")
        self._cmgf = _int(args[0] or "0", 0, 1)
        return []

    def _h_cscs(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f'+CSCS: "{self._cscs}"']
        if op == "test":
            return ['+CSCS: ("GSM","IRA","UCS2")']
        _syntax(op == "set")
        value = args[0].upper()
        _syntax(value in ("GSM", "IRA", "UCS2"))
        self._cscs = value
        return []

    def _h_cpms(self, op: str, args: list[str]) -> list[str]:
        used = len(self._store)
        if op == "test":
            mems = "(" + ",".join(f'"{m}"' for m in _MEMORIES) + ")"
            return [f"+CPMS: {mems},{mems},{mems}"]
        if op == "read":
            return ["+CPMS: " + ",".join(f'"{m}",{used},{_SMS_CAPACITY}' for m in self._cpms)]
        _syntax(op == "set" and 1 <= len(args) <= 3)
        chosen = [a.upper() for a in args]
        if any(m not in _MEMORIES for m in chosen):
            raise _Fail("cms", 302)
        self._cpms[: len(chosen)] = chosen
        return ["+CPMS: " + ",".join(f"{used},{_SMS_CAPACITY}" for _ in range(3))]

    def _h_cnmi(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return ["+CNMI: " + ",".join(map(str, self._cnmi))]
        if op == "test":
            return ["+CNMI: (0-2),(0-3),(0-3),(0-2),(0-1)"]
        _syntax(op == "set" and len(args) <= 5)
        for i, (value, hi) in enumerate(zip(args, (3, 3, 3, 2, 1))):
            if value:
                self._cnmi[i] = _int(value, 0, hi)
        return []

    def _h_csmp(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return ["+CSMP: " + ",".join(map(str, self._csmp))]
        if op == "test":
            return []
        _syntax(op == "set" and len(args) <= 4)
        for i, value in enumerate(args):
            if value:
                self._csmp[i] = _int(value, 0, 255)
        return []

    def _h_csca(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            toa = 145 if self.smsc.startswith("+") else 129
            return [f'+CSCA: "{self._te(self.smsc)}",{toa}']
        if op == "test":
            return []
        _syntax(op == "set" and bool(args[0]))
        number = pdu.decode_ucs2_hex(args[0]) if self._cscs == "UCS2" else args[0]
        _syntax(bool(re.fullmatch(r"\+?\d{1,20}", number)))
        self.smsc = number
        return []

    def _h_csdh(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"+CSDH: {self._csdh}"]
        if op == "test":
            return ["+CSDH: (0-1)"]
        self._csdh = _int(args[0] or "0", 0, 1) if op == "set" else 0
        return []

    def _h_cmgs(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return []
        _syntax(op == "set" and bool(args[0]))
        if self._cmgf:
            number = args[0]
            if self._cscs == "UCS2":
                try:
                    number = pdu.decode_ucs2_hex(number)
                except ConfigurationError:
                    raise _Fail("cms", 305) from None
            if not re.fullmatch(r"\+?\d{1,20}", number):
                raise _Fail("cms", 305)
            self._entry_ctx = {"mode": "text", "number": number}
        else:
            length = _int(args[0], 1, 175)
            self._entry_ctx = {"mode": "pdu", "length": length}
        self._mode = "sms"
        self._entry.clear()
        self._prev_cr = True  # an LF right after the command's CR is not text
        raise _Prompt(b"\r\n> ")

    def _index(self, value: str) -> int:
        first = self.profile.first_sms_index
        try:
            index = int(value)
        except ValueError:
            raise _Fail("error") from None
        if not first <= index < first + _SMS_CAPACITY:
            raise _Fail("cms", 321)
        return index

    def _render(self, index: int, message: _Stored, listing: bool) -> list[str]:
        stat = _SMS_STAT[message.stat]
        if self._cmgf:
            scts = pdu.format_scts(message.timestamp)
            head = f'"{stat}","{self._te(message.sender)}",,"{scts}"'
            if self._csdh and not listing:
                toa = 145 if message.sender.startswith("+") else 129
                tosca = 145 if message.smsc.startswith("+") else 129
                dcs = {"gsm7": 0, "8bit": 4, "ucs2": 8}[message.encoding.value]
                head += (
                    f',{toa},4,0,{dcs},"{self._te(message.smsc)}",{tosca},'
                    f"{len(message.text)}"
                )
            prefix = f"+CMGL: {index}," if listing else "+CMGR: "
            return [prefix + head, self._te(message.text)]
        length = message.encoded.tpdu_length
        prefix = f"+CMGL: {index},{message.stat},," if listing else f"+CMGR: {message.stat},,"
        return [f"{prefix}{length}", message.encoded.hex]

    def _h_cmgr(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return []
        _syntax(op == "set")
        index = self._index(args[0])
        message = self._store.get(index)
        if message is None:
            raise _Fail("cms", 321)
        lines = self._render(index, message, listing=False)
        if message.stat == 0:
            message.stat = 1
        return lines

    def _h_cmgl(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+CMGL: " + ('("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")'
                                 if self._cmgf else "(0-4)")]
        wanted: int
        if op == "exec" or not args[0]:
            wanted = 0
        elif self._cmgf:
            _syntax(args[0].upper() in _SMS_STAT)
            wanted = _SMS_STAT.index(args[0].upper())
        else:
            wanted = _int(args[0], 0, 4)
        lines: list[str] = []
        for index in sorted(self._store):
            message = self._store[index]
            if wanted in (4, message.stat):
                lines += self._render(index, message, listing=True)
                if message.stat == 0:
                    message.stat = 1
        return lines

    def _h_cmgd(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            first = self.profile.first_sms_index
            return [f"+CMGD: ({','.join(map(str, sorted(self._store)))}),(0-4)"
                    if self._store else f"+CMGD: ({first}),(0-4)"]
        _syntax(op == "set")
        flag = _int(args[1], 0, 4) if len(args) > 1 and args[1] else 0
        if flag == 0:
            self._store.pop(self._index(args[0]), None)
            return []
        doomed = {1: (1,), 2: (1, 3), 3: (1, 2, 3), 4: (0, 1, 2, 3)}[flag]
        for index in [i for i, m in self._store.items() if m.stat in doomed]:
            del self._store[index]
        return []

    # u-blox ---------------------------------------------------------------------

    def _h_usocr(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+USOCR: (6,17),(1-65535)"]
        _syntax(op == "set")
        proto = _int(args[0], 0, 255)
        _syntax(proto in (6, 17))
        if proto == 17:
            raise self._sock_error(None, 93)  # UDP is not bridged: EPROTONOSUPPORT
        port = _int(args[1], 0, 65535) if len(args) > 1 and args[1] else 0
        sid = self._free_sid()
        if sid is None:
            raise self._sock_error(None, 12)  # ENOMEM: all sockets in use
        self._socks[sid] = _USocket(sid, proto, local_port=port)
        return [f"+USOCR: {sid}"]

    def _h_usoco(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set" and len(args) >= 3)
        usock = self._usock(args[0])
        port = _int(args[2], 1, 65535)
        if usock.sock is not None:
            raise self._sock_error(usock, 106)  # EISCONN
        if self._stat() not in (1, 5):
            raise self._sock_error(usock, 100)  # ENETDOWN
        ip = self._resolve(args[1])
        try:
            conn = socket.create_connection((ip, port), timeout=5.0)
        except OSError as exc:
            raise self._sock_error(usock, exc.errno or 111) from None
        conn.setblocking(False)
        usock.sock = conn
        usock.peer = (ip, port)
        self._register(usock, "sock")
        if len(args) > 3 and args[3] == "1":
            self._after.append(f"+UUSOCO: {usock.sid},0")
        return []

    def _h_usowr(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set" and len(args) >= 2)
        usock = self._usock(args[0])
        hex_mode = bool(self._udconf_hex)
        length = _int(args[1], 0, 512 if hex_mode else 1024)
        if usock.sock is None or usock.listening:
            raise self._sock_error(usock, 107)
        if len(args) == 2:
            _syntax(length > 0)
            self._mode = "binary"
            self._entry.clear()
            self._entry_ctx = {"sid": usock.sid, "length": length}
            raise _Prompt(b"\r\n@")
        if hex_mode:
            try:
                data = bytes.fromhex(args[2])
            except ValueError:
                raise _Fail("cme", 50) from None
        else:
            data = args[2].encode("latin-1", errors="replace")
        if len(data) != length:
            raise _Fail("cme", 50)
        self._socket_send(usock.sid, data)
        return [f"+USOWR: {usock.sid},{length}"]

    def _h_usord(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set" and len(args) == 2)
        usock = self._usock(args[0])
        hex_mode = bool(self._udconf_hex)
        wanted = _int(args[1], 0, 512 if hex_mode else 1024)
        if wanted == 0:
            return [f"+USORD: {usock.sid},{len(usock.rx)}"]
        data = bytes(usock.rx[:wanted])
        del usock.rx[: len(data)]
        shown = data.hex().upper() if hex_mode else data.decode("latin-1")
        if usock.rx:
            self._after.append(f"+UUSORD: {usock.sid},{len(usock.rx)}")
        elif usock.remote_closed and not usock.close_reported:
            usock.close_reported = True
            self._after.append(f"+UUSOCL: {usock.sid}")
        return [f'+USORD: {usock.sid},{len(data)},"{shown}"']

    def _h_usocl(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set")
        usock = self._usock(args[0])
        self._close_usock(usock)
        del self._socks[usock.sid]
        return []

    def _h_usoli(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set" and len(args) == 2)
        usock = self._usock(args[0])
        port = _int(args[1], 0, 65535)
        if usock.sock is not None:
            raise self._sock_error(usock, 106)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", port))
            listener.listen(5)
        except OSError as exc:
            listener.close()
            raise self._sock_error(usock, exc.errno or 98) from None
        listener.setblocking(False)
        usock.sock = listener
        usock.listening = True
        usock.local_port = int(listener.getsockname()[1])
        self._register(usock, "listen")
        return []

    def _h_usoer(self, op: str, args: list[str]) -> list[str]:
        return [f"+USOER: {self._usoer}"]

    def _h_usoctl(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set" and len(args) == 2)
        usock = self._usock(args[0])
        param = _int(args[1], 0, 10)
        sid = usock.sid
        if param == 0:
            return [f"+USOCTL: {sid},0,{usock.proto}"]
        if param == 1:
            return [f"+USOCTL: {sid},1,{usock.last_error}"]
        if param == 2:
            return [f"+USOCTL: {sid},2,{usock.sent}"]
        if param == 3:
            return [f"+USOCTL: {sid},3,{usock.received}"]
        if param == 4:
            _syntax(usock.sock is not None and not usock.listening)
            return [f'+USOCTL: {sid},4,"{usock.peer[0]}",{usock.peer[1]}']
        if param == 10:
            state = 0
            if usock.listening:
                state = 1
            elif usock.sock is not None:
                state = 7 if usock.remote_closed else 4
            return [f"+USOCTL: {sid},10,{state}"]
        raise _Fail("cme", 4)

    def _h_udconf(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set")
        key = _int(args[0].rstrip("?"), 0, 100)
        if len(args) == 1:
            _syntax(key == 1)
            return [f"+UDCONF: 1,{self._udconf_hex}"]
        if key == 1:
            self._udconf_hex = _int(args[1], 0, 1)
        return []

    def _h_upsd(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set" and len(args) >= 2)
        _int(args[0], 0, 6)
        param = _int(args[1], 0, 100)
        if len(args) == 2:
            return [f'+UPSD: {args[0]},{param},"{self._psd.get(param, "")}"']
        self._psd[param] = args[2]
        return []

    def _h_upsda(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set" and len(args) == 2)
        _int(args[0], 0, 6)
        action = _int(args[1], 0, 6)
        if action == 3:
            if self._stat() not in (1, 5):
                raise _Fail("cme", 3)
            self._psd_active = True
        elif action == 4:
            self._psd_active = False
        return []

    def _h_upsnd(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set" and len(args) == 2)
        _int(args[0], 0, 6)
        param = _int(args[1], 0, 8)
        if param == 8:
            return [f"+UPSND: {args[0]},8,{int(self._psd_active)}"]
        if param == 0:
            if not self._psd_active:
                raise _Fail("cme", 3)
            return [f'+UPSND: {args[0]},0,"10.170.12.34"']
        raise _Fail("cme", 4)

    def _h_uusbconf(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return ['+UUSBCONF: 0,"",,"0x1102"']
        return []


@dataclass(frozen=True)
class _Command:
    handler: _Handler
    family: str = "std"
    #: SIM-dependent: "cme" or "cms" names the error family when the SIM is not ready
    sim: Optional[str] = None


_E = ModemEmulator
#: every command the emulator knows; a profile answers those of "std" and its families
_COMMANDS: dict[str, _Command] = {
    "E": _Command(_E._h_e),
    "Q": _Command(_E._h_q),
    "V": _Command(_E._h_v),
    "X": _Command(_E._h_x),
    "Z": _Command(_E._h_z),
    "I": _Command(_E._h_i),
    "S": _Command(_E._h_s),
    "H": _Command(_E._h_h),
    "O": _Command(_E._h_o),
    "A": _Command(_E._h_a),
    "D": _Command(_E._h_d),
    "L": _Command(_E._h_amp_any),
    "M": _Command(_E._h_amp_any),
    "&F": _Command(_E._h_amp_f),
    "&C": _Command(_E._h_amp_any),
    "&D": _Command(_E._h_amp_any),
    "&K": _Command(_E._h_amp_any),
    "&W": _Command(_E._h_amp_any),
    "+CMEE": _Command(_E._h_cmee),
    "+CFUN": _Command(_E._h_cfun),
    "+CPIN": _Command(_E._h_cpin),
    "+CSQ": _Command(_E._h_csq),
    "+CREG": _Command(_E._h_creg),
    "+CGREG": _Command(_E._h_cgreg),
    "+CEREG": _Command(_E._h_cereg),
    "+COPS": _Command(_E._h_cops),
    "+CGMI": _Command(_E._h_cgmi),
    "+GMI": _Command(_E._h_cgmi),
    "+CGMM": _Command(_E._h_cgmm),
    "+GMM": _Command(_E._h_cgmm),
    "+CGMR": _Command(_E._h_cgmr),
    "+GMR": _Command(_E._h_cgmr),
    "+CGSN": _Command(_E._h_cgsn),
    "+GSN": _Command(_E._h_cgsn),
    "+GCAP": _Command(_E._h_gcap),
    "+CIMI": _Command(_E._h_cimi, sim="cme"),
    "+CCID": _Command(_E._h_ccid, sim="cme"),
    "+CGDCONT": _Command(_E._h_cgdcont),
    "+CGATT": _Command(_E._h_cgatt),
    "+CLAC": _Command(_E._h_clac),
    "+CTZU": _Command(_E._h_onoff),
    "+CTZR": _Command(_E._h_onoff),
    "+CMGF": _Command(_E._h_cmgf),
    "+CSCS": _Command(_E._h_cscs),
    "+CPMS": _Command(_E._h_cpms, sim="cms"),
    "+CNMI": _Command(_E._h_cnmi),
    "+CSMP": _Command(_E._h_csmp),
    "+CSCA": _Command(_E._h_csca, sim="cms"),
    "+CSDH": _Command(_E._h_csdh),
    "+CMGS": _Command(_E._h_cmgs, sim="cms"),
    "+CMGR": _Command(_E._h_cmgr, sim="cms"),
    "+CMGL": _Command(_E._h_cmgl, sim="cms"),
    "+CMGD": _Command(_E._h_cmgd, sim="cms"),
    "^ICCID": _Command(_E._h_iccid, "huawei", sim="cme"),
    "^CURC": _Command(_E._h_curc, "huawei"),
    "^SYSINFO": _Command(_E._h_sysinfo, "huawei"),
    "^U2DIAG": _Command(_E._h_ok, "huawei"),
    "+USOCR": _Command(_E._h_usocr, "ublox"),
    "+USOCO": _Command(_E._h_usoco, "ublox"),
    "+USOWR": _Command(_E._h_usowr, "ublox"),
    "+USORD": _Command(_E._h_usord, "ublox"),
    "+USOCL": _Command(_E._h_usocl, "ublox"),
    "+USOLI": _Command(_E._h_usoli, "ublox"),
    "+USOER": _Command(_E._h_usoer, "ublox"),
    "+USOCTL": _Command(_E._h_usoctl, "ublox"),
    "+UDCONF": _Command(_E._h_udconf, "ublox"),
    "+UPSD": _Command(_E._h_upsd, "ublox"),
    "+UPSDA": _Command(_E._h_upsda, "ublox"),
    "+UPSND": _Command(_E._h_upsnd, "ublox"),
    "+UUSBCONF": _Command(_E._h_uusbconf, "ublox"),
}
del _E


# --- the in-process port ------------------------------------------------------------


class SimPort:
    """A pyserial-like port joined to a :class:`ModemEmulator` by a socketpair.

    Supports what AT clients use from ``serial.Serial``: ``read``, ``read_until``,
    ``readline``, ``write``, ``flush``, ``in_waiting``, ``timeout``,
    ``write_timeout``, ``reset_input_buffer``, ``reset_output_buffer``,
    ``fileno``, ``is_open``, ``close`` and the context manager. Errors are
    ``serial.SerialException``, as pyserial raises them.

    :param emulator: the emulator behind the port (``.emulator``)
    :param owns_emulator: close the emulator when the port closes
    """

    def __init__(
        self,
        emulator: ModemEmulator,
        sock: socket.socket,
        *,
        timeout: Optional[float] = None,
        write_timeout: Optional[float] = None,
        owns_emulator: bool = False,
    ) -> None:
        self.emulator = emulator
        sock.setblocking(False)  # never changed again: safe for a reader and a writer thread
        self._sock = sock
        self.timeout = timeout
        self.write_timeout = write_timeout
        self._owns = owns_emulator
        self.is_open = True
        self.port = f"sim://{emulator.profile.name}"
        self.name = self.port
        self.baudrate = 9600
        #: accepted and ignored, as on a pty
        self.dtr = True
        self.rts = True

    def _check(self) -> socket.socket:
        if not self.is_open:
            raise serial.PortNotOpenError()
        return self._sock

    @property
    def in_waiting(self) -> int:
        """Bytes ready to read now."""
        sock = self._check()
        buf = fcntl.ioctl(sock.fileno(), termios.FIONREAD, struct.pack("i", 0))
        return int(struct.unpack("i", buf)[0])

    def fileno(self) -> int:
        """The file descriptor (readable when data is waiting)."""
        return self._check().fileno()

    def _wait(self, events: int, deadline: Optional[float]) -> bool:
        poller = select.poll()
        poller.register(self._sock.fileno(), events)
        wait = None if deadline is None else max(0.0, deadline - time.monotonic()) * 1000
        return bool(poller.poll(wait))

    def read(self, size: int = 1) -> bytes:
        """Read up to ``size`` bytes, waiting at most ``timeout`` (None = forever).

        :raises serial.SerialException: the emulated modem was unplugged
        """
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        return self._read(size, deadline)

    def _read(self, size: int, deadline: Optional[float]) -> bytes:
        sock = self._check()
        out = bytearray()
        while len(out) < size:
            if not self._wait(select.POLLIN, deadline):
                break
            try:
                chunk = sock.recv(size - len(out))
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as exc:
                raise serial.SerialException(f"read failed: {exc}") from exc
            if not chunk:
                raise serial.SerialException(
                    "device reports readiness to read but returned no data "
                    "(device disconnected or multiple access on port?)"
                )
            out += chunk
        return bytes(out)

    def read_until(self, expected: bytes = b"\n", size: Optional[int] = None) -> bytes:
        """Read until ``expected``, ``size`` bytes or the timeout."""
        out = bytearray()
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while size is None or len(out) < size:
            chunk = self._read(1, deadline)
            if not chunk:
                break
            out += chunk
            if out.endswith(expected):
                break
        return bytes(out)

    def readline(self, size: Optional[int] = None) -> bytes:
        """Read one ``\\n``-terminated line (or less on timeout)."""
        return self.read_until(b"\n", size)

    def write(self, data: bytes) -> int:
        """Send bytes to the modem.

        :raises serial.SerialException: the emulated modem was unplugged
        :raises serial.SerialTimeoutException: not sent within ``write_timeout``
        """
        sock = self._check()
        view = memoryview(bytes(data))
        deadline = None if self.write_timeout is None else time.monotonic() + self.write_timeout
        while view:
            if not self._wait(select.POLLOUT, deadline):
                raise serial.SerialTimeoutException("Write timeout")
            try:
                sent = sock.send(view)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as exc:
                raise serial.SerialException(f"write failed: {exc}") from exc
            view = view[sent:]
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered on this side."""

    def reset_input_buffer(self) -> None:
        """Discard bytes waiting to be read."""
        sock = self._check()
        try:
            while sock.recv(4096):
                pass
        except OSError:
            pass

    def reset_output_buffer(self) -> None:
        """Nothing is buffered on this side."""

    def close(self) -> None:
        """Close the port (and the emulator when this port owns it). Idempotent."""
        if self.is_open:
            self.is_open = False
            self._sock.close()
        if self._owns:
            self.emulator.close()

    def __enter__(self) -> SimPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_INT_OPTIONS = ("rssi", "ber")
#: pyserial settings that mean nothing to an in-process port; open_sim_port drops them
_SERIAL_SETTINGS = frozenset(
    {"baudrate", "bytesize", "parity", "stopbits", "xonxoff", "rtscts", "dsrdtr",
     "exclusive", "inter_byte_timeout", "do_not_open"}
)


def open_sim_port(
    profile: str = "e303",
    *,
    timeout: Optional[float] = None,
    write_timeout: Optional[float] = None,
    **kwargs: Any,
) -> SimPort:
    """Open an in-process emulated modem as a pyserial-like port (for ``sim://`` URLs).

    ``profile`` may be a bare name (``"e303"``) or a URL such as
    ``"sim://iota?sim=absent&rssi=5"``; query values become constructor keywords.
    The port owns its emulator: closing the port closes it; ``port.emulator``
    gives the tests' controls.

    :raises ConfigurationError: an unknown profile or option
    """
    for key in _SERIAL_SETTINGS & set(kwargs):
        del kwargs[key]
    name = profile
    if "://" in profile:
        url = urllib.parse.urlsplit(profile)
        if url.scheme != "sim":
            raise ConfigurationError(f"not a sim:// URL: {profile!r}")
        name = url.netloc or url.path.lstrip("/")
        for key, value in urllib.parse.parse_qsl(url.query):
            if key in _INT_OPTIONS or key == "escape_guard":
                try:
                    kwargs.setdefault(key, float(value) if key == "escape_guard" else int(value))
                except ValueError:
                    raise ConfigurationError(f"{key} must be a number, not {value!r}") from None
            else:
                kwargs.setdefault(key, value)
    try:
        emulator = ModemEmulator(name or "e303", **kwargs)
    except TypeError as exc:
        raise ConfigurationError(f"bad sim:// option: {exc}") from None
    try:
        port = emulator.open_port(timeout=timeout, write_timeout=write_timeout)
    except BaseException:
        emulator.close()
        raise
    port._owns = True
    return port
