"""u-blox sockets of the iota profile, bridged to real TCP on 127.0.0.1."""

from __future__ import annotations

import socket
import threading

import pytest
import serial

from hologram_sdk.emulator.modem import ModemEmulator

from .helpers import command, read_until


class EchoServer:
    """A real TCP server thread on 127.0.0.1 that answers b"ack:" + what it got, then closes."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.received = b""
        self.thread = threading.Thread(target=self._serve)
        self.thread.start()

    def _serve(self):
        self.listener.settimeout(5)
        conn, _ = self.listener.accept()
        with conn:
            conn.settimeout(5)
            self.received = conn.recv(4096)
            conn.sendall(b"ack:" + self.received)

    def close(self):
        self.thread.join(6)
        self.listener.close()


@pytest.fixture
def iota():
    with ModemEmulator("iota", hosts={"cloudsocket.example": "127.0.0.1"}) as emu:
        emu.start()
        with serial.Serial(emu.device, timeout=0.2) as port:
            command(port, b"ATE0;+CMEE=1")
            yield emu, port


@pytest.fixture
def server():
    srv = EchoServer()
    yield srv
    srv.close()


def test_hex_mode_exchange_like_the_sdk(iota, server):
    _emu, port = iota
    assert command(port, b"AT+USOCR=6") == b"\r\n+USOCR: 0\r\n\r\nOK\r\n"
    assert command(port, f'AT+USOCO=0,"cloudsocket.example",{server.port}'.encode()) == (
        b"\r\nOK\r\n")
    assert command(port, b"AT+UDCONF=1,1") == b"\r\nOK\r\n"
    assert command(port, b"AT+UDCONF=1") == b"\r\n+UDCONF: 1,1\r\n\r\nOK\r\n"
    payload = b"hello \x00\xff"
    answer = command(port, f'AT+USOWR=0,{len(payload)},"{payload.hex()}"'.encode(),
                     b"\r\n+UUSORD: 0,12\r\n")
    assert answer == b"\r\n+USOWR: 0,8\r\n\r\nOK\r\n\r\n+UUSORD: 0,12\r\n"
    assert command(port, b"AT+USORD=0,0") == b"\r\n+USORD: 0,12\r\n\r\nOK\r\n"
    assert command(port, b"AT+USORD=0,5", b"\r\n+UUSORD: 0,7\r\n") == (
        b'\r\n+USORD: 0,5,"61636B3A68"\r\n\r\nOK\r\n\r\n+UUSORD: 0,7\r\n')
    rest = command(port, b"AT+USORD=0,100", b"\r\n+UUSOCL: 0\r\n")
    assert rest == b'\r\n+USORD: 0,7,"656C6C6F2000FF"\r\n\r\nOK\r\n\r\n+UUSOCL: 0\r\n'
    assert server.received == payload
    assert command(port, b"AT+USOCL=0") == b"\r\nOK\r\n"
    assert command(port, b"AT+USOCL=0") == b"\r\n+CME ERROR: 3\r\n"
    assert command(port, b"AT+USOER") == b"\r\n+USOER: 9\r\n\r\nOK\r\n"


def test_text_mode_and_binary_prompt(iota, server):
    emu, port = iota
    command(port, b"AT+USOCR=6")
    command(port, f'AT+USOCO=0,"127.0.0.1",{server.port}'.encode())
    assert command(port, b"AT+USOWR=0,3") == b"\r\n@"
    port.write(b"a\r\"")
    assert read_until(port, b"\r\n+UUSORD: 0,7\r\n") == (
        b"\r\n+USOWR: 0,3\r\n\r\nOK\r\n\r\n+UUSORD: 0,7\r\n")
    assert command(port, b"AT+USORD=0,7", b"\r\n+UUSOCL: 0\r\n") == (
        b'\r\n+USORD: 0,7,"ack:a\r""\r\n\r\nOK\r\n\r\n+UUSOCL: 0\r\n')
    assert emu.socket_local_port(0) > 0


def test_only_loopback_is_reachable(iota):
    _emu, port = iota
    command(port, b"AT+USOCR=6")
    assert command(port, b'AT+USOCO=0,"192.0.2.1",80') == b"\r\n+CME ERROR: 3\r\n"
    assert command(port, b"AT+USOER") == b"\r\n+USOER: 113\r\n\r\nOK\r\n"
    assert command(port, b'AT+USOCO=0,"cloudsocket.hologram.io",9999') == (
        b"\r\n+CME ERROR: 3\r\n")
    assert command(port, b"AT+USOER") == b"\r\n+USOER: 163\r\n\r\nOK\r\n"
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    free_port = closed.getsockname()[1]
    closed.close()
    assert command(port, f'AT+USOCO=0,"127.0.0.1",{free_port}'.encode()) == (
        b"\r\n+CME ERROR: 3\r\n")
    assert command(port, b"AT+USOCTL=0,1") == b"\r\n+USOCTL: 0,1,111\r\n\r\nOK\r\n"


def test_listen_and_accept_a_real_inbound_connection(iota):
    emu, port = iota
    assert command(port, b"AT+USOCR=6") == b"\r\n+USOCR: 0\r\n\r\nOK\r\n"
    assert command(port, b"AT+USOLI=0,0") == b"\r\nOK\r\n"
    listen_port = emu.socket_local_port(0)
    assert command(port, b"AT+USOCTL=0,10") == b"\r\n+USOCTL: 0,10,1\r\n\r\nOK\r\n"
    with socket.create_connection(("127.0.0.1", listen_port), timeout=5) as client:
        local = client.getsockname()[1]
        urc = read_until(port, f",{listen_port}\r\n".encode())
        assert urc == (f'\r\n+UUSOLI: 1,"127.0.0.1",{local},0,"127.0.0.1",{listen_port}\r\n'
                       .encode())
        client.sendall(b"inbound")
        assert read_until(port, b"\r\n+UUSORD: 1,7\r\n") == b"\r\n+UUSORD: 1,7\r\n"
        assert command(port, b"AT+USORD=1,7") == b'\r\n+USORD: 1,7,"inbound"\r\n\r\nOK\r\n'
        assert command(port, b'AT+USOWR=1,5,"reply"') == b"\r\n+USOWR: 1,5\r\n\r\nOK\r\n"
        assert client.recv(5) == b"reply"
        assert command(port, b"AT+USOCL=1") == b"\r\nOK\r\n"
        assert client.recv(5) == b""
    assert command(port, b"AT+USOCL=0") == b"\r\nOK\r\n"


def test_sockets_are_iota_only():
    with ModemEmulator("e303") as emu:
        assert emu.feed(b"ATE0;+USOCR=6\r") == b"ATE0;+USOCR=6\r\r\nERROR\r\n"


def test_close_releases_bridged_sockets(server):
    emu = ModemEmulator("iota")
    emu.feed(b"ATE0\r")
    assert emu.feed(b"AT+USOCR=6\r") == b"\r\n+USOCR: 0\r\n\r\nOK\r\n"
    assert emu.feed(f'AT+USOCO=0,"localhost",{server.port}\r'.encode()) == b"\r\nOK\r\n"
    emu.close()
    emu.close()
