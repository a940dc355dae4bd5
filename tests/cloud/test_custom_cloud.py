"""Cloud and CustomCloud over real loopback sockets."""

from __future__ import annotations

import socket
import threading
import time

import pytest

import hologram_sdk
from hologram_sdk.base.errors import (
    CloudConnectionError,
    CloudTimeoutError,
    ConfigurationError,
    InboundBindError,
    UnknownInterfaceError,
)
from hologram_sdk.base.events import Event
from hologram_sdk.cloud.base import Cloud, validate_port
from hologram_sdk.cloud.custom import CustomCloud
from hologram_sdk.network.manager import NetworkManager
from tests.support.net import HOST, closed_port, free_port, send_raw, wait_for
from tests.support.servers import ReplyServer


@pytest.fixture
def inbound():
    cloud = CustomCloud(None, receive_host=HOST, receive_port=free_port(), enable_inbound=True)
    yield cloud
    cloud.close()


def test_properties_and_version():
    cloud = CustomCloud({"any": "thing"}, send_host="h.example", send_port=9999,
                        receive_host=HOST, receive_port=4011)
    assert (cloud.send_host, cloud.send_port) == ("h.example", 9999)
    assert (cloud.receive_host, cloud.receive_port) == (HOST, 4011)
    assert cloud.credentials == {"any": "thing"}
    assert isinstance(cloud.event, Event)
    assert isinstance(cloud.network, NetworkManager)
    assert cloud.getSDKVersion() == hologram_sdk.__version__
    assert isinstance(cloud, Cloud)
    cloud.close()


def test_send_writes_the_exact_bytes_and_returns_the_reply():
    with ReplyServer(reply=b"thanks \xe2\x9c\x93") as server:
        cloud = CustomCloud(None, send_host=HOST, send_port=server.port)
        assert cloud.sendMessage("héllo") == "thanks \u2713"
        assert cloud.sendMessage(b"\x00\xff raw") == "thanks \u2713"
    assert server.requests == ["héllo".encode(), b"\x00\xff raw"]


def test_empty_reply_is_an_empty_string():
    with ReplyServer(reply=b"") as server:
        assert CustomCloud(None, send_host=HOST, send_port=server.port).sendMessage("x") == ""


def test_message_sent_reaches_zero_and_one_argument_callbacks():
    calls = []
    with ReplyServer() as server:
        cloud = CustomCloud(None, send_host=HOST, send_port=server.port)
        cloud.event.subscribe("message.sent", lambda: calls.append("zero"))
        cloud.event.subscribe("message.sent", lambda message: calls.append(message))
        cloud.sendMessage("payload")
    assert calls == ["zero", "payload"]


def test_events_belong_to_one_cloud():
    seen = []
    with ReplyServer() as server:
        first = CustomCloud(None, send_host=HOST, send_port=server.port)
        second = CustomCloud(None, send_host=HOST, send_port=server.port)
        first.event.subscribe("message.sent", lambda m: seen.append(("first", m)))
        second.sendMessage("from second")
        first.sendMessage("from first")
    assert seen == [("first", "from first")]


def test_failing_callback_does_not_break_the_send():
    with ReplyServer(reply=b"ok") as server, \
            CustomCloud(None, send_host=HOST, send_port=server.port) as cloud:

        def broken():
            raise RuntimeError("callback bug")

        cloud.event.subscribe("message.sent", broken)
        assert cloud.sendMessage("x") == "ok"


def test_silent_server_times_out_typed_and_bounded():
    sent = []
    with ReplyServer(reply=None) as server:
        cloud = CustomCloud(None, send_host=HOST, send_port=server.port, outbox=False)
        cloud.event.subscribe("message.sent", lambda: sent.append(1))
        start = time.monotonic()
        with pytest.raises(CloudTimeoutError):
            cloud.sendMessage("anyone?", timeout=0.3)
        assert time.monotonic() - start < 2.0
    assert sent == []


def test_closed_port_is_a_connection_error():
    cloud = CustomCloud(None, send_host=HOST, send_port=closed_port(), outbox=False)
    start = time.monotonic()
    with pytest.raises(CloudConnectionError):
        cloud.sendMessage("x", timeout=2)
    assert time.monotonic() - start < 2.0


def test_send_without_address_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="send_host and send_port"):
        CustomCloud(None, receive_host=HOST, receive_port=1).sendMessage("x")


def test_message_must_be_text_or_bytes():
    with pytest.raises(TypeError):
        CustomCloud(None, send_host=HOST, send_port=1).sendMessage(12)


@pytest.mark.parametrize("bad", [70000, -1, "abc", True, 1.5, [80]])
def test_ports_are_validated(bad):
    with pytest.raises(ConfigurationError, match="send_port must be an integer") as info:
        CustomCloud(None, send_host=HOST, send_port=bad)
    assert isinstance(info.value, ValueError)
    with pytest.raises(ConfigurationError, match="receive_port"):
        CustomCloud(None, receive_host=HOST, receive_port=bad)


def test_port_forms_that_are_accepted():
    assert validate_port("p", None) == 0
    assert validate_port("p", 0) == 0
    assert validate_port("p", "9999") == 9999
    assert validate_port("p", 65535) == 65535


