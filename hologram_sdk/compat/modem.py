"""0.10's modem surface, a mixin the face classes put in front of the SDK's drivers.

The port, its seams and the command engine are in
:mod:`hologram_sdk.compat.modem_engine`; here are the calls 0.10 built on it:
registration, power, SMS (decoded by :mod:`hologram_sdk.modem.pdu`), identity
and the u-blox PDP context.
"""

from __future__ import annotations

import time
from datetime import timezone
from typing import Any, Optional, Union

from hologram_sdk.base.errors import (
    ConfigurationError,
    NetworkError,
    SerialError,
    UnsupportedOperationError,
)
from hologram_sdk.compat.modem_engine import (
    MODEM_ERROR,
    MODEM_NO_MATCH,
    MODEM_OK,
    MODEM_TIMEOUT,
    ModemEngine010,
    Response,
    _after,
)
from hologram_sdk.compat.utilclasses import SMS, ModemResult
from hologram_sdk.modem import pdu

__all__ = ["MODEM_ERROR", "MODEM_NO_MATCH", "MODEM_OK", "MODEM_TIMEOUT", "Modem010", "_after"]

_UNSUPPORTED = "This modem does not support this property"
_RESULT_TEXT = {
    MODEM_NO_MATCH: "Modem response doesn't match expected return value",
    MODEM_ERROR: "Modem error",
    MODEM_TIMEOUT: "Modem timeout",
    MODEM_OK: "Modem returned OK",
}


