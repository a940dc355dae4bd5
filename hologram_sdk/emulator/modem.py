"""A 27.007 / 27.005 AT modem emulator (Huawei, u-blox, Quectel) on a real pty or in process.

(Over 500 lines on purpose: this module is the emulator's whole public surface --
constructor, read-only views, test controls, running modes -- and nothing else;
the behaviour lives in the modules it composes.)

Three ways to talk to it:

* ``start()`` opens a real pseudo-terminal in raw mode and serves it from one
  thread (selectors, no busy loop); ``.device`` is the slave path
  (``/dev/pts/N``) for pyserial, ``chat`` or any AT client.
* ``open_port()`` (or :func:`open_sim_port` for ``sim://e303`` URLs) returns a
  :class:`SimPort`, a pyserial port joined to the emulator by a socketpair,
  served by the same kind of thread. Nothing global in pyserial is touched.
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

Inside, the emulator is a few collaborating objects: the :class:`Sim`, the
:class:`Radio`, the line discipline (:class:`LineDiscipline`), the I/O
:class:`Link`, the SMS store, the socket tables, the location; and the
command families, each a module with its command table beside its handlers.
:meth:`ModemEmulator.install` adds a family (the way a USIM's +CSIM plugs in).
"""

from __future__ import annotations

import datetime as _dt
import errno
import logging
import socket
import threading
from collections.abc import Iterable, Mapping
from typing import Callable, Optional, Union

from hologram_sdk.base.errors import ConfigurationError, ModemUnpluggedError
from hologram_sdk.emulator.atcommand import CommandFamily
from hologram_sdk.emulator.cmd_basic import BasicCommands, Clock, Identity, utc_now
from hologram_sdk.emulator.cmd_huawei import HuaweiCommands
from hologram_sdk.emulator.cmd_network import NetworkCommands, PacketData, PdpCommands
from hologram_sdk.emulator.cmd_quectel import QuectelGnss, QuectelSim, QuectelSockets
from hologram_sdk.emulator.cmd_sms import SMS_STAT, SmsCommands, SmsStore
from hologram_sdk.emulator.cmd_ublox import UbloxLocation, UbloxPsd, UbloxSockets, UbloxUsb
from hologram_sdk.emulator.line import LineDiscipline
from hologram_sdk.emulator.location import DEFAULT_FIX, Fix, Location, parse_fix
from hologram_sdk.emulator.profiles import (
    DEFAULT_ICCID,
    DEFAULT_IMEI,
    DEFAULT_IMSI,
    DIAL_RESULTS,
    PROFILES,
    Profile,
)
from hologram_sdk.emulator.radio import RATS, REGISTRATION_STATES, Radio
from hologram_sdk.emulator.records import Faults, SentSms
from hologram_sdk.emulator.sim import SIM_STATES, Sim, SimCommands
from hologram_sdk.emulator.sim_port import SimPort, emulator_for_url, open_sim_port
from hologram_sdk.emulator.sockets import SocketTable, check_hosts
from hologram_sdk.emulator.transport import Link
from hologram_sdk.emulator.usim import DEFAULT_KI, DEFAULT_OPC, Usim, UsimCommands

__all__ = [
    "DIAL_RESULTS",
    "PROFILES",
    "RATS",
    "REGISTRATION_STATES",
    "SIM_STATES",
    "Faults",
    "Fix",
    "ModemEmulator",
    "Profile",
    "SentSms",
    "SimPort",
    "emulator_for_url",
    "open_sim_port",
]

logger = logging.getLogger(__name__)


