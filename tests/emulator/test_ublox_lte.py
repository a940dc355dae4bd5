"""u-blox SARA-R410/R404 (LTE-M) and SARA-U201 over a real pty: the R4 differences (no
+UPSD; the PDP context from +CGDCONT/+CGACT) and the +USO* sockets bridged to loopback."""

from __future__ import annotations

import socket

import pytest
import serial

from hologram_sdk.emulator.modem import ModemEmulator

from .helpers import PeerServer, command, read_until


def ok(*items):
    return (b"\r\n" + b"".join(i.encode() + b"\r\n" for i in items) if items else b"") + \
        b"\r\nOK\r\n"


@pytest.fixture(params=["r410", "r404", "u201"])
def ublox(request):
    with ModemEmulator(request.param, hosts={"cloudsocket.example": "127.0.0.1"}) as emu:
        emu.start()
        with serial.Serial(emu.device, timeout=0.2) as port:
            command(port, b"ATE0;+CMEE=1")
            yield emu, port


@pytest.fixture
def server():
    srv = PeerServer()
    yield srv
    srv.close()


def test_r4_has_no_upsd_and_brings_its_context_up_with_cgact(ublox):
    emu, port = ublox
    if emu.profile.name == "u201":
        assert command(port, b'AT+UPSD=0,1,"hologram"') == ok()
        assert command(port, b"AT+UPSDA=0,3") == ok()
        assert command(port, b"AT+UPSND=0,8") == ok("+UPSND: 0,8,1")
        assert command(port, b"AT+CGACT?") == b"\r\nERROR\r\n"
        return
    assert command(port, b'AT+UPSD=0,1,"hologram"') == b"\r\nERROR\r\n"
    assert command(port, b"AT+UPSDA=0,3") == b"\r\nERROR\r\n"
    assert command(port, b'AT+CGDCONT=1,"IP","hologram"') == ok()
    assert command(port, b"AT+CGACT?") == ok("+CGACT: 1,0")
    assert command(port, b"AT+CGACT=1,1") == ok()
    assert emu.pdp_active
    assert command(port, b"AT+CGACT?") == ok("+CGACT: 1,1")
    assert command(port, b"AT+CGPADDR=1") == ok('+CGPADDR: 1,"10.170.12.34"')
    assert command(port, b"AT+CGACT=0,1") == ok()
    assert command(port, b"AT+CGPADDR") == ok('+CGPADDR: 1,"0.0.0.0"')
    emu.set(registration="searching")
    assert command(port, b"AT+CGACT=1,1") == b"\r\n+CME ERROR: 3\r\n"


def test_socket_open_write_read_peer_close(ublox, server):
    _emu, port = ublox
    assert command(port, b"AT+USOCR=6") == ok("+USOCR: 0")
    assert command(port, f'AT+USOCO=0,"cloudsocket.example",{server.port}'.encode()) == ok()
    assert command(port, b'AT+USOWR=0,5,"hello"') == ok("+USOWR: 0,5")
    assert server.recv_exactly(5) == b"hello"
    assert command(port, b"AT+USOWR=0,3") == b"\r\n@"
    port.write(b"\x00\x01\x02")
    assert read_until(port) == ok("+USOWR: 0,3")
    assert server.recv_exactly(3) == b"\x00\x01\x02"
    server.send(b"reply")
    assert read_until(port, b"+UUSORD: 0,5\r\n") == b"\r\n+UUSORD: 0,5\r\n"
    server.close_peer()
    assert command(port, b"AT+USORD=0,5", b"+UUSOCL: 0\r\n") == (
        ok('+USORD: 0,5,"reply"') + b"\r\n+UUSOCL: 0\r\n")
    assert command(port, b"AT+USOCL=0") == ok()


def test_listener(ublox):
    emu, port = ublox
    assert command(port, b"AT+USOCR=6") == ok("+USOCR: 0")
    assert command(port, b"AT+USOLI=0,0") == ok()
    listen_port = emu.socket_local_port(0)
    with socket.create_connection(("127.0.0.1", listen_port), timeout=5) as client:
        client_port = client.getsockname()[1]
        urc = read_until(port, f",{listen_port}\r\n".encode())
        assert urc == (f'\r\n+UUSOLI: 1,"127.0.0.1",{client_port},0,"127.0.0.1",'
                       f"{listen_port}\r\n").encode()
        client.sendall(b"in")
        assert read_until(port, b"+UUSORD: 1,2\r\n") == b"\r\n+UUSORD: 1,2\r\n"
        assert command(port, b"AT+USORD=1,2") == ok('+USORD: 1,2,"in"')
    assert read_until(port, b"+UUSOCL: 1\r\n") == b"\r\n+UUSOCL: 1\r\n"
    assert command(port, b"AT+USOCL=1;+USOCL=0") == ok()


def test_u201_profile_deactivated_by_the_network():
    with ModemEmulator("u201") as emu:
        emu.feed(b"ATE0\r")
        assert emu.feed(b"AT+UPSDA=0,3\r") == b"\r\nOK\r\n"
        emu.set(registration="denied")
        assert emu.feed(b"") == b"\r\n+UUPSDD: 0\r\n"
        assert emu.feed(b"AT+UPSND=0,8\r") == b"\r\n+UPSND: 0,8,0\r\n\r\nOK\r\n"
