"""The reference's ``Modem``: identity, signal, registration, SIM state and SMS over AT.

Why ~950 lines in one module: it is one class, the reference's ``Modem``, and
every method goes through the same AT channel under the same lock (a +CMTI read
on the URC thread must never switch the SMS mode under a caller). The value
types at the top (``Registration``, ``SIMState``, ``Signal``, ``SMSMessage``)
are what its properties return and are imported from here. Driver families add
behaviour in their own modules (``iota.py``, ``usocket.py``) on top of it.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any, Optional, Union

from hologram_sdk.base import events
from hologram_sdk.base.digits import is_digits
from hologram_sdk.base.errors import (
    ATCommandError,
    ConfigurationError,
    DriverNotAvailableError,
    HologramError,
    InvalidPhoneNumberError,
    ModemError,
    NoNetworkServiceError,
    SIMBusyError,
    SIMFailureError,
    SIMNotInsertedError,
    SIMPinRequiredError,
    SIMPukRequiredError,
)
from hologram_sdk.base.events import Event
from hologram_sdk.modem import pdu
from hologram_sdk.modem.at import ATChannel
from hologram_sdk.modem.at_codec import URC
from hologram_sdk.modem.control import ModemControl
from hologram_sdk.modem.ports import Opener
from hologram_sdk.modem.profiles import GENERIC_PROFILE, ModemProfile

logger = logging.getLogger(__name__)

#: broadcast with a :class:`Registration` when a +CREG/+CGREG/+CEREG URC changes it
REGISTRATION_CHANGED = events.MODEM_REGISTRATION
#: broadcast with a :class:`Signal` on Huawei ``^RSSI`` URCs
SIGNAL_CHANGED = events.MODEM_SIGNAL

CHATSCRIPT_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "network", "chatscripts")


class Registration(str, Enum):
    """Network registration state (``<stat>`` of +CREG/+CGREG/+CEREG)."""

    NOT_REGISTERED = "not_registered"
    HOME = "home"
    SEARCHING = "searching"
    DENIED = "denied"
    UNKNOWN = "unknown"
    ROAMING = "roaming"

    @property
    def registered(self) -> bool:
        """Home or roaming."""
        return self in (Registration.HOME, Registration.ROAMING)


_STAT_TO_REGISTRATION = {
    0: Registration.NOT_REGISTERED,
    1: Registration.HOME,
    2: Registration.SEARCHING,
    3: Registration.DENIED,
    4: Registration.UNKNOWN,
    5: Registration.ROAMING,
    6: Registration.HOME,  # SMS only, home
    7: Registration.ROAMING,  # SMS only, roaming
    8: Registration.NOT_REGISTERED,  # emergency services only
    9: Registration.HOME,  # CSFB not preferred, home
    10: Registration.ROAMING,  # CSFB not preferred, roaming
}


def registration_from_stat(stat: int) -> Registration:
    """Map a 27.007 ``<stat>`` number to :class:`Registration`."""
    return _STAT_TO_REGISTRATION.get(stat, Registration.UNKNOWN)


#: the registration read commands, in the order :attr:`Modem.registration` asks
_REGISTRATION_QUERIES = (("AT+CREG?", "+CREG"), ("AT+CGREG?", "+CGREG"), ("AT+CEREG?", "+CEREG"))
_REGISTRATION_DOMAINS = frozenset(prefix for _, prefix in _REGISTRATION_QUERIES)


def _best_registration(states: Iterable[Registration]) -> Registration:
    """Registered in any domain wins (home before roaming), then searching, then the rest."""
    order = (
        Registration.HOME,
        Registration.ROAMING,
        Registration.SEARCHING,
        Registration.DENIED,
        Registration.NOT_REGISTERED,
    )
    present = set(states)
    return next((state for state in order if state in present), Registration.UNKNOWN)


class SIMState(str, Enum):
    """What the SIM is doing (from ``AT+CPIN?`` or the CME error it gives)."""

    READY = "ready"
    ABSENT = "absent"
    PIN = "pin"
    PUK = "puk"
    PIN2 = "pin2"
    PUK2 = "puk2"
    PHONE_LOCKED = "phone_locked"
    FAILURE = "failure"
    BUSY = "busy"
    UNKNOWN = "unknown"


_CPIN_STATES = {
    "READY": SIMState.READY,
    "SIM PIN": SIMState.PIN,
    "SIM PUK": SIMState.PUK,
    "SIM PIN2": SIMState.PIN2,
    "SIM PUK2": SIMState.PUK2,
    "PH-SIM PIN": SIMState.PHONE_LOCKED,
    "PH-NET PIN": SIMState.PHONE_LOCKED,
    "NOT INSERTED": SIMState.ABSENT,
    "NOT READY": SIMState.BUSY,
}

_ERROR_STATES: tuple[tuple[type[ATCommandError], SIMState], ...] = (
    (SIMNotInsertedError, SIMState.ABSENT),
    (SIMPinRequiredError, SIMState.PIN),
    (SIMPukRequiredError, SIMState.PUK),
    (SIMFailureError, SIMState.FAILURE),
    (SIMBusyError, SIMState.BUSY),
)


@dataclass(frozen=True)
class Signal:
    """Signal quality from ``AT+CSQ`` (or a ``^RSSI`` URC).

    :param rssi: 0-31, or 99 when unknown
    :param ber: 0-7, or 99 when unknown
    """

    rssi: int
    ber: int = 99

    @property
    def dbm(self) -> Optional[int]:
        """Received power: 0 -> -113 dBm ... 31 -> -51 dBm; None when unknown."""
        if not 0 <= self.rssi <= 31:
            return None
        return -113 + 2 * self.rssi

    @property
    def percent(self) -> Optional[int]:
        """0-100 (rssi scaled over 0-31); None when unknown."""
        if not 0 <= self.rssi <= 31:
            return None
        return self.rssi * 100 // 31

    @property
    def bars(self) -> int:
        """0-5 bars, as a phone would show them."""
        if not 0 <= self.rssi <= 31:
            return 0
        for bars, threshold in ((5, 20), (4, 15), (3, 10), (2, 5), (1, 1)):
            if self.rssi >= threshold:
                return bars
        return 0

    def __str__(self) -> str:
        return f"{self.rssi},{self.ber}"


@dataclass(frozen=True)
class SMSMessage:
    """One stored or received SMS.

    :param index: its slot in the modem's storage (None for a direct delivery)
    :param sender: the originating (or destination, for stored outgoing) number
    :param text: the decoded text
    :param timestamp: the service centre time stamp, when known
    :param status: ``unread``, ``read``, ``unsent`` or ``sent``
    """

    index: Optional[int]
    sender: str
    text: str
    timestamp: Optional[datetime]
    status: str


_TEXT_STATUS = {
    "REC UNREAD": "unread",
    "REC READ": "read",
    "STO UNSENT": "unsent",
    "STO SENT": "sent",
    "ALL": "all",
}
_PDU_STATUS = {0: "unread", 1: "read", 2: "unsent", 3: "sent", 4: "all"}
_STATUS_TO_PDU = {v: k for k, v in _PDU_STATUS.items()}
_STATUS_TO_TEXT = {v: k for k, v in _TEXT_STATUS.items()}

_PHONE_RE = re.compile(r"^\+[1-9]\d{6,14}$")


def validate_number(number: str) -> str:
    """``number`` normalised (spaces and dashes removed) if it is E.164.

    :raises InvalidPhoneNumberError: not ``+`` then 7 to 15 digits
    """
    cleaned = re.sub(r"[\s\-().]", "", str(number))
    if not _PHONE_RE.match(cleaned):
        raise InvalidPhoneNumberError(
            f"not an E.164 number (a '+' then 7 to 15 digits): {number!r}"
        )
    return cleaned


def parse_scts(text: str) -> Optional[datetime]:
    """Parse a text-mode time stamp ``yy/MM/dd,hh:mm:ss±zz`` (zz in quarter hours)."""
    match = re.match(
        r"^\s*(\d{2})/(\d{2})/(\d{2}),(\d{2}):(\d{2}):(\d{2})(?:([+-])(\d{1,2}))?", text
    )
    if not match:
        return None
    yy, mo, dd, hh, mi, ss = (int(match.group(i)) for i in range(1, 7))
    offset = 0
    if match.group(7):
        offset = int(match.group(8)) * 15 * (-1 if match.group(7) == "-" else 1)
    try:
        return datetime(2000 + yy, mo, dd, hh, mi, ss, tzinfo=timezone(timedelta(minutes=offset)))
    except ValueError:
        return None


def split_fields(args: str) -> list[str]:
    """Split an AT answer's arguments on commas outside quotes (quotes removed)."""
    fields: list[str] = []
    current: list[str] = []
    quoted = False
    for char in args:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            fields.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    fields.append("".join(current).strip())
    return fields


