"""0.10's payload builders: ``Authentication``, ``HologramAuthentication`` and
``CSRPSKAuthentication``, over the request codec (:mod:`hologram_sdk.wire.protocol`).

The TOTP and SIM-OTP builders of 0.10 live with the SDK's authentication
(``hologram_sdk.wire.auth``); ``Hologram.Authentication`` re-exports them when present.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from hologram_sdk.base.errors import AuthenticationError, UnsupportedOperationError
from hologram_sdk.wire import protocol

#: a device key has exactly this many characters
DEVICE_KEY_LEN = 8

_SUBCLASS = "Must instantiate a subclass of HologramAuthentication"


class Authentication:
    """Holds the credentials dict (``credentials`` is read and set as given)."""

    def __init__(self, credentials: Any) -> None:
        self.credentials = credentials
        self.logger = logging.getLogger(__name__)

    @property
    def credentials(self) -> Any:
        return self._credentials

    @credentials.setter
    def credentials(self, credentials: Any) -> None:
        self._credentials = credentials


class HologramAuthentication(Authentication):
    """The base of the Hologram cloud's payload builders; subclasses fill the parts in."""

    def buildPayloadString(
        self,
        messages: Any,
        topics: Any = None,
        modem_type: Optional[str] = None,
        modem_id: Optional[str] = None,
        version: Optional[str] = None,
    ) -> bytes:
        """The whole request (terminator included).

        :raises UnsupportedOperationError: on this base class
        """
        raise UnsupportedOperationError(_SUBCLASS)

    def buildAuthString(self, timestamp: Any = None, sequence_number: Any = None) -> Any:
        raise UnsupportedOperationError(_SUBCLASS)

    def buildMetadataString(self, modem_type: Any, modem_id: Any, version: Any) -> Any:
        raise UnsupportedOperationError(_SUBCLASS)

    def buildTopicString(self, topics: Any) -> Any:
        raise UnsupportedOperationError(_SUBCLASS)

    def buildMessageString(self, messages: Any) -> Any:
        raise UnsupportedOperationError(_SUBCLASS)

    def build_modem_type_id_str(self, modem_type: Optional[str], modem_id: Optional[str]) -> str:
        """The modem part of the metadata: ``agnostic`` without a modem, the type in
        lower case, and for a ``Nova`` its model id after a dash."""
        if modem_type is None:
            return "agnostic"
        name = str(modem_type).lower()
        if modem_type == "Nova":
            name = f"{name}-{modem_id}"
        return name

    @property
    def metadata_version(self) -> bytes:
        """The first byte of the metadata field."""
        return protocol.METADATA_PREFIX.encode()


class CSRPSKAuthentication(HologramAuthentication):
    """Device-key authentication (``{'devicekey': '8 chars'}``): the JSON request
    0.10 sends, byte for byte, built by the SDK's codec."""

    def _device_key(self) -> str:
        credentials = self.credentials
        if not isinstance(credentials, dict):
            raise AuthenticationError("Credentials is not a dictionary")
        key = credentials.get("devicekey")
        if not key:
            raise AuthenticationError("Must set devicekey to use CSRPSKAuthentication")
        if not isinstance(key, str) or len(key) != DEVICE_KEY_LEN:
            raise AuthenticationError(f"Device key must be {DEVICE_KEY_LEN} characters long")
        return key

    def enforceValidDeviceKey(self) -> None:
        """:raises AuthenticationError: not a dict, no device key, or not 8 characters"""
        self._device_key()

    def buildPayloadString(
        self,
        messages: Any,
        topics: Any = None,
        modem_type: Optional[str] = None,
        modem_id: Optional[str] = None,
        version: Optional[str] = None,
    ) -> bytes:
        """``{"k": key, "m": metadata, "t": topics, "d": message}`` and the terminator.

        :raises AuthenticationError: see :meth:`enforceValidDeviceKey`
        """
        credentials = protocol.Credentials(devicekey=self._device_key())
        metadata = protocol.metadata_for(
            self.build_modem_type_id_str(modem_type, modem_id), str(version)
        )
        return protocol.encode_message(credentials, messages, topics, metadata, spaced=True)

    def buildSMSPayloadString(self, destination_number: str, message: str) -> bytes:
        """``S`` + key + number + space + text and the terminator.

        :raises AuthenticationError: see :meth:`enforceValidDeviceKey`
        :raises InvalidPhoneNumberError: the number is not E.164 with '+'
        :raises MessageTooLongError: the text is over 160 characters
        """
        credentials = protocol.Credentials(devicekey=self._device_key())
        return protocol.encode_sms(credentials, destination_number, message)
