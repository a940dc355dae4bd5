"""Quectel +QI* sockets through the BG96 driver, bridged by the emulator to TCP on 127.0.0.1."""

import socket

import pytest

from hologram_sdk.base.errors import ATCommandError, ModemTimeoutError
from hologram_sdk.modem.quectel import BG96


def test_connect_send_receive_close_with_every_byte_value(make_emulator, echo_server):
    emu = make_emulator("bg96")
    with BG96(mode="serial", deviceName=emu.device) as modem, modem.sockets() as stack:
        modem.activate_data("hologram", 30)
        sock = stack.create()
        sock.connect("127.0.0.1", echo_server, timeout=10)
        payload = bytes(range(256)) * 2 + b"\r\nOK\r\n!"  # binary, CR/LF and an "OK" line
        assert sock.send(payload) == len(payload)
        received = b""
        while len(received) < len(payload):
            received += sock.receive(1500, timeout=5)
        assert received == payload.upper()
        sock.close()
        sock.close()
        assert f"AT+QICLOSE={sock.id}" in emu.log
        assert any(line.startswith("AT+QIRD=") for line in emu.log)


def test_refused_connect_names_the_command_and_the_code(make_emulator):
    emu = make_emulator("bg96")
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with BG96(mode="serial", deviceName=emu.device) as modem, modem.sockets() as stack:
        modem.activate_data("hologram", 30)
        with stack.create() as sock, pytest.raises(ATCommandError) as info:
            sock.connect("127.0.0.1", port, timeout=10)
    assert info.value.command.startswith("AT+QIOPEN=1,")
    assert info.value.cme_code is not None and 550 <= info.value.cme_code <= 574


def test_listen_accept_and_peer_close(make_emulator):
    emu = make_emulator("bg96")
    with BG96(mode="serial", deviceName=emu.device) as modem, modem.sockets() as stack:
        modem.activate_data("hologram", 30)
        listener = stack.create()
        listener.listen(4010)
        port = emu.socket_local_port(listener.id)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            conn = listener.accept(timeout=5)
            client.sendall(b"hello modem")
            assert conn.receive(100, timeout=5) == b"hello modem"
            with pytest.raises(ModemTimeoutError):
                conn.receive(100, timeout=0.2)
            client.close()
            assert conn.receive(100, timeout=5) == b""
            assert conn.peer_closed
            conn.close()
        listener.close()
