"""Fixtures: the modem emulator on a real pty (``make_emulator`` comes from
tests/support/emulator.py), modems attached to it, and a TCP peer for their sockets."""

import socket
import threading

import pytest


@pytest.fixture
def emulator(make_emulator):
    return make_emulator("e303")


@pytest.fixture
def echo_server():
    """A one-connection TCP server on 127.0.0.1 that answers each read upper-cased
    and stops after a chunk ending in ``!``; yields its port."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)

    def serve():
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            data = conn.recv(4096)
            while data:
                conn.sendall(data.upper())
                if data.endswith(b"!"):
                    break
                data = conn.recv(4096)

    thread = threading.Thread(target=serve)
    thread.start()
    yield server.getsockname()[1]
    server.close()
    thread.join(5)
