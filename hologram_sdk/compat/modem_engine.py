"""0.10's modem command engine: the port, its seams, commands and URCs.

Part of 0.10's modem surface (:class:`hologram_sdk.compat.modem.Modem010`), a
mixin the face classes put in front of the SDK's drivers.

What 0.10 code does with a modem -- ``command``/``set``/``read``/``test``
returning ``(ModemResult, response)``, its socket calls, ``popReceivedSMS``,
``signal_strength``... -- is served here over a serial port opened with the
SDK's opener (:func:`hologram_sdk.modem.ports.open_port`: device paths, pyserial
URLs, ``sim://`` emulators), with result lines classified by the SDK's AT
codec (:func:`~hologram_sdk.modem.at_codec.parse_final`) and SMS decoded by its PDU
codec (:mod:`hologram_sdk.modem.pdu`).

The port is touched only through the three seams 0.10's tests patch --
:meth:`Modem010._write_to_serial_port_and_flush`,
:meth:`Modem010._readline_from_serial_port` and
:meth:`Modem010._read_from_serial_port` -- and opened on first use, never by
the constructor (as the SDK's modems; 0.10 opened it at once).

One port, one owner: the SDK driver underneath (its ``AT`` channel, used by
serial mode and by the driver's own methods) and the 0.10 engine take turns,
each closing the other's handle before opening its own.

A command line starting with ``AT`` given to :meth:`Modem010.command` is the
SDK driver's own call shape (it returns the information lines and raises typed
errors); anything else is 0.10's (``AT`` is prepended, the result is
``(ModemResult, response)``). The drivers' methods (``imei``, ``send_sms``,
``registration``...) thus run over the same port and seams.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any, Optional, Union

from hologram_sdk.base.errors import (
    ConfigurationError,
    ModemTimeoutError,
    SerialError,
)
from hologram_sdk.compat.utilclasses import ModemResult
from hologram_sdk.modem import at_codec
from hologram_sdk.modem.ports import open_port

logger = logging.getLogger(__name__)

#: 0.10's numeric modem result codes and their words (``getResultString``)
MODEM_NO_MATCH, MODEM_ERROR, MODEM_TIMEOUT, MODEM_OK = -3, -2, -1, 0

Response = Union[str, list[str]]
Result = tuple[str, Response]


def _after(text: str, prefix: str) -> str:
    """``text`` without ``prefix`` (and the blanks after it) when it starts with it."""
    if text.startswith(prefix):
        return text[len(prefix) :].lstrip()
    return text


class ModemEngine010:
    """0.10's port handling and command engine (see the module doc)."""

    DEFAULT_MODEM_RESTART_TIME = 20
    DEFAULT_SERIAL_READ_SIZE = 256
    DEFAULT_SERIAL_TIMEOUT = 1
    DEFAULT_SERIAL_RETRIES = 0
    DEFAULT_SEND_TIMEOUT = 10
    DEFAULT_PDP_CONTEXT = 1
    _RETRY_DELAY = 0.05

    SOCKET_INIT = 0
    SOCKET_WRITE_STATE = 1
    SOCKET_RECEIVE_READ = 2
    SOCKET_SEND_READ = 3
    SOCKET_CLOSED = 4

    #: 0.10's ``usb_ids`` / ``module`` / ``syspath`` class facts
    usb_ids: tuple[tuple[str, str], ...] = ()
    module = ""
    syspath = ""

    #: the registration read commands ``is_registered`` asks, and that
    #: ``set_network_registration_status`` turns URCs on for
    registration_commands: tuple[str, ...] = ()
    #: what ``reset()`` sets ``+CFUN`` to
    reset_value = "16"
    #: whether the modem's own sockets are used when the link is not PPP
    at_sockets_default = False

    # set by the face class's constructor (see hologram_sdk.compat.modems)
    _device_given: bool
    _device: str
    _baud: int
    _chat_script: Optional[str]
    _opener: Any

    def _init_010(self, apn: str, pdp_context: int) -> None:
        self.logger = logging.getLogger(f"{__name__}.{type(self).__name__}")
        self.serial_port: Any = None
        self.timeout = self.DEFAULT_SERIAL_TIMEOUT
        self.response: list[str] = []
        self._at_sockets_available = self.at_sockets_default
        self.urc_state = self.SOCKET_INIT
        self._socket_receive_buffer: deque[Any] = deque()
        self.socket_identifier = 0
        self.listen_socket_identifier = 0
        self.last_read_payload_length = 0
        self.result = ModemResult.OK
        self.debug_out = ""
        self._apn = apn
        self._pdp_context = int(pdp_context)
        self._port_initialized = False

    # --- the port --------------------------------------------------------------------------

    def detect_usable_serial_port(self, stop_on_first: bool = True) -> list[str]:
        """The AT ports of attached modems of this class (any known modem for ``Modem``)
        that answer ``AT``, found with the SDK's USB discovery."""
        from hologram_sdk.modem.discovery import probe_port, scan_usb

        profile = getattr(self, "profile", None)
        name = getattr(profile, "name", "generic")
        found = scan_usb(profiles=None if name == "generic" else [name])
        devices: list[str] = []
        for candidate in found:
            if probe_port(candidate.device, opener=self._opener):
                devices.append(candidate.device)
                if stop_on_first:
                    break
        return devices

    def openSerialPort(self, device_name: Optional[str] = None) -> bool:
        """Open the port (the modem's device unless another is named); False if it cannot be."""
        self._release_driver_channel()
        opener = self._opener or open_port
        try:
            self.serial_port = opener(device_name or self._device, self._baud, self.timeout)
        except (SerialError, ConfigurationError) as exc:
            self.logger.info("cannot open %s: %s", device_name or self._device, exc)
            return False
        return True

    def closeSerialPort(self) -> None:
        """Close the port 0.10's methods use (idempotent here; 0.10 raised when closed)."""
        port, self.serial_port = self.serial_port, None
        self._port_initialized = False
        if port is not None:
            try:
                port.close()
            except OSError as exc:
                self.logger.error("Failed to close serial port: %s", exc)

    def initialize_serial_interface(self) -> None:
        self.openSerialPort()
        self.init_serial_commands()

    def _ensure_port(self) -> Any:
        """The open port, opened (and set up with 0.10's commands) on first use.

        :raises SerialError: no port given or found, or it cannot be opened
        """
        if self.serial_port is not None:
            return self.serial_port
        if not self._device_given:
            devices = self.detect_usable_serial_port()
            if devices:
                self._device = devices[0]
        if not self.openSerialPort():
            raise SerialError(f"Unable to open the serial port {self._device}")
        if not self._port_initialized:
            self._port_initialized = True
            self.init_serial_commands()
        return self.serial_port

    def _release_driver_channel(self) -> None:
        """Close the SDK driver's AT channel, if it has one open (one owner per port)."""
        channel = getattr(self, "_channel", None)
        if channel is not None and getattr(self, "_owns_channel", False):
            channel.close()
            setattr(self, "_channel", None)  # noqa: B010 - the driver's attribute
            setattr(self, "_initialized", False)  # noqa: B010

    def _at(self) -> Any:
        """The SDK driver's AT channel, after the 0.10 port handle was closed."""
        if self.serial_port is not None:
            self.closeSerialPort()
        return super()._at()  # type: ignore[misc]

    def close(self) -> None:
        """Close both handles (idempotent)."""
        self.closeSerialPort()
        super().close()  # type: ignore[misc]

    # the seams 0.10's tests patch

    def _readline_from_serial_port(
        self, timeout: Optional[float] = None, hide: bool = False
    ) -> str:
        port = self._ensure_port()
        port.timeout = self.timeout if timeout is None else timeout
        line = port.readline()
        port.timeout = self.timeout
        text = line.decode("utf-8", errors="replace")
        if text and not hide:
            self.logger.debug("{%s}", text.rstrip("\r\n"))
        return str(text)

    def _write_to_serial_port_and_flush(self, message: Union[str, bytes]) -> None:
        port = self._ensure_port()
        port.write(message.encode() if isinstance(message, str) else message)
        port.flush()

    def _read_from_serial_port(
        self, timeout: Optional[float] = None, size: int = DEFAULT_SERIAL_READ_SIZE
    ) -> bytes:
        port = self._ensure_port()
        port.timeout = self.timeout if timeout is None else timeout
        data = port.read(size)
        port.timeout = self.timeout
        return bytes(data)

    # --- set-up commands ---------------------------------------------------------------

    def init_serial_commands(self) -> None:
        self.command("E0")
        self.command("+CMEE", "2")
        self.command("+CPIN?")
        self.set_timezone_configs()
        self.command("+CPMS", '"ME","ME","ME"')
        self.set_sms_configs()
        self.set_network_registration_status()

    def set_sms_configs(self) -> None:
        self.command("+CMGF", "0")
        self.command("+CNMI", "2,1")

    def set_timezone_configs(self) -> None:
        self.command("+CTZU", "1")
        self.command("+CTZR", "1")

    def set_network_registration_status(self) -> None:
        for name in self.registration_commands:
            self.command(name, "2")

    # --- writing and reading lines -----------------------------------------------------

    def debugwrite(self, x: Union[str, bytes], hide: bool = False) -> None:
        if not hide:
            self.debug_out += str(x)
        self._write_to_serial_port_and_flush(x)

    def modemwrite(
        self,
        cmd: Union[str, bytes],
        start: bool = False,
        at: bool = False,
        seteq: bool = False,
        read: bool = False,
        end: bool = False,
        hide: bool = False,
    ) -> None:
        if start and not hide:
            self.debug_out = "["
        if at:
            self.debugwrite("AT", hide=hide)
        self.debugwrite(cmd, hide=hide)
        if seteq:
            self.debugwrite("=", hide=hide)
        if read:
            self.debugwrite("?", hide=hide)
        if end:
            if not hide:
                self.debug_out += "]"
                self.logger.debug(self.debug_out)
            self._write_to_serial_port_and_flush("\r\n")

    def checkURC(self, hide: bool = False) -> None:
        """Handle every unsolicited line already waiting."""
        while True:
            line = self._readline_from_serial_port(0, hide=hide)
            if not line or not line.startswith("+"):
                return
            self.handleURC(line.rstrip("\r\n"))

    def handleURC(self, urc: str) -> None:
        """React to one URC (SMS, location, u-blox socket data/listen/close, PDP loss)."""
        self.logger.debug("URC %s (state %d)", urc, self.urc_state)
        state = self.urc_state
        if urc.startswith("+CMTI: "):
            self._handle_sms_receive_urc(urc)
        elif urc.startswith("+UULOC: "):
            self._handle_location_urc(urc)
        elif urc.startswith("+UUSORD: "):
            fields = _after(urc, "+UUSORD:").split(",")
            socket_identifier, length = int(fields[0]), int(fields[-1])
            if self.urc_state == self.SOCKET_RECEIVE_READ:
                self._read_and_append_message_receive_buffer(  # type: ignore[attr-defined]
                    socket_identifier, length
                )
            else:
                self.socket_identifier = socket_identifier
                self.last_read_payload_length = length
                state = self.SOCKET_SEND_READ
        elif urc.startswith("+UUSOLI: "):
            self._handle_listen_urc(urc)
            self.last_read_payload_length = 0
            state = self.SOCKET_RECEIVE_READ
        elif urc.startswith("+UUPSDD: "):
            self.event.broadcast("cellular.forced_disconnect")  # type: ignore[attr-defined]
        elif urc.startswith("+UUSOCL: "):
            state = self.SOCKET_CLOSED
        else:
            self.logger.debug("URC not handled: %r", urc)
        self.urc_state = state

    def _handle_sms_receive_urc(self, urc: str) -> None:
        self.event.broadcast("sms.received")  # type: ignore[attr-defined]

    def _handle_location_urc(self, urc: str) -> None:
        self.event.broadcast("location.received")  # type: ignore[attr-defined]

    def _handle_listen_urc(self, urc: str) -> None:
        fields = _after(urc, "+UUSOLI:").split(",")
        self.socket_identifier = int(fields[0])

    def process_response(
        self, cmd: str, timeout: Optional[float] = None, hide: bool = False
    ) -> str:
        """Read lines until the final result; information lines go to ``self.response``."""
        self.response = []
        name = cmd.split("=", 1)[0].rstrip("?").lower()
        while True:
            line = self._readline_from_serial_port(timeout, hide=hide)
            if not line:
                return ModemResult.Timeout
            line = line.rstrip("\r\n")
            if not line:
                continue
            if line == "SEND OK":
                return ModemResult.OK
            final = at_codec.parse_final(line)
            if final is not None:
                if final.success:
                    return ModemResult.OK
                if final.kind in (at_codec.FinalKind.CME_ERROR, at_codec.FinalKind.CMS_ERROR):
                    self.response.append(line)
                return ModemResult.Error
            if line.startswith("+"):
                if name and line.lower().startswith(name + ":"):
                    self.response.append(line)
                else:
                    self.handleURC(line)
            elif line.upper().startswith("AT" + cmd.upper()):
                continue  # the modem's echo
            else:
                self.response.append(line)

    def _command_result(self) -> Result:
        if self.result == ModemResult.OK and len(self.response) == 1:
            return self.result, self.response[0]
        return self.result, self.response

    def command(
        self,
        cmd: str = "",
        value: Any = None,
        expected: Optional[str] = None,
        timeout: Optional[float] = None,
        retries: int = DEFAULT_SERIAL_RETRIES,
        seteq: bool = False,
        read: bool = False,
        prompt: Optional[bytes] = None,
        data: Optional[str] = None,
        hide: bool = False,
        commit_cmd: Optional[bytes] = None,
    ) -> Any:
        """0.10: send ``AT<cmd>[=<value>]`` and return ``(ModemResult, response)``.

        ``response`` is the one information line as a string when the result is
        OK with exactly one, else the list of lines. A ``cmd`` that starts
        with ``AT`` is the SDK driver's call (see the module doc).
        """
        if cmd[:2].upper() == "AT":
            return self._driver_command(cmd, timeout)
        self.result = ModemResult.Timeout
        if cmd.endswith("?"):
            read = True
            if cmd.endswith("=?"):
                cmd, seteq = cmd[:-2], True
            else:
                cmd = cmd[:-1]
        for _ in range(retries + 1):
            self.checkURC(hide=hide)
            if value is None:
                self.modemwrite(cmd, start=True, at=True, read=read, end=True, seteq=seteq,
                                hide=hide)
            elif read:
                self.result = ModemResult.Invalid
                return self._command_result()
            else:
                self.modemwrite(cmd, start=True, at=True, seteq=True, hide=hide)
                self.modemwrite(value if isinstance(value, bytes) else str(value),
                                end=True, hide=hide)
            if prompt is not None and data is not None:
                answer = self._read_from_serial_port(timeout, len(prompt) + 3)
                if prompt in answer:
                    self._write_to_serial_port_and_flush(data)
                    if commit_cmd:
                        self.debugwrite(commit_cmd, hide=True)
            self.result = self.process_response(cmd, timeout, hide=hide)
            if self.result == ModemResult.OK:
                if expected is not None and not any(r.startswith(expected) for r in self.response):
                    self.result = ModemResult.NoMatch
                break
        return self._command_result()

    def _driver_command(self, line: str, timeout: Optional[float]) -> list[str]:
        """The SDK driver's ``command(line)``: information lines, or a typed error."""
        self.checkURC()
        self.modemwrite(line, start=True, end=True)
        wait = None if timeout is None else max(float(timeout), float(self.timeout))
        self.result = self.process_response(line[2:], wait)
        if self.result == ModemResult.OK:
            return list(self.response)
        if self.result == ModemResult.Timeout:
            raise ModemTimeoutError(line, self.response, float(timeout or self.timeout))
        last = self.response[-1] if self.response else "ERROR"
        final = at_codec.parse_final(last) or at_codec.parse_final("ERROR")
        assert final is not None
        raise at_codec.error_for(line, final)

    def read(self, cmd: str, expected: Optional[str] = None, timeout: Optional[float] = None,
             retries: int = DEFAULT_SERIAL_RETRIES) -> Result:
        return self.command(cmd, None, expected, timeout, retries, read=True)  # type: ignore[no-any-return]

    def set(self, cmd: str, value: Any, expected: Optional[str] = None,
            timeout: Optional[float] = None, retries: int = DEFAULT_SERIAL_RETRIES,
            prompt: Optional[bytes] = None, data: Optional[str] = None) -> Result:
        return self.command(cmd, value, expected, timeout, retries,  # type: ignore[no-any-return]
                            prompt=prompt, data=data)

    def test(self, cmd: str, expected: Optional[str] = None, timeout: Optional[float] = None,
             retries: int = DEFAULT_SERIAL_RETRIES) -> Result:
        return self.command(cmd, None, expected, timeout, retries, True, True)  # type: ignore[no-any-return]

    def _basic_command(self, cmd: str, prefix: bool = True) -> Optional[str]:
        ok, r = self.command(cmd)
        if ok != ModemResult.OK or not isinstance(r, str):
            return None
        if prefix:
            for head in (cmd + ":", cmd.rstrip("?%") + ":"):
                if r.startswith(head):
                    return _after(r, head)
        return r

    def _basic_set(self, cmd: str, value: str, strip_val: bool = True) -> Optional[str]:
        ok, r = self.set(cmd, value)
        head = f"{cmd}: {value}," if strip_val else f"{cmd}: "
        if ok == ModemResult.OK and isinstance(r, str) and r.startswith(head):
            return r[len(head) :]
        return None
