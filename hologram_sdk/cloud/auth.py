"""How ``HologramCloud`` authenticates: CSRPSK (device key), TOTP and SIM-OTP.

* ``csrpsk``: the JSON requests of :mod:`~hologram_sdk.wire.protocol`
  (``cloud_id``/``cloud_key`` or ``devicekey``), unchanged.
* ``totp``: the SIM's ICCID is the device id and its IMSI the key, both read
  from the modem once; each request carries a fresh 6-digit TOTP.
* ``sim-otp``: per request, the cloud's nonce, the SIM's AUTHENTICATE
  (``AT+CSIM``) and a token from SRES/Kc; nothing secret is kept on the device.

**Which method when none is named.** The 0.10 SDK defaulted to ``totp``; the
2017 reference (and our API until now) had only credentials. So:
``authentication_type=None`` means ``csrpsk`` when the credentials carry a
``devicekey`` or ``cloud_id``/``cloud_key`` (or are ``None``: a cloud that
only receives), and ``totp`` for credentials without a key (0.10's
``HologramCloud(dict(), network='cellular')``). A subclass may set
``default_authentication_type`` (the 0.10 face sets ``'totp'``): then a
``devicekey`` alone means that default too, while ``cloud_id``/``cloud_key``
(which only the 2017 SDK had) still mean ``csrpsk``.

Nothing here logs an OTP, a token, SRES/Kc or the IMSI, and ``repr`` masks them.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any, Callable, Optional, Union

from hologram_sdk.base.errors import (
    AuthenticationError,
    ClockNotSetError,
    CloudConnectionError,
    CloudTimeoutError,
    HologramError,
)
from hologram_sdk.wire.auth import AUTHENTICATION_TYPES, compact, otp, simotp

logger = logging.getLogger(__name__)

#: the 0.10 message, word for word (its tests match it, misspelling included)
TOTP_IDENTITY_ERROR = "Unable to fetch device id or private key for TOTP authenication"

Clock = Callable[[], float]
SimAuthenticate = Callable[[bytes], tuple[bytes, bytes]]


def resolve_authentication_type(
    requested: Optional[str], credentials: Any, default: Optional[str] = None
) -> str:
    """The method to use (see the module docstring).

    :raises HologramError: ``Invalid authentication type: <x>`` (the 0.10 message)
    """
    if requested is not None:
        if requested not in AUTHENTICATION_TYPES:
            raise HologramError(f"Invalid authentication type: {requested}")
        return requested
    if default is not None and default not in AUTHENTICATION_TYPES:
        raise HologramError(f"Invalid authentication type: {default}")
    if credentials is None and default is None:
        return "csrpsk"  # a cloud that only receives, as before
    if credentials is not None and not isinstance(credentials, dict):
        return "csrpsk"  # not credentials at all: CredentialsError says so
    creds = credentials or {}
    if creds.get("cloud_id") or creds.get("cloud_key"):
        return "csrpsk"
    if creds.get("devicekey"):
        return default or "csrpsk"
    return default or "totp"


def checked_time(clock: Clock) -> int:
    """The time as whole Unix seconds, refusing a clock that was never set.

    :raises ClockNotSetError: it reads before 2020-01-01
    """
    now = int(clock())
    if now < otp.EARLIEST_VALID_TIME:
        shown = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(max(now, 0)))
        raise ClockNotSetError(
            f"the device clock reads {shown} UTC, before 2020: a one-time password would be "
            "refused; set the clock (NTP) or use the modem's (clock='modem')"
        )
    return now


class _Timestamps:
    """Timestamps that never go back, and never repeat a request already sent.

    The cloud refuses a request it has accepted before (same timestamp, same
    fields: a replay), so the same fields sent twice within one second get the
    next second; different requests share a second freely.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._last = 0
        self._sent: set[bytes] = set()  # digests of the fields sent at _last
        self._lock = threading.Lock()

    def next(self, fields: bytes = b"") -> int:
        now = checked_time(self._clock)
        digest = compact.fields_digest(fields)
        with self._lock:
            stamp = max(now, self._last)
            if stamp == self._last and digest in self._sent:
                stamp += 1
            if stamp != self._last:
                self._last, self._sent = stamp, set()
            self._sent.add(digest)
            return stamp


def read_identity(modem: Any) -> tuple[str, str]:
    """``(ICCID, IMSI)`` from the modem.

    :raises AuthenticationError: no modem, or it cannot tell (the 0.10 message)
    """
    if modem is None:
        logger.info("TOTP/SIM-OTP need a modem with the SIM: none was given")
        raise AuthenticationError(TOTP_IDENTITY_ERROR)
    try:
        iccid, imsi = modem.iccid, modem.imsi
    except Exception as exc:
        logger.info("cannot read the SIM's ICCID and IMSI from the modem: %s", exc)
        raise AuthenticationError(TOTP_IDENTITY_ERROR) from exc
    if not iccid or not imsi:
        logger.info("the modem gave no ICCID or no IMSI")
        raise AuthenticationError(TOTP_IDENTITY_ERROR)
    return str(iccid), str(imsi)


def sim_authenticator(modem: Any) -> SimAuthenticate:
    """The modem's ``sim_authenticate(rand)``, or the ``AT+CSIM`` primitive over it."""
    own = getattr(modem, "sim_authenticate", None)
    if callable(own):
        return own  # type: ignore[no-any-return]
    from hologram_sdk.modem.simauth import sim_authenticate

    return lambda rand: sim_authenticate(modem, rand)


def modem_clock(modem: Any) -> Clock:
    """A clock reading the modem's real-time clock (``AT+CCLK?``) each time."""
    from hologram_sdk.modem.simauth import read_clock

    return lambda: read_clock(modem)


