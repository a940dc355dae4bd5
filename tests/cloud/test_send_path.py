"""The direct send path with an outbox file present: order is still kept.

A cloud stops asking its outbox file whether anything waits once it answered
"nothing", and asks again after each message it queues itself; an outbox
handed out through ``cloud.outbox`` is asked every time (its holder may add).
"""

from __future__ import annotations

from hologram_sdk.cloud.custom import CustomCloud
from hologram_sdk.outbox import Outbox
from tests.support.net import free_port, wait_for
from tests.support.servers import RecordingServer

HOST = "127.0.0.1"


def _custom(port, outbox):
    return CustomCloud(None, send_host=HOST, send_port=port, outbox=outbox)


def _count(path):
    with Outbox(path) as box:  # a second reader, as another program would be
        return box.count()


def test_a_leftover_outbox_file_then_a_failure_queues_and_order_is_kept(tmp_path):
    path = tmp_path / "o.db"
    Outbox(path).close()  # an earlier run left the file, with nothing in it
    port = free_port()
    cloud = _custom(port, path)
    try:
        with RecordingServer(port=port) as server:
            assert not cloud.sendMessage("a").queued  # straight through
            assert not cloud.sendMessage("b").queued
        # the cloud is down: queued, and the next one goes behind it
        assert cloud.sendMessage("c", timeout=1).queued
        assert cloud.sendMessage("d", timeout=1).queued
        with RecordingServer(port=port) as server:
            assert cloud.sendMessage("e").queued  # "c" and "d" still wait
            cloud.network.connect()  # deliver now
            assert wait_for(lambda: _count(path) == 0, timeout=10)
            assert not cloud.sendMessage("f").queued  # empty again: straight through
            assert server.bodies() == [b"c", b"d", b"e", b"f"]
    finally:
        cloud.close()


def test_messages_put_through_the_outbox_property_are_waited_for(tmp_path):
    port = free_port()
    cloud = _custom(port, tmp_path / "o.db")
    try:
        with RecordingServer(port=port) as server:
            assert not cloud.sendMessage("a").queued  # nothing waits: the check is off now
            box = cloud.outbox
            assert box is not None
            box.put(f"{HOST}:{port}", "raw", b"put by hand")
            assert cloud.sendMessage("b").queued  # behind the message put by hand
            cloud.network.connect()
            assert wait_for(lambda: len(server.bodies()) == 3, timeout=10)
            assert server.bodies() == [b"a", b"put by hand", b"b"]
    finally:
        cloud.close()
