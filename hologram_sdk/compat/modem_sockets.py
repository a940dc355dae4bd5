"""0.10's modem socket calls: the u-blox ``+USO*`` family (0.10's ``Modem`` base and
the Novas) and the Quectel ``+QI*`` family (``Quectel``, ``BG96``, ``EC21``, ``EC25``).

Both sit on :class:`~hologram_sdk.compat.modem.Modem010`'s command engine.
"""

from __future__ import annotations

import binascii
from typing import Any, Optional

from hologram_sdk.base.errors import NetworkError
from hologram_sdk.compat.modem import Modem010, _after
from hologram_sdk.compat.utilclasses import ModemResult

#: hex characters per write (255 bytes)
_HEX_CHUNK = 510


class USocket010(Modem010):
    """u-blox sockets: ``+USOCR``/``+USOCO``/``+USOLI``/``+USOWR``/``+USORD``/``+USOCL``."""

    def create_socket(self) -> None:
        answer = self._basic_set("+USOCR", "6", strip_val=False)
        if answer is not None:
            self.socket_identifier = int(answer)

    def connect_socket(self, host: str, port: int) -> None:
        ok, _ = self.set("+USOCO", f'{self.socket_identifier},"{host}",{port}',
                         timeout=self.connect_timeout)
        if ok != ModemResult.OK:
            raise NetworkError("Failed to connect socket")

    #: seconds ``connect_socket`` waits (the R4 needs 122)
    connect_timeout = 20

    def listen_socket(self, port: int) -> None:
        self.listen_socket_identifier = self.socket_identifier
        ok, _ = self.set("+USOLI", f"{self.socket_identifier},{port}", timeout=5)
        if ok != ModemResult.OK:
            raise NetworkError("Failed to listen socket")

    def write_socket(self, data: bytes) -> None:
        self.enable_hex_mode()
        for chunk in self._chunks(binascii.hexlify(data), _HEX_CHUNK):
            value = b'%d,%d,"%s"' % (self.socket_identifier, len(chunk) // 2, chunk)
            ok, _ = self.set("+USOWR", value, timeout=10)
            if ok != ModemResult.OK:
                raise NetworkError("Failed to write socket")
        self.disable_hex_mode()

    def read_socket(self, socket_identifier: Optional[int] = None,
                    payload_length: Optional[int] = None) -> Any:
        if socket_identifier is None:
            socket_identifier = self.socket_identifier
        if payload_length is None:
            payload_length = self.last_read_payload_length
        self.enable_hex_mode()
        answer = self._basic_set("+USORD", f"{socket_identifier},{payload_length}")
        self.disable_hex_mode()
        data = binascii.unhexlify((answer or "").strip('"'))
        try:
            return data.decode()
        except UnicodeDecodeError:
            return data

    def close_socket(self, socket_identifier: Optional[int] = None) -> None:
        if socket_identifier is None:
            socket_identifier = self.socket_identifier
        ok, _ = self.set("+USOCL", f"{socket_identifier}")
        if ok != ModemResult.OK:
            self.logger.info("Failed to close socket")

    def send_message(self, data: bytes, timeout: float = Modem010.DEFAULT_SEND_TIMEOUT) -> Any:
        """Write ``data`` on the open socket and return the reply once it arrives."""
        self.urc_state = self.SOCKET_INIT
        self.write_socket(data)
        if not self._wait_for_state(self.SOCKET_SEND_READ, timeout):
            return "[1,0]"  # the socket closed: the cloud's "connection closed"
        return self.read_socket()

    def pop_received_message(self) -> Any:
        self.checkURC()
        return self._socket_receive_buffer.popleft() if self._socket_receive_buffer else None

    def open_receive_socket(self, receive_port: int) -> None:
        self.create_socket()
        self.listen_socket(receive_port)

    def _read_and_append_message_receive_buffer(self, socket_identifier: int,
                                                payload_length: int) -> None:
        message = self.read_socket(socket_identifier=socket_identifier,
                                   payload_length=payload_length)
        self._socket_receive_buffer.append(message)
        self.close_socket(socket_identifier=socket_identifier)


class QSocket010(USocket010):
    """Quectel sockets: ``+QICSGP``/``+QIACT`` context, ``+QIOPEN``/``+QISENDEX``/``+QIRD``."""

    at_sockets_default = True
    registration_commands = ("+CREG", "+CEREG")
    #: the command and value that deactivate the PDP context
    deactivate: tuple[str, Optional[str]] = ("+QIDEACT", None)

    def _init_010(self, apn: str, pdp_context: int) -> None:
        super()._init_010(apn, pdp_context)
        self.urc_response = ""

    def create_socket(self) -> None:
        self._set_up_pdp_context()

    def connect_socket(self, host: str, port: int) -> None:
        self.command("+QIOPEN", f'{self._pdp_context},0,"TCP","{host}",{int(port)},0,1')

    def listen_socket(self, port: int) -> None:
        """Not offered by the Quectel family in 0.10 (inbound needs PPP there)."""

    def write_socket(self, data: bytes) -> None:
        for chunk in self._chunks(binascii.hexlify(data), _HEX_CHUNK):
            ok, _ = self.set("+QISENDEX", f'{self.socket_identifier},"{chunk.decode()}"',
                             timeout=10)
            if ok != ModemResult.OK:
                raise NetworkError("Failed to write to socket")

    def read_socket(self, socket_identifier: Optional[int] = None,
                    payload_length: Optional[int] = None) -> Any:
        if socket_identifier is None:
            socket_identifier = self.socket_identifier
        if payload_length is None:
            payload_length = self.last_read_payload_length
        ok, answer = self.set("+QIRD", f"{socket_identifier},{payload_length}")
        if ok != ModemResult.OK or not isinstance(answer, str):
            return None
        return _after(answer, "+QIRD:").strip('"')

    def close_socket(self, socket_identifier: Optional[int] = None) -> None:
        ok, _ = self.command("+QICLOSE", self.socket_identifier)
        if ok != ModemResult.OK:
            self.logger.error("Failed to close socket")
        self.urc_state = self.SOCKET_CLOSED
        self._tear_down_pdp_context()

    def send_message(self, data: bytes, timeout: float = Modem010.DEFAULT_SEND_TIMEOUT) -> Any:
        self._wait_for_state(self.SOCKET_WRITE_STATE, timeout)
        self.write_socket(data)
        if not self._wait_for_state(self.SOCKET_SEND_READ, timeout):
            return "[1,0]"
        return self.urc_response.rstrip("\r\n")

    def handleURC(self, urc: str) -> None:
        if urc.startswith("+QIOPEN: "):
            fields = _after(urc, "+QIOPEN:").split(",")
            if int(fields[-1]) != 0:
                raise NetworkError("Failed to open socket")
            self.urc_state = self.SOCKET_WRITE_STATE
            self.socket_identifier = int(fields[0])
            return
        if urc.startswith("+QIURC: "):
            fields = _after(urc, "+QIURC:").split(",")
            if fields[0] == '"recv"':
                self.urc_state = self.SOCKET_SEND_READ
                self.socket_identifier = int(fields[1])
                self.last_read_payload_length = int(fields[2])
                self.urc_response = self._readline_from_serial_port(5)
            elif fields[0] == '"closed"':
                self.urc_state = self.SOCKET_CLOSED
                self.socket_identifier = int(fields[-1])
            return
        super().handleURC(urc)

    def _is_pdp_context_active(self) -> bool:
        if not self.is_registered():
            return False
        ok, answer = self.command("+QIACT?")
        if ok == ModemResult.OK and isinstance(answer, str):
            try:
                return int(_after(answer, "+QIACT:").split(",")[1]) == 1
            except (IndexError, ValueError) as exc:
                self.logger.error(repr(exc))
        return False

    def _set_up_pdp_context(self) -> bool:
        if self._is_pdp_context_active():
            return True
        self.set("+QICSGP", f'{self._pdp_context},1,"{self._apn}","","",1')
        ok, _ = self.set("+QIACT", f"{self._pdp_context}", timeout=30)
        if ok != ModemResult.OK:
            raise NetworkError("Failed PDP context setup")
        return True

    def _tear_down_pdp_context(self) -> bool:
        if not self._is_pdp_context_active():
            return True
        name, value = self.deactivate
        ok, _ = self.set(name, value if value is not None else f"{self._pdp_context}",
                         timeout=30)
        if ok != ModemResult.OK:
            self.logger.error("PDP Context tear down failed")
        return True
