"""hologram-python 0.10's modem classes: their command engine, SMS and socket calls
# ruff: noqa: N813, N815, E501, RUF059
against the modem emulator on a real pty, and the private seams 0.10's tests patch."""

from __future__ import annotations

import datetime
import socket
import threading

import pytest

from hologram_sdk.emulator.modem import ModemEmulator


@pytest.fixture
def iota():
    with ModemEmulator("iota") as emu:
        emu.start()
        yield emu


def test_command_read_set_test_and_identity(iota):
    from Hologram.Network.Modem import Nova_U201
    from UtilClasses import ModemResult

    with Nova_U201(device_name=iota.device) as modem:
        assert modem.command("+CGMM") == (ModemResult.OK, "SARA-U201")
        ok, answer = modem.read("+CREG")
        assert ok == ModemResult.OK and answer.startswith("+CREG: 2,")
        assert modem.test("+CMGF")[0] == ModemResult.OK
        assert modem.set("+CMEE", "2") == (ModemResult.OK, [])
        assert modem.command("+NOSUCH")[0] == ModemResult.Error
        assert modem.read("+CREG", expected="+NOPE")[0] == ModemResult.NoMatch
        assert modem.imsi == "001010123456789" and modem.iccid.startswith("8910")
        assert modem.modem_id == "SARA-U201" and modem.is_registered()
        assert modem.signal_strength.count(",") == 1
        assert modem.operator  # +COPS when the modem has no +UDOPN
        assert modem.details.endswith(f"at port: {iota.device}")
        assert modem.radio_power(True)
        assert any("AT+CMEE=2" in line for line in iota.log)  # 0.10's set-up ran first


def test_received_sms_is_decoded_and_deleted(iota):
    from Hologram.Network.Modem import Nova_U201

    when = datetime.datetime(2017, 6, 24, 0, 26, 49, tzinfo=datetime.timezone.utc)
    iota.deliver_sms("+447937405250", "Test 123", timestamp=when)
    iota.deliver_sms("+15551234567", "later", timestamp=when + datetime.timedelta(hours=1))
    with Nova_U201(device_name=iota.device) as modem:
        first = modem.popReceivedSMS()
        assert (first.sender, first.message) == ("447937405250", "Test 123")
        assert first.timestamp == datetime.datetime(2017, 6, 24, 0, 26, 49)
        assert modem.popReceivedSMS().message == "later"
        assert modem.popReceivedSMS() is None
    assert iota.stored_sms == {}


def test_u_blox_sockets_send_and_receive(iota):
    from Hologram.Network.Modem import Nova_U201

    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)
    got = []

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.settimeout(5)
            got.append(conn.recv(4096))
            conn.sendall(b"[0,0]")

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with Nova_U201(device_name=iota.device) as modem:
            assert modem.at_sockets_available
            modem.create_socket()
            modem.connect_socket("127.0.0.1", server.getsockname()[1])
            assert modem.send_message(b'{"k":"12345678","d":"hi"}\r\r') == "[0,0]"
            modem.close_socket()
    finally:
        thread.join(5)
        server.close()
    assert got == [b'{"k":"12345678","d":"hi"}\r\r']


def test_the_driver_methods_share_the_port(iota):
    """The SDK driver's own calls (AT lines) run over the same port as 0.10's."""
    from Hologram.Network.Modem import IOTA

    with IOTA(deviceName=iota.device) as modem:
        assert modem.command("AT+CGMM") == ["SARA-U201"]  # the driver's call shape
        assert modem.command("+CGMM")[1] == "SARA-U201"  # 0.10's
        assert modem.imei and modem.sim_state.value == "ready"


