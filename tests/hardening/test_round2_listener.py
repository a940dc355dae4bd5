"""Issue 15, the inbound side: the receive buffer is bounded (items 2), a connection
that sends nothing makes no message, and slowloris cannot hold good pushes (item 4).

Real loopback sockets through the documented ``CustomCloud`` inbound API.
"""

from __future__ import annotations

import logging
import socket

from Hologram.CustomCloud import CustomCloud
from tests.support.net import HOST, connect, free_port, send_raw, wait_for


def _cloud(port: int, **options) -> CustomCloud:
    return CustomCloud(None, receive_host=HOST, receive_port=port, enable_inbound=True,
                       outbox=False, **options)


def _drain(cloud: CustomCloud) -> list[bytes]:
    out = []
    while (message := cloud.popReceivedMessage(raw=True)) is not None:
        out.append(message)
    return out


def test_receive_buffer_is_bounded_by_count_oldest_dropped_with_event_and_log(caplog):
    port = free_port()
    drops: list[dict] = []
    with _cloud(port, inbound_max_messages=5) as cloud:
        cloud.event.subscribe("inbound.dropped", drops.append)
        with caplog.at_level(logging.WARNING):
            for i in range(40):
                send_raw(port, b"m%d" % i)
            assert wait_for(lambda: len(drops) == 35, 10)
        assert _drain(cloud) == [b"m%d" % i for i in range(35, 40)]
    assert drops[-1]["dropped"] == 35 and drops[0]["bytes"] == 2
    lines = [r for r in caplog.records if "receive buffer full" in r.getMessage()]
    assert 1 <= len(lines) < 35  # said, but not once per drop


def test_receive_buffer_is_bounded_by_bytes():
    port = free_port()
    with _cloud(port, inbound_max_bytes=10 * 1024) as cloud:
        for i in range(30):
            send_raw(port, bytes([65 + i]) * 1024)
        assert wait_for(lambda: cloud._received and cloud._received[-1][:1] == bytes([65 + 29]),
                        10)
        kept = _drain(cloud)
    assert sum(map(len, kept)) <= 10 * 1024
    assert kept == [bytes([65 + i]) * 1024 for i in range(20, 30)]


def test_a_message_larger_than_the_whole_buffer_is_dropped_itself():
    port = free_port()
    drops: list[dict] = []
    with _cloud(port, inbound_max_bytes=100) as cloud:
        cloud.event.subscribe("inbound.dropped", drops.append)
        send_raw(port, b"small")
        send_raw(port, b"x" * 101)
        assert wait_for(lambda: drops, 10)
        assert _drain(cloud) == [b"small"]
    assert drops == [{"bytes": 101, "dropped": 1}]


def test_connections_that_close_without_sending_make_no_message_and_no_event():
    port = free_port()
    received: list[object] = []
    with _cloud(port) as cloud:
        cloud.event.subscribe("message.received", received.append)
        for _ in range(50):
            with connect(port) as sock:
                sock.shutdown(socket.SHUT_WR)
        send_raw(port, b"after")
        assert wait_for(lambda: received, 10)
        assert _drain(cloud) == [b"after"]
    assert received == ["after"]
