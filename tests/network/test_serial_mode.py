"""Serial mode transport and listener: bytes through the emulator's u-blox sockets.

The emulator bridges +USOCO/+USOWR/+USORD and +USOLI to real TCP sockets on
127.0.0.1, so these tests run real servers and clients on loopback.
"""

import socket
import threading

import pytest

from hologram_sdk.base.errors import CloudConnectionError, CloudTimeoutError, ConfigurationError
from hologram_sdk.modem.iota import IOTA
from hologram_sdk.network.serial_mode import ModemSocketListener, ModemSocketTransport
from tests.support.net import free_port
from tests.support.servers import ReplyServer


@pytest.fixture
def iota(emulator):
    emu = emulator("iota")
    modem = IOTA(mode="serial", deviceName=emu.device)
    yield emu, modem
    modem.close()


def test_request_and_reply_through_the_modem(iota):
    emu, modem = iota
    payload = bytes(range(256)) * 3  # more than one +USOWR chunk, every byte value
    server = ReplyServer(b"[0,0]", request_size=len(payload))
    try:
        with modem.sockets() as stack:
            transport = ModemSocketTransport(stack)
            reply = transport("127.0.0.1", server.port, payload, 10.0)
    finally:
        server.close()
    assert reply == b"[0,0]"
    assert server.requests == [payload]
    commands = [line.split("=")[0] for line in emu.log]
    for command in ("AT+USOCR", "AT+USOCO", "AT+USOWR", "AT+USORD", "AT+USOCL"):
        assert command in commands


def test_reply_framing_returns_before_the_server_closes(iota):
    _, modem = iota
    server = ReplyServer(b"[0,0]", request_size=5, keep_open=True)
    try:
        with modem.sockets() as stack:
            reply = ModemSocketTransport(stack)(
                "127.0.0.1", server.port, b"hello", 10.0, lambda data, closed: data.endswith(b"]"))
    finally:
        server.close()
    assert reply == b"[0,0]"


def test_refused_connection_is_a_cloud_connection_error(iota):
    _, modem = iota
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    with modem.sockets() as stack:
        with pytest.raises(CloudConnectionError, match=f"cannot connect to 127.0.0.1:{port}"):
            ModemSocketTransport(stack)("127.0.0.1", port, b"x", 5.0)


def test_silent_server_is_a_timeout(iota):
    _, modem = iota
    server = ReplyServer(b"", request_size=1, keep_open=True)
    try:
        with modem.sockets() as stack:
            with pytest.raises(CloudTimeoutError, match="no reply"):
                ModemSocketTransport(stack)("127.0.0.1", server.port, b"x", 0.5)
    finally:
        server.close()


def test_bad_timeout_is_rejected(iota):
    _, modem = iota
    with modem.sockets() as stack:
        with pytest.raises(ConfigurationError):
            ModemSocketTransport(stack)("127.0.0.1", 9, b"x", 0)


def test_listener_receives_one_message_per_connection(iota):
    emu, modem = iota
    got = []
    arrived = threading.Condition()

    def on_message(data):
        with arrived:
            got.append(data)
            arrived.notify_all()

    port = free_port()
    with ModemSocketListener(modem.sockets(), port, on_message, idle_timeout=5) as listener:
        assert listener.is_open
        for count, text in enumerate((b"first inbound", b"second \x00\xff binary"), 1):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
                client.sendall(text)
                client.shutdown(socket.SHUT_WR)
                client.settimeout(5)
                assert client.recv(10) == b""  # the device closed its side
            with arrived:  # one at a time: see the report on USocket close ordering
                assert arrived.wait_for(lambda count=count: len(got) == count, 10)
    assert got == [b"first inbound", b"second \x00\xff binary"]
    assert not listener.is_open
    assert f"AT+USOLI=0,{port}" in emu.log


def test_listener_rejects_a_bad_port(iota):
    _, modem = iota
    with pytest.raises(ConfigurationError, match="inbound port"):
        ModemSocketListener(modem.sockets(), 0, print)


def test_shared_table_inbound_after_a_request_reusing_the_socket_id(iota):
    """The server closes after its reply (+UUSOCL for that id); the next inbound
    connection gets the same id from the modem and must arrive whole."""
    emu, modem = iota
    got = []
    arrived = threading.Condition()

    def on_message(data):
        with arrived:
            got.append(data)
            arrived.notify_all()

    port = free_port()
    with modem.sockets() as stack:
        transport = ModemSocketTransport(stack)
        with ModemSocketListener(stack, port, on_message, owns_stack=False,
                                 poll_interval=0.05) as listener:
            for round_ in range(3):
                server = ReplyServer(b"[0,0]", request_size=4)  # replies, then closes first
                try:
                    assert transport("127.0.0.1", server.port, b"ping", 10.0) == b"[0,0]"
                finally:
                    server.close()
                text = f"inbound {round_} ".encode() * 20
                with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
                    client.sendall(text)
                    client.shutdown(socket.SHUT_WR)
                    client.settimeout(5)
                    assert client.recv(10) == b""
                with arrived:
                    assert arrived.wait_for(lambda n=round_: len(got) == n + 1, 10)
                assert got[-1] == text
            assert listener.is_open
        assert not listener.is_open
    # socket 0 listens; each round's request and inbound connection both were socket 1
    assert emu.log.count("AT+USOCL=1") == 6
