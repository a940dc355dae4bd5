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
In ``feed`` mode ``feed`` raises :class:`~hologram_sdk.base.errors.ModemUnpluggedError`.
"""

from __future__ import annotations

import collections
import datetime as _dt
import errno
import logging
import os
import selectors
import socket
import termios
import threading
import tty
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

from hologram_sdk.base.digits import is_digits
from hologram_sdk.base.errors import (
    ConfigurationError,
    ModemUnpluggedError,
)
from hologram_sdk.emulator.atargs import _Fail, _split_args, _syntax
from hologram_sdk.emulator.cmd_basic import BasicCommands
from hologram_sdk.emulator.cmd_network import NetworkCommands
from hologram_sdk.emulator.cmd_sms import _SMS_CAPACITY, _SMS_STAT, SmsCommands
from hologram_sdk.emulator.cmd_ublox import _LOOPBACK, UbloxCommands
from hologram_sdk.emulator.command_line import CommandLine
from hologram_sdk.emulator.profiles import (
    _SIM_CMS,
    DEFAULT_ICCID,
    DEFAULT_IMEI,
    DEFAULT_IMSI,
    DIAL_RESULTS,
    PROFILES,
    RATS,
    REGISTRATION_STATES,
    SIM_STATES,
    Profile,
)
from hologram_sdk.emulator.records import Faults, SentSms, _Stored, _USocket
from hologram_sdk.emulator.sim_port import SimPort
from hologram_sdk.emulator.transport import Transport
from hologram_sdk.modem import pdu

__all__ = [
    "DIAL_RESULTS",
    "PROFILES",
    "RATS",
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


# --- the emulator -----------------------------------------------------------------


class ModemEmulator(
    CommandLine, Transport, BasicCommands, NetworkCommands, SmsCommands, UbloxCommands
):
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

    # --- command dispatch -------------------------------------------------------

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

    def _h_clac(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "exec")
        return [
            f"AT{name}"
            for name, entry in _COMMANDS.items()
            if name[0] in "+^" and (entry.family == "std" or entry.family in self.profile.families)
        ]


_Handler = Callable[["ModemEmulator", str, list[str]], list[str]]


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


# --- sim:// ports -------------------------------------------------------------------


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
