"""``HologramCloud``: messages and SMS to the Hologram cloud, with its result codes."""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar, Optional, Union

from hologram_sdk.base.errors import AuthenticationError, ConfigurationError, CredentialsError
from hologram_sdk.base.events import MESSAGE_SENT
from hologram_sdk.cloud import auth as _auth
from hologram_sdk.cloud.custom import CustomCloud, Message
from hologram_sdk.wire import protocol
from hologram_sdk.wire.protocol import ResultCode

DEFAULT_SEND_HOST = "cloudsocket.hologram.io"
DEFAULT_SEND_PORT = 9999
DEFAULT_RECEIVE_HOST = "0.0.0.0"
DEFAULT_RECEIVE_PORT = 4010

ERR_OK = ResultCode.ERR_OK
ERR_CONNCLOSED = ResultCode.ERR_CONNCLOSED
ERR_MSGINVALID = ResultCode.ERR_MSGINVALID
ERR_AUTHINVALID = ResultCode.ERR_AUTHINVALID
ERR_PAYLOADINVALID = ResultCode.ERR_PAYLOADINVALID
ERR_PROTINVALID = ResultCode.ERR_PROTINVALID
ERR_INTERNAL = ResultCode.ERR_INTERNAL
ERR_METADATA = ResultCode.ERR_METADATA
ERR_TOPICINVALID = ResultCode.ERR_TOPICINVALID
ERR_UNKNOWN = ResultCode.ERR_UNKNOWN
ERR_QUEUED = ResultCode.ERR_QUEUED

_SECRET_FIELDS = re.compile(r'("(?:s|c|k|devicekey|cloud_id|cloud_key)"\s*:\s*)"(?:[^"\\]|\\.)*"')
#: an SMS request's credentials: always the 8 characters after "S" (a key may hold "+")
_SMS_AUTH_LENGTH = 8
#: the compact auth string: the device id is masked like an ICCID, the OTP/token hidden
_COMPACT_AUTH = re.compile(r"^([CH])(\S{0,2})\S* (\S+) \S+ ")


def mask_credentials(payload: Union[bytes, str]) -> str:
    """A request as text with every credential replaced by ``***`` (for DEBUG logs)."""
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    if text.startswith("S"):
        return "S***" + text[1 + _SMS_AUTH_LENGTH :]
    if text[:1] in ("C", "H"):
        masked = _COMPACT_AUTH.sub(r"\1\2*** \3 *** ", text, count=1)
        return masked.replace("\x00", "\\0") if masked != text else text[:1] + "***"
    return _SECRET_FIELDS.sub(r'\1"***"', text)


def _modem_name(modem: Any) -> str:
    if modem is None:
        return "agnostic"
    if isinstance(modem, str):
        return modem or "agnostic"
    name = getattr(modem, "name", None)
    return str(name) if name else type(modem).__name__.lower()