class Modem010(ModemEngine010):
    """The 0.10 modem methods; mixed in before an SDK driver class."""

    # --- names 0.10 reads and sets -------------------------------------------------------

    @property
    def device_name(self) -> str:
        return self._device

    @device_name.setter
    def device_name(self, value: str) -> None:
        self._device = value
        self._device_given = True

    @property
    def baud_rate(self) -> str:
        return str(self._baud)

    @baud_rate.setter
    def baud_rate(self, value: Union[str, int]) -> None:
        try:
            self._baud = int(value)
        except (TypeError, ValueError):
            raise ConfigurationError(f"baud_rate must be a number, not {value!r}") from None

    @property
    def chatscript_file(self) -> str:
        return str(getattr(self, "chatScriptFile"))  # noqa: B009 - the driver's property

    @chatscript_file.setter
    def chatscript_file(self, value: Optional[str]) -> None:
        self._chat_script = value

    @property
    def apn(self) -> str:
        return self._apn

    @apn.setter
    def apn(self, apn: str) -> None:
        self._apn = apn
        self.set("+CGDCONT", f'{self._pdp_context},"IP","{apn}"')

    @property
    def pdp_context(self) -> int:
        return self._pdp_context

    @pdp_context.setter
    def pdp_context(self, value: int) -> None:
        self._pdp_context = int(value)

    @property
    def at_sockets_available(self) -> bool:
        return self._at_sockets_available

    def disable_at_sockets_mode(self) -> None:
        """Nothing on modems without their own sockets; the Novas clear the flag."""

    def enable_at_sockets_mode(self) -> None:
        """Nothing on modems without their own sockets; the Novas set the flag."""

    @property
    def description(self) -> str:
        profile = getattr(self, "profile", None)
        name = getattr(profile, "name", "generic")
        if name == "generic" or type(self).__name__ == "Modem":
            return type(self).__name__
        return str(getattr(profile, "description", type(self).__name__))

    @property
    def details(self) -> str:
        return f"{self.description} at port: {self.device_name}"

    def getResultString(self, result_code: int) -> str:
        """0.10's words for a modem result code; ``'Unknown response code'`` otherwise."""
        return _RESULT_TEXT.get(result_code, "Unknown response code")

    # --- registration, power -----------------------------------------------------------

    @staticmethod
    def _check_registered_helper(cmd: str, result: Response) -> bool:
        """Whether a registration answer (or the last of a list) says home or roaming.

        :raises SerialError: an empty list, or an answer without a status field
        """
        if isinstance(result, list):
            if not result:
                raise SerialError("Internal error: input cannot be an empty list")
            result = result[-1]
        fields = _after(_after(result, cmd), ":").split(",")
        if len(fields) < 2:
            raise SerialError("Unable to parse registration URC response")
        return int(fields[1]) in (1, 5)

    def check_registered(self, cmd: str) -> bool:
        ok, r = self.read(cmd)
        if ok == ModemResult.OK:
            try:
                return self._check_registered_helper(cmd, r)
            except (IndexError, ValueError, SerialError) as exc:
                self.logger.error(repr(exc))
        return False

    def is_registered(self) -> bool:
        return any(self.check_registered(name) for name in self.registration_commands)

    def is_connected(self) -> bool:
        return self.is_registered()

    def reset(self) -> None:
        self.set("+CFUN", self.reset_value)

    def radio_power(self, power_mode: bool) -> bool:
        ok, _ = self.command("+CFUN", "1" if power_mode else "0", timeout=5)
        return bool(ok == ModemResult.OK)

    # --- SMS -------------------------------------------------------------------------------

    def enableSMS(self) -> None:
        """Broadcast ``sms.received`` once per message already stored."""
        self.checkURC()
        ok, r = self.read("+CPMS")
        if ok == ModemResult.OK and isinstance(r, str):
            try:
                count = int(_after(r, "+CPMS:").split(",")[1])
            except (IndexError, ValueError) as exc:
                self.logger.error(repr(exc))
                return
            for _ in range(count):
                self.event.broadcast("sms.received")  # type: ignore[attr-defined]

    def disableSMS(self) -> None:
        self.enableSMS()

    def popReceivedSMS(self) -> Optional[SMS]:
        """The oldest received SMS stored on the modem (deleted from it), or None.

        Read and unread ones count (0.10 listed the unread only, so a message
        listed once was never returned again).
        """
        self.checkURC()
        result, response = self.command("+CMGL=4")
        if result != ModemResult.OK or not isinstance(response, list):
            return None
        oldest: Optional[SMS] = None
        oldest_index: Optional[str] = None
        for i in range(0, len(response) - 1, 2):
            sms, index = self._parsePDU(response[i], response[i + 1])
            if sms is not None and (oldest is None or sms.timestamp < oldest.timestamp):
                oldest, oldest_index = sms, index
        if oldest_index is not None:
            self.set("+CMGD", oldest_index)
        return oldest

    def _parsePDU(self, header: str, body: str) -> tuple[Optional[SMS], Optional[str]]:
        """An SMS and its storage index from a ``+CMGL:`` header and its PDU line."""
        if not header.startswith("+CMGL:"):
            return None, None
        fields = _after(header, "+CMGL:").split(",")
        index = fields[0]
        if len(fields) > 1 and fields[1].strip() not in ("0", "1"):
            return None, None  # a stored outgoing message
        try:
            message = pdu.decode_deliver(body.strip())
        except ConfigurationError as exc:
            self.logger.error("cannot decode SMS %s: %s", index, exc)
            return None, None
        when = message.timestamp.astimezone(timezone.utc).replace(tzinfo=None)
        return SMS(message.sender.lstrip("+"), when, message.text), index

    def send_sms_message(self, phonenumber: str, message: str,
                         timeout: float = ModemEngine010.DEFAULT_SEND_TIMEOUT) -> bool:
        """Send an SMS from the modem in text mode."""
        self.command("+CMGF", "1")
        ok, _ = self.command("+CMGS", f'"{phonenumber}"', prompt=b">", data=f"{message}\r",
                             commit_cmd=b"\x1a", timeout=timeout)
        self.command("+CMGF", "0")
        return bool(ok == ModemResult.OK)

    # --- identity -------------------------------------------------------------------------

    @property
    def signal_strength(self) -> str:
        """``'<rssi>,<ber>'`` as ``AT+CSQ`` answers it (``'99,99'`` when unknown)."""
        csq = self._basic_command("+CSQ")
        return "99,99" if csq is None else csq

    @property
    def modem_id(self) -> Optional[str]:
        return self._basic_command("+CGMM")

    @property
    def location(self) -> Any:
        try:
            return super().location  # type: ignore[misc]
        except AttributeError:
            raise UnsupportedOperationError(_UNSUPPORTED) from None

    @property
    def version(self) -> Any:
        try:
            return super().version  # type: ignore[misc]
        except AttributeError:
            raise UnsupportedOperationError(_UNSUPPORTED) from None

    @property
    def modem_mode(self) -> Optional[int]:
        """The u-blox USB configuration number (``AT+UUSBCONF?``), or None."""
        ok, r = self.read("+UUSBCONF")
        if ok == ModemResult.OK and isinstance(r, str):
            try:
                return int(_after(r, "+UUSBCONF:").split(",")[0])
            except (IndexError, ValueError) as exc:
                self.logger.error(repr(exc))
        return None

    # --- PDP context (u-blox +UPSD) --------------------------------------------------------

    def _is_pdp_context_active(self) -> bool:
        if not self.is_registered():
            return False
        ok, r = self.set("+UPSND", "0,8")
        if ok == ModemResult.OK and isinstance(r, str):
            try:
                return int(_after(r, "+UPSND:").split(",")[2]) == 1
            except (IndexError, ValueError) as exc:
                self.logger.error(repr(exc))
        return False

    def _set_up_pdp_context(self) -> bool:
        if self._is_pdp_context_active():
            return True
        if self._pdp_context != self.DEFAULT_PDP_CONTEXT:
            self.set("+UPSD", f"0,100,{self._pdp_context}")
        self.set("+UPSD", f'0,1,"{self._apn}"')
        self.set("+UPSD", '0,7,"0.0.0.0"')
        ok, _ = self.set("+UPSDA", "0,3", timeout=30)
        if ok != ModemResult.OK:
            raise NetworkError("Failed PDP context setup")
        return True

    def _tear_down_pdp_context(self) -> bool:
        if not self._is_pdp_context_active():
            return True
        ok, _ = self.set("+UPSDA", "0,4", timeout=30)
        if ok != ModemResult.OK:
            self.logger.error("PDP Context tear down failed")
        return True

    def enable_hex_mode(self) -> None:
        self.command("+UDCONF", "1,1")

    def disable_hex_mode(self) -> None:
        self.command("+UDCONF", "1,0")

    @staticmethod
    def _chunks(data: bytes, n: int) -> Any:
        for i in range(0, len(data), n):
            yield data[i : i + n]

    def _wait_for_state(self, state: int, timeout: float) -> bool:
        """Poll URCs until ``urc_state`` is ``state``; False when the socket closed."""
        deadline = time.monotonic() + timeout
        while self.urc_state != state:
            if self.urc_state == self.SOCKET_CLOSED:
                return False
            self.checkURC()
            if self.urc_state != state:
                if time.monotonic() > deadline:
                    raise SerialError("Timeout occurred waiting for message status")
                time.sleep(self._RETRY_DELAY)
        return True
