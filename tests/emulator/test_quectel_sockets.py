"""Quectel +QI* sockets (BG96, EC21, EC25) over a real pty, bridged to real TCP on 127.0.0.1.

The command syntax is the one Quectel's TCP/IP application notes give (and the
0.10 SDK sends): +QICSGP/+QIACT, +QIOPEN then ``+QIOPEN: <id>,<err>``,
+QISENDEX / +QISEND and ``SEND OK``, ``+QIURC: "recv"`` and +QIRD,
``+QIURC: "closed"``, +QICLOSE, and a "TCP LISTENER".
"""

from __future__ import annotations

import socket

import pytest
import serial

from hologram_sdk.emulator.modem import ModemEmulator

from .helpers import PeerServer, command, read_until

QUECTEL = ["bg96", "ec21", "ec25"]


def ok(*items):
    return (b"\r\n" + b"".join(i.encode() + b"\r\n" for i in items) if items else b"") + \
        b"\r\nOK\r\n"


@pytest.fixture(params=QUECTEL)
def modem(request):
    with ModemEmulator(request.param, hosts={"cloudsocket.example": "127.0.0.1"}) as emu:
        emu.start()
        with serial.Serial(emu.device, timeout=0.2) as port:
            command(port, b"ATE0;+CMEE=1")
            yield emu, port


@pytest.fixture
def bg96():
    with ModemEmulator("bg96", hosts={"cloudsocket.example": "127.0.0.1"}) as emu:
        emu.start()
        with serial.Serial(emu.device, timeout=0.2) as port:
            command(port, b"ATE0;+CMEE=1")
            yield emu, port


@pytest.fixture
def server():
    srv = PeerServer()
    yield srv
    srv.close()


def activate(port):
    assert command(port, b'AT+QICSGP=1,1,"hologram","","",1') == ok()
    assert command(port, b"AT+QIACT?") == ok()
    assert command(port, b"AT+QIACT=1") == ok()
    assert command(port, b"AT+QIACT?") == ok('+QIACT: 1,1,1,"10.170.12.34"')


def open_tcp(port, sid, tcp_port, mode=0, host="127.0.0.1"):
    line = f'AT+QIOPEN=1,{sid},"TCP","{host}",{tcp_port},0,{mode}'.encode()
    tail = f"+QIOPEN: {sid},".encode()
    answer = command(port, line, b"\r\n")
    while tail not in answer or not answer.endswith(b"\r\n"):
        answer += read_until(port, b"\r\n")
    return answer


def test_pdp_context_and_the_sdk_exchange_in_buffer_mode(modem, server):
    emu, port = modem
    activate(port)
    assert emu.pdp_active
    assert command(port, b'AT+QICSGP=1') == ok('+QICSGP: 1,"hologram","","",1')
    assert open_tcp(port, 0, server.port, host="cloudsocket.example") == (
        b"\r\nOK\r\n\r\n+QIOPEN: 0,0\r\n")
    payload = b"hello \x00\xff"
    assert command(port, f'AT+QISENDEX=0,"{payload.hex()}"'.encode(), b"SEND OK\r\n") == (
        b"\r\nSEND OK\r\n")
    assert server.recv_exactly(len(payload)) == payload
    server.send(b"ack:12345")
    assert read_until(port, b'"recv",0\r\n') == b'\r\n+QIURC: "recv",0\r\n'
    assert command(port, b"AT+QIRD=0,0") == ok("+QIRD: 9,0,9")
    assert command(port, b"AT+QIRD=0,4") == ok("+QIRD: 4", "ack:")
    assert command(port, b"AT+QIRD=0,1500") == ok("+QIRD: 5", "12345")
    assert command(port, b"AT+QIRD=0,1500") == ok("+QIRD: 0")
    assert command(port, b"AT+QISEND=0,0") == ok("+QISEND: 8,8,0")
    server.close_peer()
    assert read_until(port, b'"closed",0\r\n') == b'\r\n+QIURC: "closed",0\r\n'
    assert command(port, b'AT+QISENDEX=0,"00"', b"SEND FAIL\r\n") == b"\r\nSEND FAIL\r\n"
    assert command(port, b"AT+QICLOSE=0") == ok()
    assert command(port, b"AT+QISTATE?") == ok()
    assert command(port, b"AT+QIDEACT=1") == ok()
    assert command(port, b"AT+QIACT?") == ok()


def test_direct_push_mode_carries_the_data_in_the_urc(bg96, server):
    _emu, port = bg96
    activate(port)
    assert open_tcp(port, 3, server.port, mode=1) == b"\r\nOK\r\n\r\n+QIOPEN: 3,0\r\n"
    server.send(b"[0,0]")
    assert read_until(port, b"[0,0]\r\n") == b'\r\n+QIURC: "recv",3,5\r\n[0,0]\r\n'
    assert command(port, b"AT+QIRD=3,100") == b"\r\nERROR\r\n"  # nothing is buffered
    server.close_peer()
    assert read_until(port, b'"closed",3\r\n') == b'\r\n+QIURC: "closed",3\r\n'
    assert command(port, b"AT+QICLOSE=3") == ok()