class HologramCloud(CustomCloud):
    """The Hologram cloud: ``cloudsocket.hologram.io:9999``, inbound on ``0.0.0.0:4010``.

    ``credentials`` is ``{'cloud_id': ..., 'cloud_key': ...}`` (4 characters
    each) or ``{'devicekey': ...}`` (8 characters), checked here. ``None`` is
    accepted for a cloud that only receives; sending then raises
    ``CredentialsError``. With ``enable_inbound=True`` (the default) the
    listener binds at once: if the port is taken, ``InboundBindError`` names
    it and suggests ``enable_inbound=False``.

    Refusals by the cloud are result codes. A message that cannot be sent now
    (network down, messages already waiting, refused/reset/unreachable/no
    reply in time) is kept in the durable outbox and answered ``ERR_QUEUED``
    (-2: not sent yet, not a cloud error); it is delivered later, in order
    (see :class:`~hologram_sdk.cloud.base.Cloud` and its ``outbox`` option).
    With ``outbox=False`` those failures raise ``CloudConnectionError`` or
    ``CloudTimeoutError`` instead.

    **Authentication** (``authentication_type``): ``'csrpsk'`` (the credentials
    above), ``'totp'`` (the SIM's ICCID and IMSI, read from the modem at
    construction; the credentials are not used) or ``'sim-otp'`` (the SIM
    computes each request's token over ``AT+CSIM`` after a nonce from the
    cloud). Left out, it is ``'csrpsk'`` when the credentials carry a key and
    ``'totp'`` otherwise (see :mod:`hologram_sdk.cloud.auth`). TOTP and SIM-OTP
    requests are never stored in the outbox (they carry a one-time password
    that would be stale, and secret, on disk): a transport failure raises.
    SIM-OTP needs the host's TCP (PPP or non-network mode), not serial mode.

    :param credentials: see above
    :param enable_inbound: open the inbound listener now
    :param network: network interface name ('' = non-network mode)
    :param authentication_type: ``'csrpsk'``, ``'totp'``, ``'sim-otp'`` or ``None``
    :param clock: TOTP/SIM-OTP time source: ``None`` (the system clock),
        ``'modem'`` (the modem's ``AT+CCLK?``) or a callable giving Unix seconds
    :param send_host: override of the cloud host (tests, a local cloud)
    :param send_port: override of the cloud port
    :param receive_host: override of the inbound address
    :param receive_port: override of the inbound port
    :param outbox: ``None`` (the default durable outbox), a path, an ``Outbox``,
        or ``False`` (see :class:`~hologram_sdk.cloud.base.Cloud`)
    :raises CredentialsError: malformed credentials
    :raises HologramError: ``Invalid authentication type: <x>``
    :raises AuthenticationError: TOTP and the modem cannot give its ICCID and IMSI
    """

    _half_close = False  # requests are framed by their terminator
    #: the method when none is named and only a devicekey (or nothing) is given;
    #: ``None``: csrpsk with a key, totp without (the 0.10 face sets ``'totp'``)
    default_authentication_type: ClassVar[Optional[str]] = None

    def __init__(
        self,
        credentials: Any,
        enable_inbound: bool = True,
        network: str = "",
        authentication_type: Optional[str] = None,
        modem: Any = None,
        *,
        clock: Union[str, _auth.Clock, None] = None,
        send_host: str = DEFAULT_SEND_HOST,
        send_port: Any = DEFAULT_SEND_PORT,
        receive_host: str = DEFAULT_RECEIVE_HOST,
        receive_port: Any = DEFAULT_RECEIVE_PORT,
        **options: Any,
    ) -> None:
        method = _auth.resolve_authentication_type(
            authentication_type, credentials, self.default_authentication_type
        )
        self._authentication_type = method
        self._auth: Optional[protocol.Credentials] = (
            None
            if credentials is None or method != "csrpsk"
            else protocol.parse_credentials(credentials)
        )
        self._clock = _auth.clock_from(clock, lambda: self.network.modem)
        self._totp: Optional[_auth.TOTPAuthenticator] = None
        self._simotp: Optional[_auth.SIMOTPAuthenticator] = None
        if modem is not None:
            options["modem"] = modem
        super().__init__(
            credentials,
            send_host=send_host,
            send_port=send_port,
            receive_host=receive_host,
            receive_port=receive_port,
            enable_inbound=enable_inbound,
            network=network,
            **options,
        )
        if method == "totp":
            try:
                iccid, imsi = _auth.read_identity(self.network.modem)
            except BaseException:
                self.close()
                raise
            self._totp = _auth.TOTPAuthenticator(iccid, imsi, self._clock)

    @property
    def authentication_type(self) -> str:
        """``'csrpsk'``, ``'totp'`` or ``'sim-otp'``."""
        return self._authentication_type

    @property
    def authenticationType(self) -> str:
        """hologram-python 0.10's name of :attr:`authentication_type`."""
        return self._authentication_type

    def setAuthenticationType(
        self, credentials: Any, authentication_type: Optional[str] = "csrpsk"
    ) -> None:
        """Switch the authentication (hologram-python 0.10's call); as the constructor's
        ``credentials`` and ``authentication_type``.

        :raises HologramError: ``Invalid authentication type: <x>``
        :raises CredentialsError: malformed credentials for ``'csrpsk'``
        :raises AuthenticationError: TOTP and the modem cannot give its ICCID and IMSI
        """
        method = _auth.resolve_authentication_type(
            authentication_type, credentials, self.default_authentication_type
        )
        auth = (
            None
            if credentials is None or method != "csrpsk"
            else protocol.parse_credentials(credentials)
        )
        totp = None
        if method == "totp":
            iccid, imsi = _auth.read_identity(self.network.modem)
            totp = _auth.TOTPAuthenticator(iccid, imsi, self._clock)
        self._authentication_type, self._auth, self._totp = method, auth, totp
        self._simotp = None
        self._credentials = credentials

    def _require_auth(self) -> protocol.Credentials:
        if self._auth is None:
            raise CredentialsError(
                "HologramCloud needs credentials to send: {'cloud_id', 'cloud_key'} "
                "or {'devicekey'}"
            )
        return self._auth

    def _send_request(
        self,
        payload: bytes,
        timeout: float,
        kind: str = "message",
        topics: Optional[list[str]] = None,
        text: Optional[str] = None,
    ) -> ResultCode:
        if self._log.isEnabledFor(logging.DEBUG):  # masking costs a regex pass
            self._log.debug("request: %s", mask_credentials(payload))
        reply, _queued = self._send_or_queue(
            kind, payload, timeout, protocol.reply_complete, self._half_close, topics, text
        )
        if reply is None:
            code = ResultCode.ERR_QUEUED
        else:
            code = protocol.reply_code(reply)
        if self._log.isEnabledFor(logging.INFO):
            self._log.info("Result: %s (%s)", int(code), code.description)
        return code

    def sendMessage(  # type: ignore[override]
        self, message: Message, topics: protocol.Topics = None, timeout: float = 5
    ) -> ResultCode:
        """Send a message with optional topics; nothing carries over to the next one.

        The reply is parsed as soon as it is complete (``[0,0]``), so a server
        keeping the line open costs no time. Broadcasts ``message.sent`` with
        ``message`` when the code counts as success (:meth:`resultWasSuccess`).

        :param message: str or bytes (bytes are decoded as UTF-8; invalid bytes kept
            as escapes)
        :param topics: a topic string or a list of them
        :param timeout: seconds for connect plus reply
        :returns: the cloud's code: ``ERR_OK`` (== 0, prints as ``0``), ..., or
            ``ERR_QUEUED`` (-2) when the message waits in the outbox
        :raises CredentialsError: no credentials were given
        :raises CloudConnectionError: refused, reset or unreachable (``outbox=False``)
        :raises CloudTimeoutError: no connection, or no reply byte, within ``timeout``
            (``outbox=False``)
        :raises OutboxError: it had to be queued and the outbox could not store it
        """
        text = message if isinstance(message, str) else message.decode("utf-8", "replace")
        if self._authentication_type != "csrpsk":
            code = self._send_compact(message, protocol.normalize_topics(topics), None, timeout)
        else:
            auth = self._require_auth()
            metadata = None
            if auth.devicekey:
                metadata = protocol.metadata_for(_modem_name(self.modem), self.getSDKVersion())
            payload = protocol.encode_message(auth, message, topics, metadata)
            code = self._send_request(
                payload, timeout, "message", protocol.normalize_topics(topics), text
            )
        if protocol.result_was_success(code):
            self.event.broadcast(MESSAGE_SENT, message)
        return code

    def sendSMS(self, destination_number: str, message: str, timeout: float = 5) -> ResultCode:
        """Send an SMS through the cloud; it is checked before anything is sent.

        :param destination_number: E.164 with '+', 7 to 15 digits
        :param message: at most 160 characters, no CR/LF
        :param timeout: seconds for connect plus reply
        :returns: the cloud's code, or ``ERR_QUEUED`` (-2) when it waits in the outbox
        :raises InvalidPhoneNumberError: the number is not E.164
        :raises MessageTooLongError: the text is too long or has CR/LF
        :raises CredentialsError: no credentials were given
        :raises CloudConnectionError: refused, reset or unreachable (``outbox=False``)
        :raises CloudTimeoutError: no connection, or no reply byte, within ``timeout``
            (``outbox=False``)
        :raises OutboxError: it had to be queued and the outbox could not store it
        """
        number, text = protocol.validate_sms(destination_number, message)
        if not text:  # the wire codec can carry it; an SMS with no text delivers nothing
            raise ConfigurationError("an SMS needs text: got an empty one")
        if self._authentication_type != "csrpsk":
            return self._send_compact(text, None, number, timeout)
        auth = self._require_auth()
        payload = protocol.encode_sms(auth, number, text)
        return self._send_request(payload, timeout, "sms", None, f"SMS to {number}: {text}")

    def _identity_authenticator(self) -> _auth.SIMOTPAuthenticator:
        if self._simotp is None:
            modem = self.network.modem
            if modem is None:
                raise AuthenticationError(
                    "SIM-OTP needs a modem with the SIM: pass modem=... or a cellular network"
                )
            iccid, imsi = _auth.read_identity(modem)
            self._simotp = _auth.SIMOTPAuthenticator(
                iccid, imsi, _auth.sim_authenticator(modem), self._clock
            )
        return self._simotp

    def _send_compact(
        self,
        message: Message,
        topics: Optional[list[str]],
        destination: Optional[str],
        timeout: float,
    ) -> ResultCode:
        """A TOTP or SIM-OTP request, sent now (never queued: see the class docstring)."""
        text = message if isinstance(message, str) else message.decode("utf-8", "surrogateescape")
        if "\x00" in text:
            raise ConfigurationError(
                "a message sent with TOTP or SIM-OTP may not contain NUL characters"
            )
        metadata = protocol.metadata_for(_modem_name(self.modem), self.getSDKVersion())
        self._require_send_address()
        if self._totp is not None:
            payload = self._totp.encode(text, topics, metadata, destination)
            if self._log.isEnabledFor(logging.DEBUG):
                self._log.debug("request: %s", mask_credentials(payload))
            reply = self._deliver(payload, timeout, protocol.reply_complete)
        else:
            if self._transport_override() is not None:
                raise ConfigurationError(
                    "SIM-OTP needs the host's TCP (PPP or non-network mode): its nonce and "
                    "request share one connection, which the modem's own sockets do not offer"
                )
            simotp = self._identity_authenticator()

            def build(nonce: bytes) -> bytes:
                payload = simotp.encode(nonce, text, topics, metadata, destination)
                if self._log.isEnabledFor(logging.DEBUG):
                    self._log.debug("request: %s", mask_credentials(payload))
                return payload

            self._log.info("Connecting to %s (SIM-OTP)", self.send_host)
            reply = _auth.exchange_with_nonce(self.send_host, self.send_port, build, timeout)
        code = protocol.reply_code(reply)
        if self._log.isEnabledFor(logging.INFO):
            self._log.info("Result: %s (%s)", int(code), code.description)
        return code

    def getResultString(self, result_code: int) -> str:
        """A description of a result code, in hologram-python 0.10's words
        (a number that is no code describes ``ERR_UNKNOWN``)."""
        return protocol.to_result_code(int(result_code)).description

    # --- SMS received by the modem (hologram-python 0.10) -----------------------------

    def _sms_modem(self) -> Any:
        modem = self.network.modem
        if modem is None:
            raise ConfigurationError(
                "received SMS are read from a modem: pass network='cellular' (or a "
                "'cellular-...' name) or modem=..."
            )
        return modem

    def popReceivedSMS(self) -> Any:
        """The oldest SMS stored on the modem (deleted from it), or None.

        :raises ConfigurationError: no modem (non-network mode)
        """
        modem = self._sms_modem()
        if hasattr(modem, "popReceivedSMS"):  # a hologram-python 0.10 modem class
            return modem.popReceivedSMS()
        stored = [m for m in modem.list_sms() if m.status in ("unread", "read")]
        if not stored:
            return None
        oldest = min(stored, key=lambda m: (m.timestamp is None, m.timestamp or 0, m.index))
        if oldest.index is not None:
            modem.delete_sms(oldest.index)
        return oldest

    def enableSMS(self) -> Any:
        """Have the modem report new SMS (``sms.received`` events).

        :raises ConfigurationError: no modem (non-network mode)
        """
        modem = self._sms_modem()
        if hasattr(modem, "enableSMS"):
            return modem.enableSMS()
        modem.initialize()  # turns +CNMI reporting on
        return None

    def disableSMS(self) -> Any:
        """hologram-python 0.10's counterpart of :meth:`enableSMS` (which it also called)."""
        modem = self._sms_modem()
        if hasattr(modem, "disableSMS"):
            return modem.disableSMS()
        return None

    def _send_periodic(self, message: Any, topics: Any, timeout: float) -> Any:
        return self.sendMessage(message, topics, timeout)

    def _periodic_keep_going(self, result: Any) -> bool:
        return self.resultWasSuccess(result) or result == ResultCode.ERR_QUEUED

    def resultWasSuccess(self, result_code: int) -> bool:
        """Whether the code means delivered (``ERR_OK`` or ``ERR_CONNCLOSED``)."""
        return protocol.result_was_success(result_code)