#: characters that mean the same in ASCII and the GSM 7-bit default alphabet
TEXT_MODE_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 !\"#%&'()*+,-./:;<=>?"
)


def text_mode_safe(text: str) -> bool:
    """Whether ``text`` can travel in text mode with ``AT+CSCS="GSM"`` unchanged."""
    return all(char in TEXT_MODE_CHARACTERS for char in text)


@dataclass(frozen=True)
class DecodedPdu:
    """The parts of a stored PDU the SDK reports."""

    sender: str
    text: str
    timestamp: Optional[datetime]


def decode_stored_pdu(pdu_hex: str) -> DecodedPdu:
    """Decode a stored SMS-DELIVER (or a stored SMS-SUBMIT, with its destination).

    :raises ConfigurationError: malformed PDU
    """
    decoded = pdu.decode(pdu_hex)
    if isinstance(decoded, pdu.SmsDeliver):
        return DecodedPdu(decoded.sender, decoded.text, decoded.timestamp)
    return DecodedPdu(decoded.destination, decoded.text, None)


def _from_ucs2(value: str) -> str:
    """Decode a UCS-2 hex string (text mode with ``AT+CSCS="UCS2"``); else as is."""
    if value and len(value) % 4 == 0 and re.fullmatch(r"[0-9A-Fa-f]+", value):
        try:
            return pdu.decode_ucs2_hex(value)
        except (HologramError, ValueError):
            return value
    return value