class TOTPAuthenticator:
    """Builds TOTP requests (``C<iccid> <timestamp> <otp> `` + compact payload).

    :param device_id: the ICCID
    :param key: the IMSI (the HMAC key)
    :param clock: Unix seconds (``time.time``)
    :param step: seconds per time step (30)
    """

    method = "totp"

    def __init__(
        self, device_id: str, key: str, clock: Clock = time.time, step: int = otp.DEFAULT_STEP
    ) -> None:
        self._device_id = device_id
        self._key = key.encode("ascii")
        self._step = step
        self._timestamps = _Timestamps(clock)

    def __repr__(self) -> str:
        return "TOTPAuthenticator(masked)"

    def auth_string(self, fields: bytes = b"") -> str:
        """The auth string for a request carrying ``fields`` (see :func:`compact.payload`)."""
        timestamp = self._timestamps.next(fields)
        value = otp.totp(self._key, timestamp, self._step)
        return compact.totp_auth(self._device_id, timestamp, value)

    def encode(
        self,
        message: str,
        topics: Optional[list[str]] = None,
        metadata: Optional[str] = None,
        destination: Optional[str] = None,
    ) -> bytes:
        """One request, with the timestamp and OTP of the moment it is built."""
        fields = compact.encode("", message, topics, metadata, destination)
        return self.auth_string(fields).encode("ascii") + fields


class SIMOTPAuthenticator:
    """Builds SIM-OTP requests once the cloud's nonce is known.

    :param iccid: the SIM's ICCID (sent)
    :param imsi: its IMSI (only mixed into RAND, never sent)
    :param authenticate: ``rand -> (SRES, Kc)``, the SIM's AUTHENTICATE
    :param clock: Unix seconds
    """

    method = "sim-otp"

    def __init__(
        self, iccid: str, imsi: str, authenticate: SimAuthenticate, clock: Clock = time.time
    ) -> None:
        self._iccid = iccid
        self._imsi = imsi
        self._authenticate = authenticate
        self._clock = clock

    def __repr__(self) -> str:
        return "SIMOTPAuthenticator(masked)"

    def encode(
        self,
        nonce: bytes,
        message: str,
        topics: Optional[list[str]] = None,
        metadata: Optional[str] = None,
        destination: Optional[str] = None,
    ) -> bytes:
        """One request for ``nonce``: RAND, the SIM's answer, the token, the payload.

        :raises SIMAuthenticationError: the SIM refused (its status word)
        """
        timestamp = checked_time(self._clock)  # the nonce makes each request unique
        rand = simotp.derive_rand(self._imsi, self._iccid, nonce, timestamp)
        sres, kc = self._authenticate(rand)
        token = simotp.token(sres, kc, timestamp)
        auth = compact.simotp_auth(self._iccid, timestamp, token)
        return compact.encode(auth, message, topics, metadata, destination)


Connector = Callable[[tuple[str, int], float], socket.socket]


def exchange_with_nonce(
    host: str,
    port: int,
    build: Callable[[bytes], bytes],
    timeout: float,
    connect: Optional[Connector] = None,
) -> bytes:
    """The SIM-OTP exchange on one TCP connection: ``N``, the nonce, the request, the reply.

    ``timeout`` bounds the whole exchange, the SIM's AUTHENTICATE included.

    :param build: turns the nonce into the request bytes
    :returns: the reply bytes (the connection is closed)
    :raises CloudTimeoutError: no connection, no nonce or no reply in time
    :raises CloudConnectionError: refused, reset, or closed before the nonce
    """
    from hologram_sdk.transport.tcp import connect_tcp
    from hologram_sdk.wire.protocol import parse_reply

    if timeout <= 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
    deadline = time.monotonic() + timeout
    where = f"{host}:{port}"
    try:
        sock = (connect or connect_tcp)((host, port), timeout)
    except (socket.timeout, TimeoutError) as exc:
        raise CloudTimeoutError(f"no connection to {where} within {timeout:g} s") from exc
    except OSError as exc:
        raise CloudConnectionError(f"cannot connect to {where}: {exc}") from exc

    def left() -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("deadline passed")
        return remaining

    stage = "nonce"
    reply = b""
    try:
        sock.settimeout(left())
        sock.sendall(compact.NONCE_REQUEST)
        nonce = b""
        while len(nonce) < compact.NONCE_SIZE:
            sock.settimeout(left())
            chunk = sock.recv(compact.NONCE_SIZE - len(nonce))
            if not chunk:
                raise CloudConnectionError(f"{where} closed the connection without a nonce")
            nonce += chunk
        stage = "reply"
        request = build(nonce)
        sock.settimeout(left())
        sock.sendall(request)
        while True:
            sock.settimeout(left())
            chunk = sock.recv(4096)
            if not chunk:
                return reply
            reply += chunk
            if parse_reply(reply).complete:
                return reply
    except (socket.timeout, TimeoutError) as exc:
        if stage == "reply" and reply:
            return reply
        what = "nonce" if stage == "nonce" else "reply"
        raise CloudTimeoutError(f"no {what} from {where} within {timeout:g} s") from exc
    except OSError as exc:
        raise CloudConnectionError(f"connection to {where} failed: {exc}") from exc
    finally:
        sock.close()


def clock_from(clock: Union[str, Clock, None], modem: Callable[[], Any]) -> Clock:
    """A clock from ``HologramCloud(clock=...)``: ``None`` (the system clock),
    ``'modem'`` (its ``+CCLK``, read on each use) or any callable.

    :raises HologramError: anything else
    """
    if clock is None:
        return time.time
    if clock == "modem":
        return lambda: modem_clock(modem())()
    if callable(clock):
        return clock
    raise HologramError(f"clock must be None, 'modem' or a callable, not {clock!r}")
