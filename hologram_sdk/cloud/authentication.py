"""The 0.10 SDK's ``Hologram.Authentication`` classes, over our auth codecs.

``Authentication`` → ``HologramAuthentication`` (the payload template) →
``CSRPSKAuthentication`` (JSON, device key), ``TOTPAuthentication`` and
``SIMOTPAuthentication`` (the compact format), with 0.10's method names,
arguments and messages, so code written against 0.10 keeps working.
``HologramCloud`` itself does not go through them: it uses
:mod:`hologram_sdk.cloud.auth` and :mod:`hologram_sdk.wire.protocol`.

Unlike 0.10, a payload is built afresh on every call: nothing (topics, the
previous message) carries over to the next one.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Optional, Union

from hologram_sdk.base.errors import AuthenticationError
from hologram_sdk.cloud.auth import checked_time
from hologram_sdk.wire.auth import compact, otp, simotp

DEVICE_KEY_LEN = 8
DEFAULT_TIME_WINDOW = 30
_ABSTRACT = "Must instantiate a subclass of HologramAuthentication"

Messages = Union[str, list[str]]
Topics = Union[str, list[str], None]


class Authentication:
    """Holds the credentials (a dict) an authentication method uses."""

    def __init__(self, credentials: Any) -> None:
        self.credentials = credentials
        self.logger = logging.getLogger(__name__)

    @property
    def credentials(self) -> Any:
        return self._credentials

    @credentials.setter
    def credentials(self, credentials: Any) -> None:
        self._credentials = credentials

    def __repr__(self) -> str:  # never show key material
        return f"{type(self).__name__}(masked)"


class HologramAuthentication(Authentication):
    """The payload template: auth, metadata, topics, then the message(s)."""

    def buildPayloadString(
        self,
        messages: Messages,
        topics: Topics = None,
        modem_type: Optional[str] = None,
        modem_id: Optional[str] = None,
        version: Any = None,
    ) -> Any:
        self.buildAuthString()
        self.buildMetadataString(modem_type, modem_id, version)
        if topics is not None:
            self.buildTopicString(topics)
        self.buildMessageString(messages)

    def buildAuthString(self, timestamp: Optional[int] = None, sequence_number: Any = None) -> None:
        raise NotImplementedError(_ABSTRACT)

    def buildMetadataString(
        self, modem_type: Optional[str], modem_id: Optional[str], version: Any
    ) -> None:
        raise NotImplementedError(_ABSTRACT)

    def buildTopicString(self, topics: Topics) -> None:
        raise NotImplementedError(_ABSTRACT)

    def buildMessageString(self, messages: Messages) -> None:
        raise NotImplementedError(_ABSTRACT)

    def build_modem_type_id_str(self, modem_type: Optional[str], modem_id: Optional[str]) -> str:
        """``agnostic`` without a modem; the type in lower case (``nova-<id>`` for a Nova)."""
        if modem_type is None:
            return "agnostic"
        payload = modem_type.lower()
        if modem_type == "Nova":
            payload += "-" + str(modem_id)
        return payload

    @property
    def metadata_version(self) -> bytes:
        return b"\x01"


class CSRPSKAuthentication(HologramAuthentication):
    """The device key (``{'devicekey': '8 chars'}``): JSON requests, as 0.10 wrote them."""

    def __init__(self, credentials: Any) -> None:
        self._data: dict[str, Any] = {}
        super().__init__(credentials)

    def buildPayloadString(
        self,
        messages: Messages,
        topics: Topics = None,
        modem_type: Optional[str] = None,
        modem_id: Optional[str] = None,
        version: Any = None,
    ) -> bytes:
        self.enforceValidDeviceKey()
        self._data = {}
        super().buildPayloadString(messages, topics, modem_type, modem_id, version)
        return (json.dumps(self._data) + "\r\r").encode()

    def buildSMSPayloadString(self, destination_number: str, message: str) -> bytes:
        self.enforceValidDeviceKey()
        text = f"S{self.credentials['devicekey']}{destination_number} {message}\r\r"
        return text.encode()

    def buildAuthString(self, timestamp: Optional[int] = None, sequence_number: Any = None) -> None:
        self._data["k"] = self.credentials["devicekey"]

    def buildMetadataString(
        self, modem_type: Optional[str], modem_id: Optional[str], version: Any
    ) -> None:
        formatted = f"{self.build_modem_type_id_str(modem_type, modem_id)}-{version}"
        self._data["m"] = self.metadata_version.decode() + formatted

    def buildTopicString(self, topics: Topics) -> None:
        self._data["t"] = topics

    def buildMessageString(self, messages: Messages) -> None:
        self._data["d"] = messages

    def enforceValidDeviceKey(self) -> None:
        """:raises AuthenticationError: 0.10's three messages"""
        if not isinstance(self.credentials, dict):
            raise AuthenticationError("Credentials is not a dictionary")
        if not self.credentials.get("devicekey"):
            raise AuthenticationError("Must set devicekey to use CSRPSKAuthentication")
        if len(self.credentials["devicekey"]) != DEVICE_KEY_LEN:
            raise AuthenticationError(f"Device key must be {DEVICE_KEY_LEN} characters long")