def _answer(lines: list[str], prefix: str) -> Optional[str]:
    """The arguments of the last line starting with ``prefix:``."""
    for line in reversed(lines):
        if line.upper().startswith(prefix.upper() + ":"):
            return line[len(prefix) + 1 :].strip()
    return None


def _digits(lines: list[str], prefix: str, shortest: int, longest: int) -> Optional[str]:
    """The first line that is a number of ``shortest``..``longest`` digits
    (an optional ``prefix:`` and quotes are stripped)."""
    for line in lines:
        digits = re.sub(rf"^{re.escape(prefix)}:\s*", "", line).strip().strip('"')
        if is_digits(digits) and shortest <= len(digits) <= longest:
            return digits
    return None


def _plain(lines: list[str], prefix: Optional[str] = None) -> Optional[str]:
    """The first line of a prefix-less answer (an optional ``prefix:`` is stripped)."""
    for line in lines:
        if prefix and line.upper().startswith(prefix.upper() + ":"):
            return line[len(prefix) + 1 :].strip()
        if line.startswith(("+", "^")):
            continue
        return line.strip()
    return None


class Modem(ModemControl):
    """A cellular modem on a serial port (the reference's ``Modem`` base class).

    Constructing one never touches the hardware: the port opens on first use
    and closes with :meth:`close` (or the ``with`` block).

    :param mode: ``'ppp'`` (or ``'serial'`` where the profile allows it)
    :param deviceName: device path or any serial URL (``sim://e303``, ``socket://``...)
    :param baudRate: serial speed, as in the reference a string such as ``'9600'``
    :param chatScriptFile: chat script for PPP; None means the script shipped
        for this modem (``hologram_sdk/network/chatscripts/<name>``)
    :param channel: an :class:`ATChannel` to use (not closed by :meth:`close`)
    :param opener: passed to the :class:`ATChannel` the modem creates
    :param event: the :class:`Event` bus to broadcast on (default: a new one)
    :param link: the network layer's PPP link (``connect(timeout)``/``disconnect()``)
    :param timeout: default AT command timeout in seconds
    """

    profile: ModemProfile = GENERIC_PROFILE

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Give each modem class the reference's signature with its own default port.

        ``E303(mode='ppp', deviceName='/dev/ttyUSB0', baudRate='9600',
        chatScriptFile=None)`` and so on: the default ``deviceName`` shown is the
        class's ``profile.default_device``, which ``deviceName=None`` also picks.
        """
        super().__init_subclass__(**kwargs)
        if "__init__" in vars(cls):
            return  # a class with its own constructor shows its own signature
        base = inspect.signature(Modem.__init__)
        params = [
            p.replace(default=cls.profile.default_device) if p.name == "deviceName" else p
            for p in list(base.parameters.values())[1:]  # without self
        ]
        cls.__signature__ = base.replace(parameters=params)  # type: ignore[attr-defined]

    def __init__(
        self,
        mode: str = "ppp",
        deviceName: Optional[str] = None,
        baudRate: Union[str, int] = "9600",
        chatScriptFile: Optional[str] = None,
        *,
        channel: Optional[ATChannel] = None,
        opener: Optional[Opener] = None,
        event: Optional[Event] = None,
        link: Any = None,
        timeout: float = 5.0,
    ) -> None:
        mode = str(mode).lower()
        if mode not in self.profile.modes:
            raise ConfigurationError(
                f"{type(self).__name__} supports mode {' or '.join(self.profile.modes)}, "
                f"not {mode!r}"
            )
        try:
            self._baud = int(baudRate)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"baudRate must be a number, not {baudRate!r}") from exc
        self._mode = mode
        self._device = deviceName or self.profile.default_device
        self._chat_script = chatScriptFile
        self._opener = opener
        self._timeout = timeout
        self._channel = channel
        self._owns_channel = channel is None
        self._initialized = False
        self._lock = threading.RLock()
        # SMS operations are several commands (+CMGF, +CSCS, +CMGx): one at a time,
        # so a +CMTI read on the URC thread never switches modes under a caller
        self._sms_lock = threading.RLock()
        self._closed = False
        self._port_released = False
        self.event = event if event is not None else Event()
        self.link = link
        self._local_ip: Optional[str] = None
        self._remote_ip: Optional[str] = None
        self._last_registration: Optional[Registration] = None
        #: the last state each registration URC (+CREG, +CGREG, +CEREG) reported
        self._domains: dict[str, Registration] = {}
        self.log = logger.getChild(type(self).__name__)

    # -- lifecycle ------------------------------------------------------------

    def _at(self) -> ATChannel:
        with self._lock:
            if self._closed:
                raise ModemError(f"{type(self).__name__} on {self._device} is closed")
            if self._channel is None:
                self._channel = ATChannel(
                    self._device, self._baud, timeout=self._timeout, opener=self._opener
                )
            channel = self._channel
            if not self._initialized:
                channel.add_urc_handler(self._on_urc)
                if self._owns_channel:
                    channel.open()
                self._initialized = True
                try:
                    self._setup(channel)
                except BaseException:
                    self._initialized = False
                    channel.remove_urc_handler(self._on_urc)
                    raise
            return channel

    def initialize(self) -> None:
        """Open the port and send the set-up commands (echo off, verbose errors,
        SMS storage, +CMTI and registration URCs).

        Runs by itself on first use; call it again after anything that resets
        the modem (``ATZ``). Only the first command's failure is an error, the
        rest are best effort (modems differ in what they support).
        """
        with self._lock:
            was_initialized = self._initialized
            channel = self._at()
            if was_initialized:
                self._setup(channel)

    def _setup(self, channel: ATChannel) -> None:
        # V1 as well: a modem left in numeric mode (ATV0) by another program
        # answers "0\r" instead of "OK", which no command here would recognise.
        # The result of ATV1 itself comes in the verbose form.
        channel.command("ATE0V1")
        for command in (
            "AT+CMEE=2",
            'AT+CPMS="ME","ME","ME"',
            "AT+CNMI=2,1",
            "AT+CREG=2",
            "AT+CGREG=2",
            "AT+CEREG=2",  # LTE; 3G modems answer ERROR
        ):
            try:
                channel.command(command)
            except ATCommandError as exc:
                self.log.debug("%s not supported: %s", command, exc.result)

    def close(self) -> None:
        """Close the port (if the modem opened it); safe to call twice."""
        with self._lock:
            channel, self._channel = self._channel, None
            self._closed = True
            self._initialized = False
        if channel is not None:
            channel.remove_urc_handler(self._on_urc)
            if self._owns_channel:
                channel.close()

    def release_port(self) -> None:
        """Close the AT channel so another program (chat, pppd) can own the port.

        The channel is closed even when it was passed in, since it holds the
        same port. AT commands fail with
        :class:`~hologram_sdk.base.errors.ModemUnpluggedError` until :meth:`reacquire_port`.
        Nothing happens when the port was never opened.
        """
        with self._lock:
            channel = self._channel
            self._port_released = True
        if channel is not None:
            channel.close()

    def reacquire_port(self) -> None:
        """Reopen the AT channel closed by :meth:`release_port` and send the
        set-up commands again (chat's ``ATZ`` restored the modem's defaults).

        Does nothing unless the port was released, and nothing after :meth:`close`.

        :raises PortBusyError: another process still holds the port
        :raises SerialError: the port cannot be opened
        """
        with self._lock:
            if not self._port_released:
                return
            self._port_released = False
            channel = self._channel
            if channel is None or channel.is_open:
                return
            channel.open()
            self.initialize()

    def __enter__(self) -> Modem:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mode={self._mode!r}, deviceName={self._device!r})"

    # -- the reference's properties ---------------------------------------------

    @property
    def mode(self) -> str:
        """``'ppp'`` or ``'serial'``."""
        return self._mode

    @property
    def deviceName(self) -> str:
        """The device path or URL of the AT port."""
        return self._device

    @property
    def baudRate(self) -> str:
        """The serial speed, as the reference's string."""
        return str(self._baud)

    @property
    def chatScriptFile(self) -> str:
        """The chat script for PPP (the shipped one unless another was given)."""
        if self._chat_script:
            return self._chat_script
        return os.path.join(CHATSCRIPT_DIR, self.profile.chat_script)

    @property
    def localIPAddress(self) -> Optional[str]:
        """Our IP address on the cellular link; None while it is down."""
        return self._local_ip

    @property
    def remoteIPAddress(self) -> Optional[str]:
        """The peer's IP address on the cellular link; None while it is down."""
        return self._remote_ip

    def set_ip_addresses(self, local: Optional[str], remote: Optional[str]) -> None:
        """For the network layer: record the link's addresses (None when down)."""
        self._local_ip = local
        self._remote_ip = remote

    def connect(self, timeout: float = 200) -> bool:
        """Bring the cellular data link up through the network layer's link.

        :raises DriverNotAvailableError: no link was attached
        """
        if self.link is None:
            raise DriverNotAvailableError(
                f"{type(self).__name__}.connect() needs a network link: use "
                "hologram_sdk.network (Cellular / NetworkManager) to bring PPP up"
            )
        return bool(self.link.connect(timeout))

    def disconnect(self) -> bool:
        """Take the cellular data link down through the network layer's link.

        :raises DriverNotAvailableError: no link was attached
        """
        if self.link is None:
            raise DriverNotAvailableError(
                f"{type(self).__name__}.disconnect() needs a network link: use "
                "hologram_sdk.network (Cellular / NetworkManager)"
            )
        return bool(self.link.disconnect())

    # -- raw access ----------------------------------------------------------------

    def command(self, command: str, timeout: Optional[float] = None) -> list[str]:
        """Send one AT command line and return its information lines.

        :raises ATCommandError: the modem answered an error (typed by CME code)
        :raises ModemTimeoutError: no final result in time
        """
        return self._at().command(command, timeout=timeout)

    # -- identity --------------------------------------------------------------------

    @property
    def imei(self) -> Optional[str]:
        """The modem's IMEI (``AT+CGSN``)."""
        return _digits(self.command("AT+CGSN"), "+CGSN", 14, 17)

    @property
    def imsi(self) -> Optional[str]:
        """The SIM's IMSI (``AT+CIMI``).

        :raises SIMNotInsertedError: and the other SIM errors
        """
        return _digits(self.command("AT+CIMI"), "+CIMI", 6, 15)

    @property
    def iccid(self) -> Optional[str]:
        """The SIM's ICCID (``AT+CCID``; ``AT^ICCID?`` on Huawei firmware without it).

        :raises SIMNotInsertedError: and the other SIM errors
        """
        try:
            value = _answer(self.command("AT+CCID"), "+CCID")
        except (SIMNotInsertedError, SIMPinRequiredError, SIMPukRequiredError, SIMFailureError):
            raise
        except ATCommandError:
            if not self.profile.huawei_iccid:
                raise
            value = None
        if value is None and self.profile.huawei_iccid:
            value = _answer(self.command("AT^ICCID?"), "^ICCID")
        if value is None:
            return None
        value = value.strip().strip('"')
        return value[:-1] if value[-1:] in "Ff" and value else value

    @property
    def manufacturer(self) -> Optional[str]:
        """``AT+CGMI``."""
        return _plain(self.command("AT+CGMI"), "+CGMI")

    @property
    def model(self) -> Optional[str]:
        """``AT+CGMM``."""
        return _plain(self.command("AT+CGMM"), "+CGMM")

    @property
    def revision(self) -> Optional[str]:
        """``AT+CGMR`` (firmware version)."""
        return _plain(self.command("AT+CGMR"), "+CGMR")

    @property
    def operator(self) -> Optional[str]:
        """The network operator's long name; None when not registered."""
        try:
            self.command("AT+COPS=3,0")
        except ATCommandError as exc:
            self.log.debug("AT+COPS=3,0 refused: %s", exc.result)
        args = _answer(self.command("AT+COPS?"), "+COPS")
        if args is None:
            return None
        fields = split_fields(args)
        return fields[2] if len(fields) >= 3 and fields[2] else None

    # -- radio -------------------------------------------------------------------------

    @property
    def signal(self) -> Signal:
        """Signal quality (``AT+CSQ``); rssi 99 when the modem does not know."""
        args = _answer(self.command("AT+CSQ"), "+CSQ")
        if args is None:
            raise ModemError("AT+CSQ gave no +CSQ line")
        fields = split_fields(args)
        try:
            rssi = int(fields[0])
            ber = int(fields[1]) if len(fields) > 1 and fields[1] else 99
        except ValueError as exc:
            raise ModemError(f"cannot parse +CSQ: {args!r}") from exc
        return Signal(rssi, ber)

    @property
    def registration(self) -> Registration:
        """The best registration of the three domains.

        Circuit-switched (``AT+CREG?``), packet (``AT+CGREG?``), then EPS
        (``AT+CEREG?``): an LTE Cat-M modem (e.g. the Nova R410) is registered
        in EPS only, while its +CREG says "not registered". The first domain
        that is registered answers (later ones are not asked); otherwise the
        most hopeful state of those known (searching before denied before
        not registered).
        """
        states: list[Registration] = []
        for command, prefix in _REGISTRATION_QUERIES:
            try:
                args = _answer(self.command(command), prefix)
            except (NoNetworkServiceError, SIMNotInsertedError):
                raise
            except ATCommandError as exc:
                self.log.debug("%s refused: %s", command, exc.result)
                continue
            if args is None:
                continue
            fields = split_fields(args)
            if len(fields) < 2 or not is_digits(fields[1]):
                continue
            state = registration_from_stat(int(fields[1]))
            if state.registered:
                return state
            states.append(state)
        return _best_registration(states)

    @property
    def sim_state(self) -> SIMState:
        """The SIM's state; errors 10-14 are mapped to states, not raised."""
        try:
            args = _answer(self.command("AT+CPIN?"), "+CPIN")
        except ATCommandError as exc:
            for cls, state in _ERROR_STATES:
                if isinstance(exc, cls):
                    return state
            if exc.cme_code == 15:
                return SIMState.FAILURE
            return SIMState.UNKNOWN
        if args is None:
            return SIMState.UNKNOWN
        return _CPIN_STATES.get(args.strip().strip('"').upper(), SIMState.UNKNOWN)

    # -- SMS ------------------------------------------------------------------------------

    def _set_sms_mode(self, mode: int) -> None:
        # always sent: a raw command() may have changed it behind our back
        self.command(f"AT+CMGF={mode}")

    def _text_charset_ucs2(self) -> bool:
        """Text-mode reads in UCS-2 (hex) so any alphabet survives; GSM if refused."""
        try:
            self.command('AT+CSCS="UCS2"')
            return True
        except ATCommandError:
            self.command('AT+CSCS="GSM"')
            return False

    def _text_mode_read(self, command: str) -> tuple[list[str], bool]:
        """Run an SMS read in text mode, in UCS-2 when the modem allows it.

        :returns: the answer lines, and whether they are UCS-2 hex
        """
        self._set_sms_mode(1)
        ucs2 = self._text_charset_ucs2()
        try:
            return self.command(command, timeout=30.0), ucs2
        finally:
            if ucs2:
                self.command('AT+CSCS="GSM"')

    def send_sms(self, number: str, text: str, mode: str = "text") -> int:
        """Send an SMS through the modem.

        Text mode (``AT+CMGF=1``, ``AT+CSCS="GSM"``) is used for text that the
        GSM 7-bit alphabet carries as plain ASCII; anything else (UCS-2,
        accents, extension characters) goes in PDU mode.

        :param number: E.164 destination (``+`` then 7-15 digits)
        :param text: up to 160 GSM 7-bit characters, or 70 UCS-2 characters
        :param mode: ``'text'`` or ``'pdu'``
        :returns: the message reference the modem assigned
        :raises InvalidPhoneNumberError: the number is not E.164
        :raises MessageTooLongError: over the single-message limit
        """
        with self._sms_lock:
            return self._send_sms(number, text, mode)

    def _send_sms(self, number: str, text: str, mode: str) -> int:
        number = validate_number(number)
        if mode not in ("text", "pdu"):
            raise ConfigurationError(f"SMS mode must be 'text' or 'pdu', not {mode!r}")
        if not isinstance(text, str):
            raise ConfigurationError("SMS text must be a str")
        pdu.check_length(text)
        if mode == "text" and not text_mode_safe(text):
            self.log.debug("text needs PDU mode; switching")
            mode = "pdu"
        timeout = max(self._timeout, 30.0)
        if mode == "text":
            self._set_sms_mode(1)
            self.command('AT+CSCS="GSM"')
            lines = self._at().command(
                f'AT+CMGS="{number}"', timeout=timeout, expect_prompt=True, payload=text
            )
        else:
            self._set_sms_mode(0)
            encoded = pdu.encode_submit(number, text)
            lines = self._at().command(
                f"AT+CMGS={encoded.tpdu_length}",
                timeout=timeout,
                expect_prompt=True,
                payload=encoded.hex,
            )
        reference = _answer(lines, "+CMGS")
        self.log.info("SMS sent (reference %s)", reference)
        try:
            return int(split_fields(reference)[0]) if reference else -1
        except ValueError:
            return -1

    def list_sms(self, status: str = "all", mode: str = "pdu") -> list[SMSMessage]:
        """List stored messages.

        :param status: ``all``, ``unread``, ``read``, ``unsent`` or ``sent``
        :param mode: read in ``'pdu'`` (default, any alphabet) or ``'text'`` mode
        """
        with self._sms_lock:
            return self._list_sms(status, mode)

    def _list_sms(self, status: str, mode: str) -> list[SMSMessage]:
        if status not in _STATUS_TO_PDU:
            raise ConfigurationError(f"status must be one of {sorted(_STATUS_TO_PDU)}")
        if mode == "pdu":
            self._set_sms_mode(0)
            lines = self.command(f"AT+CMGL={_STATUS_TO_PDU[status]}", timeout=30.0)
            return self._parse_pdu_entries(lines, "+CMGL", None)
        if mode == "text":
            lines, ucs2 = self._text_mode_read(f'AT+CMGL="{_STATUS_TO_TEXT[status]}"')
            return self._parse_text_entries(lines, "+CMGL", None, ucs2)
        raise ConfigurationError(f"SMS mode must be 'text' or 'pdu', not {mode!r}")

    def read_sms(self, index: int, mode: str = "pdu") -> Optional[SMSMessage]:
        """Read the message at ``index``; None when the slot is empty."""
        with self._sms_lock:
            return self._read_sms(int(index), mode)

    def _read_sms(self, index: int, mode: str) -> Optional[SMSMessage]:
        if mode == "pdu":
            self._set_sms_mode(0)
            lines = self.command(f"AT+CMGR={index}", timeout=30.0)
            found = self._parse_pdu_entries(lines, "+CMGR", index)
        elif mode == "text":
            lines, ucs2 = self._text_mode_read(f"AT+CMGR={index}")
            found = self._parse_text_entries(lines, "+CMGR", index, ucs2)
        else:
            raise ConfigurationError(f"SMS mode must be 'text' or 'pdu', not {mode!r}")
        return found[0] if found else None

    def delete_sms(self, index: int) -> None:
        """Delete the message at ``index``."""
        with self._sms_lock:
            self.command(f"AT+CMGD={int(index)}", timeout=30.0)

    def _parse_pdu_entries(
        self, lines: list[str], prefix: str, index: Optional[int]
    ) -> list[SMSMessage]:
        found: list[SMSMessage] = []
        position = 0
        while position < len(lines):
            line = lines[position]
            position += 1
            if not line.upper().startswith(prefix + ":"):
                continue
            fields = split_fields(line[len(prefix) + 1 :])
            if position >= len(lines):
                break
            pdu_hex = lines[position].strip()
            position += 1
            if prefix == "+CMGL":
                slot: Optional[int] = int(fields[0]) if is_digits(fields[0]) else None
                stat_field = fields[1] if len(fields) > 1 else ""
            else:
                slot, stat_field = index, fields[0]
            status = _PDU_STATUS.get(int(stat_field), "read") if is_digits(stat_field) else "read"
            try:
                decoded = decode_stored_pdu(pdu_hex)
            except (HologramError, ValueError) as exc:
                self.log.warning("skipping undecodable SMS at %s: %s", slot, exc)
                continue
            found.append(SMSMessage(slot, decoded.sender, decoded.text, decoded.timestamp, status))
        return found

    def _parse_text_entries(
        self, lines: list[str], prefix: str, index: Optional[int], ucs2: bool = False
    ) -> list[SMSMessage]:
        found: list[SMSMessage] = []
        position = 0
        while position < len(lines):
            line = lines[position]
            position += 1
            if not line.upper().startswith(prefix + ":"):
                continue
            fields = split_fields(line[len(prefix) + 1 :])
            if prefix == "+CMGL":
                slot: Optional[int] = int(fields[0]) if is_digits(fields[0]) else None
                fields = fields[1:]
            else:
                slot = index
            body: list[str] = []
            while position < len(lines) and not lines[position].upper().startswith(prefix + ":"):
                body.append(lines[position])
                position += 1
            status = _TEXT_STATUS.get(fields[0].upper(), "read") if fields else "read"
            sender = fields[1] if len(fields) > 1 else ""
            stamp = fields[3] if len(fields) > 3 else ""
            text = "\n".join(body)
            if ucs2:
                sender, text = _from_ucs2(sender), _from_ucs2(text)
            found.append(SMSMessage(slot, sender, text, parse_scts(stamp), status))
        return found

    # -- URCs ------------------------------------------------------------------------------

    def _on_urc(self, urc: URC) -> None:
        """Runs on the channel's dispatcher thread (never inside a command)."""
        if urc.name == "+CMTI":
            fields = urc.fields
            if len(fields) >= 2 and is_digits(fields[1]):
                self._receive_stored_sms(int(fields[1]))
        elif urc.name == "+CMT" and urc.body:
            try:
                decoded = decode_stored_pdu(urc.body)
            except (HologramError, ValueError):
                fields = split_fields(urc.args)
                message = SMSMessage(None, fields[0] if fields else "", urc.body, None, "unread")
            else:
                message = SMSMessage(
                    None, decoded.sender, decoded.text, decoded.timestamp, "unread"
                )
            self.event.broadcast(events.SMS_RECEIVED, message)
        elif urc.name in _REGISTRATION_DOMAINS:
            fields = urc.fields
            if fields and is_digits(fields[0]):
                # one domain's news; the modem's state is the best of them
                self._domains[urc.name] = registration_from_stat(int(fields[0]))
                state = _best_registration(self._domains.values())
                if state != self._last_registration:
                    self._last_registration = state
                    self.event.broadcast(events.MODEM_REGISTRATION, state)
        elif urc.name == "^RSSI":
            value = urc.args.strip()
            if is_digits(value):
                self.event.broadcast(events.MODEM_SIGNAL, Signal(int(value), 99))

    def _receive_stored_sms(self, index: int) -> None:
        try:
            message = self.read_sms(index)
        except HologramError as exc:
            self.log.warning("could not read incoming SMS %d: %s", index, exc)
            return
        if message is not None:
            self.log.info("SMS received at index %d", index)
            self.event.broadcast(events.SMS_RECEIVED, message)
