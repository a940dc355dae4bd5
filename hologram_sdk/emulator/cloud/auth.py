"""The local cloud's side of TOTP and SIM-OTP: device secrets, nonces, verification.

Kept apart from the server loop, which only asks three things of it: is this
connection's input a compact request (:func:`frame`), a nonce for a
connection that sent ``N`` (:meth:`AuthVerifier.issue_nonce`), and the reply to
a whole request (:meth:`CompactHandler.handle`).

* TOTP: the request's ICCID names a listed device; its timestamp must be
  within ``window`` steps of the cloud's clock (±1 by default), its OTP the
  one the device's IMSI gives for that timestamp, and the request not one
  already accepted (same device, timestamp and fields: a replay). A device
  may send many requests per time step; the client gives a repeated request
  the next second.
* SIM-OTP: a nonce is issued on the connection that asked for it, used once
  and only within ``nonce_ttl`` seconds; the token is recomputed from the
  device's Ki/OPc with MILENAGE (what its SIM computes).

A refusal answers ``3`` (ERR_AUTHINVALID) and is logged with its reason and
the device's name, never an OTP, token, key or IMSI. The secrets live in
memory only: the database gets the device name and what it sent.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Protocol

from hologram_sdk.base.digits import is_digits
from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.cloud.records import loggable
from hologram_sdk.wire.auth import compact, milenage, otp, simotp

logger = logging.getLogger(__name__)

METHODS = ("totp", "sim-otp", "csrpsk")
DEFAULT_WINDOW = 1
DEFAULT_NONCE_TTL = 30.0
_AUTH_FIELDS = ("auth", "iccid", "imsi", "ki", "opc", "op")
_HEX32 = frozenset("0123456789abcdefABCDEF")
_E164 = re.compile(r"^\+[0-9]{7,15}$")

# reply codes (wire.protocol.ResultCode), as the compact format answers them: digits
ERR_OK = 0
ERR_AUTHINVALID = 3
ERR_INTERNAL = 6


class _Store(Protocol):
    def add_message(self, device: str, topics: list[str], data: str) -> Any: ...

    def add_sms(self, device: str, destination: str, text: str) -> Any: ...


@dataclass(frozen=True)
class AuthDevice:
    """A TOTP or SIM-OTP device of the ``--devices`` file (``repr`` masks its secrets)."""

    name: str
    method: str  # "totp" or "sim-otp"
    iccid: str
    imsi: str = field(repr=False)
    ki: Optional[bytes] = field(default=None, repr=False)
    opc: Optional[bytes] = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"AuthDevice({self.name!r}, {self.method}, masked)"


def _key16(value: object, name: str, where: str) -> bytes:
    text = str(value) if isinstance(value, str) else ""
    if len(text) != 32 or not set(text) <= _HEX32:
        raise ConfigurationError(f"{where}: '{name}' must be 32 hex digits (16 bytes)")
    return bytes.fromhex(text)


def entry_method(entry: Mapping[str, Any], where: str = "devices file") -> str:
    """The ``auth`` of a devices-file entry (given, or from the fields present).

    :raises ConfigurationError: an unknown ``auth``
    """
    method = entry.get("auth")
    if method is None:
        if entry.get("ki"):
            return "sim-otp"
        if entry.get("iccid") and entry.get("imsi") and not entry.get("devicekey"):
            return "totp"
        return "csrpsk"
    if method not in METHODS:
        raise ConfigurationError(f"{where}: 'auth' must be one of {', '.join(METHODS)}")
    return str(method)


def is_auth_entry(entry: Mapping[str, Any]) -> bool:
    """Whether a devices-file entry is a TOTP/SIM-OTP device (this module's, not csrpsk)."""
    try:
        return entry_method(entry) != "csrpsk"
    except ConfigurationError:
        return True  # let parse_entry say what is wrong


def parse_entry(entry: Mapping[str, Any], name: str, where: str) -> Optional[AuthDevice]:
    """The :class:`AuthDevice` of one devices-file entry, or ``None`` for a csrpsk one.

    :raises ConfigurationError: a missing or malformed field
    """
    method = entry_method(entry, where)
    if method == "csrpsk":
        return None
    for key in _AUTH_FIELDS:
        if key in entry and not isinstance(entry[key], str):
            raise ConfigurationError(f"{where}: '{key}' must be a string (quote it)")
    iccid, imsi = entry.get("iccid", ""), entry.get("imsi", "")
    if not (is_digits(iccid) and 18 <= len(iccid) <= 22):
        raise ConfigurationError(f"{where}: '{method}' needs 'iccid' (18 to 22 digits)")
    if not (is_digits(imsi) and 6 <= len(imsi) <= 15):
        raise ConfigurationError(f"{where}: '{method}' needs 'imsi' (6 to 15 digits)")
    if method == "totp":
        return AuthDevice(name, method, iccid, imsi)
    ki = _key16(entry.get("ki"), "ki", where)
    if entry.get("opc") and entry.get("op"):
        raise ConfigurationError(f"{where}: give 'opc' or 'op', not both")
    if entry.get("op"):
        opc = milenage.opc_from_op(ki, _key16(entry["op"], "op", where))
    else:
        opc = _key16(entry.get("opc"), "opc", where)
    return AuthDevice(name, method, iccid, imsi, ki, opc)


def load_auth_devices(entries: Iterable[tuple[str, Mapping[str, Any], str]]) -> list[AuthDevice]:
    """The TOTP/SIM-OTP devices among ``(name, entry, where)`` of a devices file.

    :raises ConfigurationError: a bad entry, or one ICCID listed twice
    """
    devices: list[AuthDevice] = []
    seen: set[str] = set()
    for name, entry, where in entries:
        device = parse_entry(entry, name, where)
        if device is None:
            continue
        if device.iccid in seen:
            raise ConfigurationError(f"{where}: the iccid of {name!r} is listed twice")
        seen.add(device.iccid)
        devices.append(device)
    return devices


@dataclass
class NonceTicket:
    """The nonce issued on one connection (kept on the connection, used once)."""

    nonce: bytes = field(repr=False)
    expires: float


class AuthRefused(Exception):
    """A request refused with ERR_AUTHINVALID; ``reason`` is safe to log."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _mask_iccid(iccid: str) -> str:
    return iccid[:2] + "*" * max(len(iccid) - 2, 0)


class AuthVerifier:
    """Checks TOTP and SIM-OTP requests against the listed devices.

    :param devices: the TOTP/SIM-OTP devices
    :param window: time steps a timestamp may be off the cloud's clock (±)
    :param step: seconds per time step
    :param nonce_ttl: seconds a SIM-OTP nonce stays valid
    :param clock: the cloud's Unix time
    :param monotonic: for nonce expiry
    :param random: ``n -> n random bytes`` for nonces
    """

    def __init__(
        self,
        devices: Iterable[AuthDevice] = (),
        *,
        window: int = DEFAULT_WINDOW,
        step: int = otp.DEFAULT_STEP,
        nonce_ttl: float = DEFAULT_NONCE_TTL,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        random: Callable[[int], bytes] = os.urandom,
    ) -> None:
        if window < 0 or step <= 0 or nonce_ttl <= 0:
            raise ConfigurationError("window must be >= 0, step and nonce_ttl > 0")
        self._devices = {d.iccid: d for d in devices}
        self.window = window
        self.step = step
        self.nonce_ttl = nonce_ttl
        self._clock = clock
        self._monotonic = monotonic
        self._random = random
        self._lock = threading.Lock()
        #: per device, (timestamp, fields digest) accepted within the window (replays)
        self._seen: dict[str, set[tuple[int, bytes]]] = {}

    def __len__(self) -> int:
        return len(self._devices)

    def issue_nonce(self) -> NonceTicket:
        """A fresh nonce for a connection that sent ``N``."""
        return NonceTicket(self._random(compact.NONCE_SIZE), self._monotonic() + self.nonce_ttl)

    def _device(self, request: compact.CompactRequest) -> AuthDevice:
        device = self._devices.get(request.device_id)
        if device is None:
            raise AuthRefused(f"unknown device {_mask_iccid(request.device_id)}")
        if device.method != request.method:
            raise AuthRefused(f"{device.name} is a {device.method} device, not {request.method}")
        return device

    def _check_time(self, device: AuthDevice, timestamp: int) -> None:
        off = abs(timestamp // self.step - int(self._clock()) // self.step)
        if off > self.window:
            raise AuthRefused(
                f"{device.name}: timestamp {off} steps off the cloud's clock "
                f"(at most {self.window})"
            )

    def verify(
        self, request: compact.CompactRequest, ticket: Optional[NonceTicket] = None
    ) -> AuthDevice:
        """The device that sent ``request`` once its OTP or token checks out.

        :param ticket: the nonce issued on the request's connection (SIM-OTP)
        :raises AuthRefused: with a reason that holds no secret
        """
        device = self._device(request)
        self._check_time(device, request.timestamp)
        if device.method == "totp":
            expected = str(otp.totp(device.imsi.encode("ascii"), request.timestamp, self.step))
            if not hmac.compare_digest(expected, request.credential):
                raise AuthRefused(f"{device.name}: wrong one-time password")
            self._remember(device, request.timestamp, request.digest)
            return device
        if ticket is None:
            raise AuthRefused(f"{device.name}: no nonce was issued on this connection")
        if self._monotonic() > ticket.expires:
            raise AuthRefused(f"{device.name}: the nonce expired")
        assert device.ki is not None and device.opc is not None  # parse_entry made sure
        rand = simotp.derive_rand(device.imsi, device.iccid, ticket.nonce, request.timestamp)
        sres, kc = milenage.Milenage(device.ki, opc=device.opc).gsm(rand)
        expected = simotp.token(sres, kc, request.timestamp)
        if not hmac.compare_digest(expected, request.credential):
            raise AuthRefused(f"{device.name}: wrong SIM-OTP token")
        return device

    def _remember(self, device: AuthDevice, timestamp: int, digest: bytes) -> None:
        now_step = int(self._clock()) // self.step
        key = (timestamp, digest)
        with self._lock:
            seen = self._seen.setdefault(device.iccid, set())
            if key in seen:
                raise AuthRefused(f"{device.name}: request replayed (same OTP and content)")
            # only timestamps still inside the window can come back: forget older ones
            oldest = (now_step - self.window - 1) * self.step
            if len(seen) > 64:  # prune now and then, not on every request
                seen.difference_update([k for k in seen if k[0] < oldest])
            seen.add(key)


is_compact = compact.is_compact


def frame(buffer: bytes) -> Optional[str]:
    """What a connection's input is so far: ``"nonce"`` (``N``), ``"request"`` (a whole
    compact request), ``"partial"`` (a compact one still coming) or ``None`` (not compact).
    """
    if not compact.is_compact(buffer):
        return None
    if buffer == compact.NONCE_REQUEST:
        return "nonce"
    return "request" if compact.request_complete(buffer) else "partial"


class CompactHandler:
    """Answers whole compact requests: decode, verify, store (never raises).

    :param verifier: the device checks
    :param store: where accepted messages and SMS go (``add_message``/``add_sms``)
    """

    def __init__(
        self, verifier: AuthVerifier, store: _Store, *, log: logging.Logger = logger
    ) -> None:
        self.verifier = verifier
        self.store = store
        self.log = log

    def handle(self, body: bytes, ticket: Optional[NonceTicket], peer: str = "-") -> bytes:
        """The reply (ASCII digits) to one whole compact request."""
        try:
            request = compact.decode(body)
        except compact.CompactError as exc:
            self.log.info("compact request from %s refused: %d (%s)", peer, exc.code, exc.reason)
            return str(exc.code).encode()
        if request.destination is not None and not _E164.match(request.destination):
            self.log.info("compact sms from %s refused: 2 (destination not E.164)", peer)
            return b"2"
        try:
            device = self.verifier.verify(request, ticket)
        except AuthRefused as exc:
            self.log.info(
                "%s %s from %s refused: %d (%s)",
                request.method,
                request.kind,
                peer,
                ERR_AUTHINVALID,
                exc.reason,
            )
            return str(ERR_AUTHINVALID).encode()
        try:
            if request.kind == "sms":
                assert request.destination is not None
                self.store.add_sms(device.name, request.destination, request.data)
                self.log.info(
                    "sms from %s (%s) to %s: 0", device.name, device.method, request.destination
                )
            else:
                self.store.add_message(device.name, request.topics, request.data)
                topics = loggable(", ".join(request.topics)) if request.topics else "none"
                self.log.info(
                    "message from %s (%s): 0 (topics: %s)", device.name, device.method, topics
                )
        except Exception:
            self.log.exception("%s request from %s: internal error", request.method, peer)
            return str(ERR_INTERNAL).encode()
        return str(ERR_OK).encode()


def load_auth_devices_file(path: os.PathLike[str] | str) -> list[AuthDevice]:
    """The TOTP/SIM-OTP devices of a ``--devices`` file (the local cloud reads the
    csrpsk ones itself). Entries are numbered and named as the local cloud does.

    :raises ConfigurationError: unreadable file or a bad entry
    """
    import hjson

    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as f:
            parsed = hjson.load(f)
    except (OSError, UnicodeDecodeError, hjson.HjsonDecodeError) as exc:
        raise ConfigurationError(f"cannot read devices file {name}: {exc}") from None
    entries = parsed.get("devices") if isinstance(parsed, dict) else parsed
    if not isinstance(entries, list):
        return []
    return load_auth_devices(
        (str(e.get("name") or f"device-{i}"), e, f"devices file {name}, entry {i}")
        for i, e in enumerate(entries, start=1)
        if isinstance(e, dict) and is_auth_entry(e)
    )