def test_private_seams_can_be_replaced():
    from Hologram.Network.Modem import Nova_U201
    from UtilClasses import ModemResult

    class ScriptedPort(Nova_U201):
        """Test double: the three serial seams over a list of lines."""

        def __init__(self, lines):
            super().__init__(device_name="/dev/nonexistent-test")
            self.lines, self.written = list(lines), []

        def _write_to_serial_port_and_flush(self, message):
            self.written.append(message)

        def _readline_from_serial_port(self, timeout=None, hide=False):
            return self.lines.pop(0) if self.lines and timeout != 0 else ""

        def _read_from_serial_port(self, timeout=None, size=256):
            return b""

    modem = ScriptedPort(["+CSQ: 17,99\r\n", "OK\r\n"])
    assert modem.signal_strength == "17,99"
    assert "".join(map(str, modem.written)) == "AT+CSQ\r\n"
    modem = ScriptedPort(["+CME ERROR: SIM not inserted\r\n"])
    assert modem.command("+CIMI") == (ModemResult.Error, ["+CME ERROR: SIM not inserted"])
    modem = ScriptedPort([])
    assert modem.command("+CIMI")[0] == ModemResult.Timeout
    modem.handleURC('+UUSORD: 3,12')
    assert (modem.socket_identifier, modem.last_read_payload_length) == (3, 12)
    modem.close()


@pytest.mark.parametrize(
    ("name", "kwargs", "device", "sockets"),
    [
        ("E303", {"deviceName": "/dev/ttyUSB3", "baudRate": "115200"}, "/dev/ttyUSB3", False),
        ("MS2131", {"device_name": "/dev/ttyUSB4", "baud_rate": "9600"}, "/dev/ttyUSB4", False),
        ("Nova", {"chatscript_file": "/tmp/s"}, None, False),
        ("NovaM", {"device_name": "/dev/ttyUSB1"}, "/dev/ttyUSB1", True),
        ("BG96", {"apn": "other", "pdp_context": 3}, None, True),
        ("EC21", {}, None, True),
        ("EC25", {}, None, True),
        ("E372", {}, None, False),
        ("Quectel", {}, None, True),
    ],
)
def test_both_generations_keywords(name, kwargs, device, sockets):
    import Hologram.Network.Modem as modems
    import hologram_sdk.modem.modem as core

    cls = getattr(modems, name)
    modem = cls(**kwargs)  # nothing touches a port before the first command
    assert isinstance(modem, core.Modem) and isinstance(modem, modems.Modem)
    if device:
        assert modem.device_name == modem.deviceName == device
    assert modem.at_sockets_available is sockets
    assert modem.timeout == 1 and modem.socket_identifier == 0
    if "chatscript_file" in kwargs:
        assert modem.chatscript_file == modem.chatScriptFile == "/tmp/s"
    if name == "BG96":
        assert (modem.apn, modem.pdp_context, modem.description) == ("other", 3, "Quectel BG96")
    modem.close()


def test_positional_arguments_in_0_10_order():
    from Hologram.Network.Modem import Nova

    modem = Nova("/dev/ttyACM5", "115200", "/tmp/chat")
    assert (modem.device_name, modem.baud_rate, modem.chatscript_file) == (
        "/dev/ttyACM5", "115200", "/tmp/chat")
    assert modem.mode == "ppp"
    modem.close()


def test_mock_modem_is_an_emulated_e303():
    from Hologram.Network.Modem import MockModem
    from UtilClasses import ModemResult

    with MockModem() as modem:
        assert modem.device_name == "/dev/ttyUSB0"
        assert modem.command("+CGMI")[0] == ModemResult.OK


def test_modem_result_strings_and_unsupported_location():
    from Hologram.Network.Modem import Modem, NovaM

    modem = Modem(device_name="/dev/nonexistent-test")
    assert modem.getResultString(-3) == "Modem response doesn't match expected return value"
    assert modem.getResultString(7) == "Unknown response code"
    with pytest.raises(NotImplementedError):
        modem.location  # noqa: B018
    with pytest.raises(NotImplementedError, match="do not support Cell Locate"):
        NovaM(device_name="/dev/nonexistent-test").location  # noqa: B018
    modem.close()