def test_inbound_without_address_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="enable_inbound=False"):
        CustomCloud(None, enable_inbound=True)
    with pytest.raises(ConfigurationError):
        CustomCloud(None, receive_host=HOST, enable_inbound=True)


def test_unknown_network_lists_the_valid_names():
    with pytest.raises(UnknownInterfaceError, match="cellular-iota"):
        CustomCloud(None, network="cellular-nokia")


def test_consume_concatenates_and_empties(inbound):
    send_raw(inbound.receive_port, b"hey there!")
    assert wait_for(lambda: inbound.popReceivedMessage is not None and _count(inbound) == 1)
    send_raw(inbound.receive_port, b"bye!")
    assert wait_for(lambda: _count(inbound) == 2)
    assert inbound.consumeReceivedMessage() == "hey there!bye!"
    assert inbound.consumeReceivedMessage() == ""


def test_pop_returns_one_message_at_a_time(inbound):
    for text in (b"one", b"two", b"\xffraw"):
        send_raw(inbound.receive_port, text)
        assert wait_for(lambda n=text: _count(inbound) >= 1 and _last(inbound) == n)
    assert inbound.popReceivedMessage() == "one"
    assert inbound.popReceivedMessage() == "two"
    assert inbound.popReceivedMessage(raw=True) == b"\xffraw"
    assert inbound.popReceivedMessage() is None
    assert inbound.consumeReceivedMessage() == ""


def test_non_utf8_text_is_replaced_not_lost(inbound):
    send_raw(inbound.receive_port, b"caf\xe9")
    assert wait_for(lambda: _count(inbound) == 1)
    assert inbound.consumeReceivedMessage() == "caf\ufffd"


def test_message_received_is_broadcast_with_the_message(inbound):
    got, zero = [], threading.Event()
    inbound.event.subscribe("message.received", got.append)
    inbound.event.subscribe("message.received", zero.set)
    send_raw(inbound.receive_port, b"this is the payload")
    assert zero.wait(5)
    assert got == ["this is the payload"]
    # the buffer still holds the message
    assert inbound.consumeReceivedMessage() == "this is the payload"


def test_callback_may_consume_the_buffer(inbound):
    consumed = []
    inbound.event.subscribe("message.received",
                            lambda: consumed.append(inbound.consumeReceivedMessage()))
    send_raw(inbound.receive_port, b"payload")
    assert wait_for(lambda: consumed == ["payload"])
    assert inbound.consumeReceivedMessage() == ""


def test_close_and_reopen_on_the_same_port(inbound):
    port = inbound.receive_port
    inbound.closeReceiveSocket()
    inbound.closeReceiveSocket()
    with pytest.raises(OSError):
        socket.create_connection((HOST, port), timeout=1).close()
    inbound.openReceiveSocket()
    inbound.openReceiveSocket()  # already open: no-op
    send_raw(port, b"again")
    assert wait_for(lambda: _count(inbound) == 1)
    assert inbound.consumeReceivedMessage() == "again"


def test_custom_cloud_can_send_to_a_custom_cloud(inbound):
    sender = CustomCloud(None, send_host=HOST, send_port=inbound.receive_port)
    start = time.monotonic()
    assert sender.sendMessage("over loopback") == ""
    assert time.monotonic() - start < 2.0  # the half-close ends the message at once
    assert wait_for(lambda: _count(inbound) == 1)
    assert inbound.consumeReceivedMessage() == "over loopback"


def test_context_manager_closes_the_listener():
    port = free_port()
    with CustomCloud(None, receive_host=HOST, receive_port=port, enable_inbound=True):
        socket.create_connection((HOST, port), timeout=1).close()
    with pytest.raises(OSError):
        socket.create_connection((HOST, port), timeout=1).close()


def test_bind_failure_at_construction_names_the_port():
    with socket.create_server((HOST, 0)) as holder:
        port = holder.getsockname()[1]
        with pytest.raises(InboundBindError, match=f"{port}.*enable_inbound=False"):
            CustomCloud(None, receive_host=HOST, receive_port=port, enable_inbound=True)


def test_network_non_network_mode_broadcasts():
    cloud = CustomCloud(None)
    events = []
    cloud.event.subscribe("network.connected", lambda: events.append("up"))
    cloud.event.subscribe("network.disconnected", lambda: events.append("down"))
    assert cloud.network.connect() is True
    cloud.network.disconnect()
    assert cloud.network.reconnect() is True
    assert events == ["up", "down", "down", "up"]
    assert cloud.network.is_connected


def test_the_transport_is_injectable():
    calls = []

    def transport_double(host, port, payload, timeout, is_complete=None, *, half_close=False):
        calls.append((host, port, payload, timeout, half_close))
        return b"from the double"

    cloud = CustomCloud(None, send_host="nowhere.invalid", send_port=1,
                        transport=transport_double)
    assert cloud.sendMessage("m", timeout=3) == "from the double"
    assert calls == [("nowhere.invalid", 1, b"m", 3.0, True)]


def _count(cloud):
    with cloud._received_lock:
        return len(cloud._received)


def _last(cloud):
    with cloud._received_lock:
        return cloud._received[-1] if cloud._received else None
