"""Cloud-to-device delivery: LocalCloud.push and the standalone push()."""

import socket
import threading

import pytest

from hologram_sdk.base.errors import CloudConnectionError
from hologram_sdk.cloud.custom import CustomCloud
from hologram_sdk.emulator.cloud import push
from tests.support.net import free_port


def test_push_reaches_a_listening_custom_cloud(cloud):
    port = free_port()
    arrived = threading.Event()
    device = CustomCloud(None, receive_host="127.0.0.1", receive_port=port, enable_inbound=True)
    try:
        device.event.subscribe("message.received", arrived.set)
        assert cloud.push("127.0.0.1", port, "turn the fan on") == len("turn the fan on")
        assert arrived.wait(5)
        assert device.popReceivedMessage() == "turn the fan on"
        assert push("127.0.0.1", port, b"\x00bytes\xff") == 7
        assert device.popReceivedMessage(raw=True) == b"\x00bytes\xff" or arrived.wait(5)
    finally:
        device.close()


def test_push_writes_exactly_the_message_and_closes():
    with socket.create_server(("127.0.0.1", 0)) as server:
        got = []

        def accept():
            conn, _ = server.accept()
            with conn:
                data = b""
                while chunk := conn.recv(65536):
                    data += chunk
                got.append(data)

        thread = threading.Thread(target=accept)
        thread.start()
        payload = "\u00e9t\u00e9 " * 5000
        assert push("127.0.0.1", server.getsockname()[1], payload, timeout=5) == len(
            payload.encode()
        )
        thread.join(5)
    assert got == [payload.encode()]


def test_push_to_a_closed_port_is_a_clear_error():
    port = free_port()
    expected = f"cannot reach 127.0.0.1:{port}: connection refused"
    with pytest.raises(CloudConnectionError, match=expected):
        push("127.0.0.1", port, "x", timeout=2)