class _CompactAuthentication(HologramAuthentication):
    """The compact payload (``M``/``T``/``B`` fields, NUL-ended, a final NUL), as a str."""

    def __init__(self, credentials: Any, time_window: int = DEFAULT_TIME_WINDOW) -> None:
        self._payload = ""
        self.time_window = time_window
        super().__init__(credentials)

    def buildPayloadString(
        self,
        messages: Messages,
        topics: Topics = None,
        modem_type: Optional[str] = None,
        modem_id: Optional[str] = None,
        version: Any = None,
    ) -> str:
        super().buildPayloadString(messages, topics, modem_type, modem_id, version)
        return self._payload

    def buildMetadataString(
        self, modem_type: Optional[str], modem_id: Optional[str], version: Any
    ) -> None:
        value = f"\x01{self.build_modem_type_id_str(modem_type, modem_id)}-{version}"
        self._payload += compact.payload_field("M", value)

    def buildTopicString(self, topics: Topics) -> None:
        for topic in [topics] if isinstance(topics, str) else list(topics or ()):
            self._payload += compact.payload_field("T", str(topic))

    def buildMessageString(self, messages: Messages) -> None:
        for message in [messages] if isinstance(messages, str) else list(messages):
            self._payload += compact.payload_field("B", str(message))
        self._payload += "\x00"

    def generate_timestamp(self, timestamp: Optional[int]) -> int:
        """``timestamp``, or now (refusing a clock before 2020: ``ClockNotSetError``)."""
        return int(timestamp) if timestamp is not None else checked_time(time.time)


class TOTPAuthentication(_CompactAuthentication):
    """TOTP: ``credentials['device_id']`` (the ICCID) and ``['private_key']`` (the IMSI)."""

    def buildAuthString(self, timestamp: Optional[int] = None, sequence_number: Any = None) -> None:
        stamp = self.generate_timestamp(timestamp)
        key = str(self.credentials["private_key"]).encode("ascii")
        value = otp.totp(key, stamp, self.time_window)
        self._payload = compact.totp_auth(str(self.credentials["device_id"]), stamp, value)


class SIMOTPAuthentication(_CompactAuthentication):
    """SIM-OTP: the nonce → RAND (:meth:`generate_sim_otp_command`), the SIM's answer →
    token (:meth:`generate_sim_otp_token`), then the payload."""

    def __init__(self, credentials: Any, time_window: int = DEFAULT_TIME_WINDOW) -> None:
        self.iccid: Optional[str] = None
        self.timestamp: Optional[str] = None
        self.sim_otp_token: Optional[str] = None
        super().__init__(credentials, time_window)

    def __repr__(self) -> str:
        return "SIMOTPAuthentication(masked)"

    def buildNonceRequestPayloadString(self) -> str:
        return compact.NONCE_REQUEST.decode()

    def generate_sim_otp_command(
        self,
        imsi: Optional[str] = None,
        iccid: Optional[str] = None,
        nonce: Union[str, bytes, None] = None,
        timestamp: Optional[int] = None,
    ) -> str:
        """RAND (32 upper-case hex digits) for the SIM, from the nonce (hex) the cloud sent."""
        self.timestamp = str(self.generate_timestamp(timestamp))
        self.iccid = iccid
        raw = nonce.decode() if isinstance(nonce, bytes) else str(nonce or "")
        rand = simotp.derive_rand(str(imsi), str(iccid), bytes.fromhex(raw), self.timestamp)
        return rand.hex().upper()

    def generate_sim_otp_token(self, response: str) -> None:
        """The token from the SIM's answer (the ``+CSIM`` response APDU, in hex)."""
        data, status = simotp.split_status(response)
        if status != simotp.SW_OK:
            raise AuthenticationError(f"the SIM refused AUTHENTICATE: status word {status}")
        sres, kc = simotp.parse_authenticate_data(data)
        self.sim_otp_token = simotp.token(sres, kc, str(self.timestamp))

    def buildAuthString(self, timestamp: Optional[int] = None, sequence_number: Any = None) -> None:
        if self.iccid is None or self.timestamp is None or self.sim_otp_token is None:
            raise AuthenticationError("SIM-OTP: generate the command and the token first")
        self._payload = compact.simotp_auth(self.iccid, int(self.timestamp), self.sim_otp_token)