def test_qisend_with_the_prompt_fixed_length_and_ctrl_z(bg96, server):
    _emu, port = bg96
    activate(port)
    open_tcp(port, 0, server.port)
    assert command(port, b"AT+QISEND=0,5") == b"\r\n> "
    port.write(b"hello")
    assert read_until(port, b"SEND OK\r\n") == b"\r\nSEND OK\r\n"
    assert server.recv_exactly(5) == b"hello"
    assert command(port, b"AT+QISEND=0") == b"\r\n> "
    port.write(b"any length\x1a")
    assert read_until(port, b"SEND OK\r\n") == b"\r\nSEND OK\r\n"
    assert server.recv_exactly(10) == b"any length"
    assert command(port, b"AT+QISEND=0") == b"\r\n> "
    port.write(b"never\x1b")
    assert read_until(port, b"SEND FAIL\r\n") == b"\r\nSEND FAIL\r\n"
    assert command(port, b"AT+QISEND=0,0") == ok("+QISEND: 15,15,0")
    assert command(port, b"AT+QICLOSE=0") == ok()


def test_open_failures_come_in_the_urc(bg96, server):
    emu, port = bg96
    assert command(port, b'AT+QIOPEN=1,0,"TCP","127.0.0.1",1,0,0', b"\r\n+QIOPEN: 0,561\r\n") == (
        b"\r\nOK\r\n\r\n+QIOPEN: 0,561\r\n")  # no PDP context yet
    activate(port)
    refused = socket.create_server(("127.0.0.1", 0))
    closed_port = refused.getsockname()[1]
    refused.close()
    assert open_tcp(port, 0, closed_port) == b"\r\nOK\r\n\r\n+QIOPEN: 0,566\r\n"
    assert command(port, b"AT+QIGETERROR") == ok("+QIGETERROR: 566,socket connect failed")
    assert open_tcp(port, 0, 80, host="nowhere.invalid") == b"\r\nOK\r\n\r\n+QIOPEN: 0,565\r\n"
    assert open_tcp(port, 0, server.port) == b"\r\nOK\r\n\r\n+QIOPEN: 0,0\r\n"
    assert open_tcp(port, 0, server.port) == b"\r\nOK\r\n\r\n+QIOPEN: 0,563\r\n"
    assert command(port, b'AT+QIOPEN=1,1,"UDP","127.0.0.1",9,0,0', b"+QIOPEN: 1,555\r\n") == (
        b"\r\nOK\r\n\r\n+QIOPEN: 1,555\r\n")
    assert command(port, b'AT+QIOPEN=1,12,"TCP","127.0.0.1",9,0,0') == b"\r\nERROR\r\n"
    assert command(port, b'AT+QIOPEN=1,1,"TCP","127.0.0.1",9,0,2') == b"\r\nERROR\r\n"
    assert command(port, b"AT+QICLOSE=0") == ok()
    emu.set(registration="denied")
    assert read_until(port, b'"pdpdeact",1\r\n') == b'\r\n+QIURC: "pdpdeact",1\r\n'
    assert command(port, b"AT+QIACT=1") == b"\r\nERROR\r\n"


def test_listener_announces_incoming_connections(bg96):
    emu, port = bg96
    activate(port)
    assert command(port, b'AT+QIOPEN=1,11,"TCP LISTENER","127.0.0.1",0,0,0',
                   b"+QIOPEN: 11,0\r\n") == b"\r\nOK\r\n\r\n+QIOPEN: 11,0\r\n"
    listen_port = emu.socket_local_port(11)
    with socket.create_connection(("127.0.0.1", listen_port), timeout=5) as client:
        client_port = client.getsockname()[1]
        urc = read_until(port, f",{client_port}\r\n".encode())
        assert urc == f'\r\n+QIURC: "incoming",0,11,"127.0.0.1",{client_port}\r\n'.encode()
        state = command(port, b"AT+QISTATE=1,0")
        assert state == ok(f'+QISTATE: 0,"TCP INCOMING","127.0.0.1",{client_port},'
                           f'{listen_port},2,1,11,0,"usbmodem"')
        client.sendall(b"inbound")
        assert read_until(port, b'"recv",0\r\n') == b'\r\n+QIURC: "recv",0\r\n'
        assert command(port, b"AT+QIRD=0") == ok("+QIRD: 7", "inbound")
        assert command(port, b'AT+QISENDEX=0,"6f6b"', b"SEND OK\r\n") == b"\r\nSEND OK\r\n"
        client.settimeout(5)
        assert client.recv(2) == b"ok"
    assert read_until(port, b'"closed",0\r\n') == b'\r\n+QIURC: "closed",0\r\n'
    assert command(port, b"AT+QICLOSE=0;+QICLOSE=11") == ok()


def test_deactivating_the_context_closes_its_sockets(bg96, server):
    emu, port = bg96
    activate(port)
    open_tcp(port, 0, server.port)
    assert command(port, b"AT+QIDEACT=1") == ok()
    assert not emu.pdp_active
    assert command(port, b"AT+QISTATE?") == ok()
    assert server.connection().recv(1) == b""  # the far end saw the close


def test_reset_drops_sockets_and_the_context(bg96, server):
    emu, port = bg96
    activate(port)
    open_tcp(port, 0, server.port)
    port.write(b"AT+CFUN=1,1\r")
    assert read_until(port, b"RDY\r\n") == b"\r\nOK\r\n\r\nRDY\r\n"
    assert not emu.pdp_active
    assert server.connection().recv(1) == b""


def test_losing_the_network_tears_the_context_down(bg96, server):
    emu, port = bg96
    activate(port)
    open_tcp(port, 0, server.port)
    emu.set(registration="searching")
    assert read_until(port, b'"pdpdeact",1\r\n') == b'\r\n+QIURC: "pdpdeact",1\r\n'
    assert not emu.pdp_active
    assert command(port, b"AT+QISTATE?") == ok()
    assert server.connection().recv(1) == b""
    assert command(port, b"AT+QIACT=1") == b"\r\nERROR\r\n"  # not registered
    emu.set(registration="home")
    assert command(port, b"AT+QIACT=1") == ok()
