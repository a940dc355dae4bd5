"""u-blox AT sockets through the IOTA class, bridged by the emulator to real TCP on 127.0.0.1."""

import socket

import pytest

from hologram_sdk.base.errors import ATCommandError, ModemTimeoutError
from hologram_sdk.modem.iota import IOTA


def test_connect_send_receive_close(make_emulator, echo_server):
    emu = make_emulator("iota")
    with IOTA(mode="serial", deviceName=emu.device) as modem, modem.sockets() as stack:
        sock = stack.create()
        sock.connect("127.0.0.1", echo_server, timeout=5)
        payload = bytes(range(256)) * 2 + b"!"  # more than one 255-byte chunk, all byte values
        assert sock.send(payload) == len(payload)
        received = b""
        while len(received) < len(payload):
            received += sock.receive(1024, timeout=5)
        assert received == payload.upper()
        sock.close()
        sock.close()
        assert f"AT+USOCL={sock.id}" in emu.log


def test_refused_connect_is_an_error(make_emulator):
    emu = make_emulator("iota")
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with IOTA(deviceName=emu.device) as modem, modem.sockets() as stack:
        with stack.create() as sock, pytest.raises(ATCommandError):
            sock.connect("127.0.0.1", port, timeout=5)


def test_listen_and_accept(make_emulator):
    emu = make_emulator("iota")
    with IOTA(mode="serial", deviceName=emu.device) as modem, modem.sockets() as stack:
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
            conn.close()
        listener.close()


@pytest.mark.parametrize("stale", ["closed_by_peer", "pending_bytes"])
def test_reused_socket_id_does_not_inherit_stale_state(make_emulator, stale):
    """Two tables on one modem: the listener's table saw URCs for the transport's
    socket; when the modem hands that id to an accepted connection, it starts clean."""
    emu = make_emulator("iota")
    with (
        socket.create_server(("127.0.0.1", 0)) as server,
        IOTA(mode="serial", deviceName=emu.device) as modem,
        modem.sockets() as transport_stack,
        modem.sockets() as listener_stack,
    ):
        listener = listener_stack.create()
        listener.listen(4010)
        out = transport_stack.create()
        server.settimeout(5)
        out.connect("127.0.0.1", server.getsockname()[1], timeout=5)
        peer, _ = server.accept()
        with peer:
            if stale == "closed_by_peer":
                peer.close()
                assert transport_stack.wait_readable(out.id, 5) is False
                assert out.peer_closed
            else:
                peer.sendall(b"never read")
                assert transport_stack.wait_readable(out.id, 5) is True
        reused = out.id
        out.close()  # the transport's table forgets it; the listener's table does not
        port = emu.socket_local_port(listener.id)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            conn = listener.accept(timeout=5)
            assert conn.id == reused  # the modem reused the id
            assert not conn.peer_closed
            with pytest.raises(ModemTimeoutError):  # nothing announced for it yet
                conn.receive(100, timeout=0.2)
            client.sendall(b"fresh")
            assert conn.receive(100, timeout=5) == b"fresh"
            client.close()
            assert conn.receive(100, timeout=5) == b""
            conn.close()
        listener.close()