class ModemEmulator:
    """An emulated USB cellular modem speaking AT commands.

    :param profile: a key of :data:`PROFILES`: "e303", "ms2131", "e372" (Huawei
        3G), "u201" (alias "iota"), "r410", "r404" (u-blox), "bg96", "ec21", "ec25"
        (Quectel)
    :param imei: 15 digits
    :param iccid: 19 or 20 digits
    :param imsi: up to 15 digits
    :param sim: "ready", "absent", "pin", "puk", "failure" or "busy"
    :param pin: the PIN that ``AT+CPIN="<pin>"`` accepts
    :param puk: the PUK that ``AT+CPIN="<puk>","<new pin>"`` accepts
    :param rssi: +CSQ rssi, 0-31 or 99
    :param ber: +CSQ ber, 0-7 or 99
    :param registration: a key of :data:`REGISTRATION_STATES` or a <stat> number
    :param rat: the radio the modem registers on (default: the profile's first):
        ``"utran"`` (3G: +CREG/+CGREG carry ``registration``; a 3G modem does not
        know +CEREG), ``"lte"`` (E-UTRAN: +CEREG carries it with AcT 7 -- the
        BG96 numbers LTE-M 8 --, and +CREG/+CGREG stay 0 except on a modem doing
        combined attach, the EC2x) or ``"nbiot"`` (E-UTRAN NB-S1, AcT 9)
    :param operator: long operator name for +COPS
    :param operator_numeric: MCC+MNC for +COPS with format 2
    :param smsc: the SMSC number (+CSCA)
    :param hosts: host names the socket commands may use, mapped to 127.0.0.1 or ::1
    :param location: the position fix the modem reports (+ULOC, +QGPSLOC): a
        :class:`Fix`, ``"<lat>,<lon>[,<alt>]"``, or ``"none"`` for no fix
    :param faults: initial fault switches
    :param escape_guard: guard time in seconds around ``+++``
    :param clock: where the modem's real-time clock (+CCLK) starts (UTC now)
    :param families: more command families, each made by ``factory(emulator)``
        once the profile's are installed (e.g. a USIM answering +CSIM)
    :param ki: the USIM's subscriber key K, 32 hex digits (MILENAGE for ``AT+CSIM``
        AUTHENTICATE; the default is 3GPP TS 35.208 test set 1's, no secret)
    :param opc: the USIM's OPc, 32 hex digits
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
        rat: Optional[str] = None,
        operator: str = "Test Network",
        operator_numeric: str = "00101",
        smsc: str = "+15555550000",
        hosts: Optional[Mapping[str, str]] = None,
        location: Union[Fix, str] = DEFAULT_FIX,
        faults: Optional[Faults] = None,
        escape_guard: float = 1.0,
        clock: Clock = utc_now,
        families: Iterable[Callable[[ModemEmulator], CommandFamily]] = (),
        ki: str = DEFAULT_KI,
        opc: str = DEFAULT_OPC,
    ) -> None:
        if profile not in PROFILES:
            raise ConfigurationError(
                f"unknown modem profile {profile!r}; valid: {', '.join(sorted(PROFILES))}"
            )
        self.profile = PROFILES[profile]
        if escape_guard < 0:
            raise ConfigurationError("escape_guard must be >= 0")
        usim = Usim(ki, opc)  # checked before anything is opened
        self._identity = Identity(self.profile, imei)
        self._sim = Sim(iccid=iccid, imsi=imsi, pin=pin, puk=puk, state=sim)
        self._radio = Radio(
            self._sim,
            self.profile,
            rat=rat or self.profile.rats[0],
            rssi=rssi,
            ber=ber,
            registration=registration,
            operator=operator,
            operator_numeric=operator_numeric,
        )
        self._location = Location(parse_fix(location))
        self._hosts = check_hosts(hosts or {})
        self.faults = faults if faults is not None else Faults()

        self._lock = threading.RLock()
        self._link = Link(
            self._lock,
            f"modem-emulator-{self.profile.name}",
            lambda data: self._line.receive(data),
            lambda: self._line.tick(),
            lambda: self._line.next_deadline(),
            self._release_sockets,
        )
        self._line = LineDiscipline(
            self._link.queue, self._sim, self.faults, self.unplug, float(escape_guard)
        )
        self._packet = PacketData()
        self._sms_store = SmsStore(self.profile.first_sms_index)
        self._socket_tables: list[SocketTable] = []
        self._build_families(smsc, clock)
        # the USIM's AUTHENTICATE (+CSIM): see emulator/usim.py
        self.install(UsimCommands(self._sim, usim))
        try:
            for factory in families:
                self.install(factory(self))
        except BaseException:
            self.close()
            raise

    def _build_families(self, smsc: str, clock: Clock) -> None:
        line, radio, profile = self._line, self._radio, self.profile
        families = profile.families
        self._basic = BasicCommands(
            line, radio, self.faults, profile, self._restore_settings, clock
        )
        self._network = NetworkCommands(radio, line, self._packet, profile, self._reboot)
        self._sms = SmsCommands(self._sms_store, line, radio, self.faults, smsc)
        self.install(self._basic)
        self.install(self._identity)
        self.install(self._network)
        self.install(SimCommands(self._sim, radio.changing, ccid_pad=profile.ccid_pad))
        self.install(self._sms)
        self._quectel: Optional[QuectelSockets] = None
        self._gnss: Optional[QuectelGnss] = None
        if "huawei" in families:
            self.install(HuaweiCommands(radio, line))
        if "pdp" in families:
            self.install(PdpCommands(radio, self._packet))
        if "ublox-sockets" in families:
            ublox = UbloxSockets(self._link, line, radio, self._hosts)
            self._socket_tables.append(ublox.table)
            self.install(ublox)
        if "ublox-psd" in families:
            self._psd: Optional[UbloxPsd] = UbloxPsd(radio, line)
            self.install(self._psd)
        else:
            self._psd = None
        if "ublox-loc" in families:
            self.install(UbloxLocation(self._location, radio, line))
        if "ublox-usb" in families:
            self.install(UbloxUsb(profile.usb_conf))
        if "quectel-sockets" in families:
            self._quectel = QuectelSockets(self._link, line, radio, self._packet, self._hosts)
            self._socket_tables.append(self._quectel.table)
            self.install(self._quectel)
            self.install(QuectelSim(self._sim))
        if "quectel-gnss" in families:
            self._gnss = QuectelGnss(self._location)
            self.install(self._gnss)

    def install(self, family: CommandFamily) -> None:
        """Add a command family: its commands answer from now on (replacing same-named ones).

        This is how a family beyond the profile's plugs in, e.g. an emulated
        USIM answering ``AT+CSIM``: an object whose ``commands()`` returns
        ``{"+CSIM": Command(handler, sim="cme")}`` (see
        :mod:`hologram_sdk.emulator.atcommand`), installed by
        ``emu.install(family)`` or at construction by
        ``ModemEmulator(..., families=[lambda emu: family_for(emu.sim_card)])``.
        """
        with self._lock:
            self._line.commands.update(family.commands())

    # --- the collaborators, for families plugged in from outside ------------------

    @property
    def sim_card(self) -> Sim:
        """The SIM (ICCID, IMSI, state): what a +CSIM family authenticates against."""
        return self._sim

    @property
    def line(self) -> LineDiscipline:
        """The line discipline (URCs, answers) a plugged-in family talks through."""
        return self._line

    # --- public read-only views -------------------------------------------------

    @property
    def device(self) -> Optional[str]:
        """The pty slave path (``/dev/pts/N``) once ``start()`` ran, else None."""
        return self._link.device

    @property
    def rat(self) -> str:
        """"utran", "lte" or "nbiot": the radio it registers on."""
        return self._radio.rat

    @property
    def imei(self) -> str:
        return self._identity.imei

    @property
    def iccid(self) -> str:
        return self._sim.iccid

    @property
    def imsi(self) -> str:
        return self._sim.imsi

    @property
    def pin(self) -> str:
        """The PIN the SIM accepts now (a PUK unlock sets a new one)."""
        return self._sim.pin

    @property
    def puk(self) -> str:
        return self._sim.puk

    @property
    def smsc(self) -> str:
        return self._sms.smsc

    @property
    def operator(self) -> str:
        return self._radio.operator

    @property
    def operator_numeric(self) -> str:
        return self._radio.operator_numeric

    @property
    def hosts(self) -> dict[str, str]:
        """Host names the socket commands resolve (a copy)."""
        return dict(self._hosts)

    @property
    def escape_guard(self) -> float:
        return self._line.escape_guard

    @property
    def sent_sms(self) -> list[SentSms]:
        """Every message the modem was asked to send, oldest first (a copy)."""
        with self._lock:
            return list(self._sms_store.sent)

    @property
    def log(self) -> list[str]:
        """Every command line received (without its CR), oldest first (a copy)."""
        with self._lock:
            return list(self._line.log)

    @property
    def data_received(self) -> bytearray:
        """The bytes the client sent in data mode (up to 1 MiB)."""
        return self._line.data_received

    @property
    def sim(self) -> str:
        """The SIM state: a key of :data:`SIM_STATES`."""
        return self._sim.state

    @property
    def rssi(self) -> int:
        """The +CSQ rssi the modem reports while the radio is on."""
        return self._radio.rssi

    @property
    def registration(self) -> int:
        """The registration <stat> configured (reported while SIM and radio are up)."""
        return self._radio.registration

    @property
    def location(self) -> Optional[Fix]:
        """The fix the modem reports (None: no fix)."""
        return self._location.fix

    @property
    def radio_on(self) -> bool:
        """+CFUN is 1."""
        return self._radio.cfun == 1

    @property
    def gnss_on(self) -> bool:
        """The Quectel GNSS engine runs (AT+QGPS=1 until AT+QGPSEND)."""
        return self._gnss is not None and self._gnss.on

    @property
    def pdp_active(self) -> bool:
        """A packet-data context is up (+UPSDA, +CGACT or +QIACT)."""
        with self._lock:
            return bool(self._packet.active) or (self._psd is not None and self._psd.active)

    @property
    def in_data_mode(self) -> bool:
        """True while a data call is up and the port carries data (after CONNECT)."""
        with self._lock:
            return self._line.mode == "data"

    @property
    def stored_sms(self) -> dict[int, tuple[str, str, str]]:
        """The message store: index -> (stat text, sender, text)."""
        with self._lock:
            return {
                i: (SMS_STAT[m.stat], m.sender, m.text)
                for i, m in self._sms_store.messages.items()
            }

    def socket_local_port(self, sid: int) -> int:
        """The real local TCP port behind modem socket ``sid`` (for a listener on port 0).

        :raises ConfigurationError: no such socket
        """
        with self._lock:
            for table in self._socket_tables:
                if sid in table.sockets:
                    return table.local_port(sid)
            raise ConfigurationError(f"no modem socket {sid}")

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
        location: Union[Fix, str, None] = None,
    ) -> None:
        """Change the radio/SIM situation; raises the URCs a modem would
        (+CREG/+CGREG/+CEREG when enabled, ^RSSI and ^MODE on Huawei profiles).

        :param location: a :class:`Fix`, ``"<lat>,<lon>[,<alt>]"``, or ``"none"``
        :raises ConfigurationError: an invalid value
        """
        with self._lock:
            fix = self._location.fix if location is None else parse_fix(location)
            if sim is not None and sim not in SIM_STATES:
                raise ConfigurationError(
                    f"sim must be one of {', '.join(SIM_STATES)}, not {sim!r}"
                )
            radio = self._radio

            def change() -> None:
                radio.configure(rssi=rssi, ber=ber, registration=registration)
                if sim is not None:
                    self._sim.set_state(sim)

            radio.changing(change)
            if operator is not None:
                radio.operator = operator
            if operator_numeric is not None:
                radio.operator_numeric = operator_numeric
            self._location.fix = fix
        self._link.wake()

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
        with self._lock:
            index = self._sms.deliver(sender, text, when, smsc or self._sms.smsc)
        self._link.wake()
        return index

    def hang_up(self) -> bool:
        """The network ends the data call: ``NO CARRIER`` and back to command state.

        :returns: whether a call was up
        """
        with self._lock:
            was_up = self._line.hang_up()
        self._link.wake()
        return was_up

    def unplug(self) -> None:
        """The modem vanishes (see the module docstring for what a client sees).

        Idempotent. The emulator still needs ``close()``.
        """
        with self._lock:
            self._line.unplugged = True
        self._link.unplug()

    # --- running modes ---------------------------------------------------------

    def start(self) -> str:
        """Open a raw pseudo-terminal and serve it from a thread.

        :returns: the slave path, also in ``.device``
        :raises ConfigurationError: already started or closed
        """
        with self._lock:
            device = self._link.start_pty()
        logger.debug("modem emulator %s on %s", self.profile.name, device)
        return device

    def open_port(
        self, *, timeout: Optional[float] = None, write_timeout: Optional[float] = None
    ) -> SimPort:
        """Serve the emulator in process and return a pyserial port for it.

        Closing the port does not close the emulator.

        :raises ConfigurationError: already started or closed
        """
        return SimPort(
            f"sim://{self.profile.name}",
            emulator=self,
            timeout=timeout,
            write_timeout=write_timeout,
        )

    def attach(self) -> socket.socket:
        """Serve a new socketpair; returns the client's end (what :class:`SimPort` opens).

        :raises ConfigurationError: already started or closed
        """
        with self._lock:
            return self._link.start_socket()

    def feed(self, data: bytes) -> bytes:
        """In-process mode: hand the modem bytes, get back everything it answers.

        :raises ModemUnpluggedError: after ``unplug()``
        :raises ConfigurationError: the emulator is serving a pty or port
        """
        with self._lock:
            if self._link.serving or self._link.closed:
                raise ConfigurationError("feed() is only for an emulator not started or closed")
            if self._link.unplugged:
                raise ModemUnpluggedError(errno.EIO, "the emulated modem was unplugged")
            self._link.poll()
            self._line.receive(bytes(data))
            self._line.tick()
            return self._link.drain()

    def close(self) -> None:
        """Stop the thread and close the pty, the port link and every bridged socket.

        Idempotent.
        """
        self._link.close()
        with self._lock:
            self._release_sockets()

    def __enter__(self) -> ModemEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self._link.device or ("in-process" if self._link.serving else "feed")
        return f"<ModemEmulator {self.profile.name} {where}>"

    # --- what the parts ask of the whole ------------------------------------------

    def _release_sockets(self) -> None:
        for table in self._socket_tables:
            table.close_all()

    def _restore_settings(self) -> None:
        """ATZ / AT&F."""
        self._line.reset_settings()
        self._network.reset_settings()

    def _reboot(self) -> None:
        """A rebooting +CFUN: settings back, sockets and data contexts gone, GNSS off."""
        self._restore_settings()
        self._release_sockets()
        self._packet.reset()
        if self._psd is not None:
            self._psd.active = False
        if self._gnss is not None:
            self._gnss.on = False
