"""CloudOutbox: lazy opening, queueing with events, flushers started only when needed."""

from __future__ import annotations

import json
import threading
import time

import pytest

from hologram_sdk.base.errors import ConfigurationError, OutboxFullError
from hologram_sdk.base.events import (
    MESSAGE_DROPPED,
    MESSAGE_FAILED,
    MESSAGE_QUEUED,
    MESSAGE_SENT,
    Event,
)
from hologram_sdk.outbox import Outbox
from hologram_sdk.outbox.cloudlink import CloudOutbox
from hologram_sdk.outbox.delivery import destination_key, tcp_sender
from hologram_sdk.wire.protocol import Credentials, encode_message
from tests.support.net import free_port, wait_for
from tests.support.servers import RecordingServer

CREDS = Credentials(cloud_id="ab12", cloud_key="cd34")


def link(spec, bus, up=lambda: True, **kwargs):
    return CloudOutbox(spec, event=bus, send=tcp_sender(2.0), ready=up, **kwargs)


def test_disabled_outbox_is_never_opened(tmp_path):
    with pytest.raises(ConfigurationError):
        link(12, Event())
    off = link(False, Event())
    assert not off.enabled and off.outbox() is None and not off.has_pending("x:1")
    off.close()


def test_nothing_is_created_until_a_message_is_queued(tmp_path):
    bus = Event()
    queued, sent = [], []
    bus.subscribe(MESSAGE_QUEUED, queued.append)
    bus.subscribe(MESSAGE_SENT, sent.append)
    path = tmp_path / "state" / "outbox.db"
    with RecordingServer() as server:
        dest = server.destination
        box = link(path, bus)
        assert not box.has_pending(dest)
        assert not path.exists() and box.deliveries == {}
        item = box.queue(dest, "message", encode_message(CREDS, "hi", ["T"]), ["T"], "hi")
        assert path.exists()
        assert [(q.id, q.text, q.topics) for q in queued] == [(item.id, "hi", ["T"])]
        assert wait_for(lambda: len(sent) == 1)
        assert json.loads(server.bodies()[0]) == {"s": "ab12", "c": "cd34", "t": ["T"], "d": "hi"}
        assert set(box.deliveries) == {dest}
        box.close()
        box.close()
    assert not any(t.name.startswith("hologram-outbox") for t in threading.enumerate())


def test_messages_left_by_an_earlier_run_are_delivered_at_start(tmp_path):
    path = tmp_path / "o.db"
    with RecordingServer() as server:
        with Outbox(path) as old:
            for i in range(3):
                old.put(server.destination, "message", encode_message(CREDS, f"old{i}"))
            old.put("127.0.0.1:1", "message", b"not ours")
        bus = Event()
        sent = []
        bus.subscribe(MESSAGE_SENT, sent.append)
        box = link(path, bus, destinations=(server.destination,))
        try:
            assert wait_for(lambda: len(sent) == 3)
            assert [json.loads(b)["d"] for b in server.bodies()] == ["old0", "old1", "old2"]
            assert set(box.deliveries) == {server.destination}
            assert box.has_pending("127.0.0.1:1")
        finally:
            box.close()


def test_a_given_outbox_is_used_forwarded_and_left_open(tmp_path):
    bus = Event()
    dropped, failed = [], []
    bus.subscribe(MESSAGE_DROPPED, dropped.append)
    bus.subscribe(MESSAGE_FAILED, failed.append)
    with Outbox(tmp_path / "o.db", max_messages=1) as mine:
        with RecordingServer(lambda i, body: 8) as server:
            up = [False]
            box = link(mine, bus, up=lambda: up[0])
            box.queue(server.destination, "message", b"first\r\r")
            box.queue(server.destination, "message", b"second\r\r")  # drops "first"
            assert [d.body for d in dropped] == [b"first\r\r"]
            up[0] = True
            box.wake()
            assert wait_for(lambda: len(failed) == 1)
            assert failed[0].code == 8
            box.close()
        assert not mine.closed
        assert mine.event.subscriber_count(MESSAGE_DROPPED) == 0


def test_drop_newest_is_an_error_for_the_sender(tmp_path):
    bus = Event()
    dropped = []
    bus.subscribe(MESSAGE_DROPPED, dropped.append)
    box = link(tmp_path / "o.db", bus, up=lambda: False,
               options={"max_messages": 1, "policy": "drop_newest"})
    try:
        box.queue("127.0.0.1:9", "message", b"kept")
        with pytest.raises(OutboxFullError, match="drop_newest"):
            box.queue("127.0.0.1:9", "message", b"dropped")
        assert [d.body for d in dropped] == [b"dropped"]
    finally:
        box.close()


def test_queueing_during_a_backoff_does_not_retry_at_once(tmp_path):
    bus = Event()
    dest = destination_key("127.0.0.1", free_port())
    box = link(tmp_path / "o.db", bus, base=30.0, cap=60.0)
    try:
        box.queue(dest, "message", b"one\r\r")
        store = box.outbox()
        assert wait_for(lambda: store.pending()[0].attempts == 1)
        delivery = box.deliveries[dest]
        assert wait_for(lambda: delivery.failures == 1)
        for i in range(5):
            box.queue(dest, "message", b"more %d\r\r" % i)
        time.sleep(0.2)
        assert [i.attempts for i in store.pending()] == [1, 0, 0, 0, 0, 0]
        with RecordingServer(port=int(dest.rsplit(":", 1)[1])) as server:
            box.wake()  # e.g. network.connected: retry now
            assert wait_for(lambda: store.count() == 0)
            assert server.bodies()[0] == b"one"
    finally:
        box.close()


def test_a_nudge_while_idle_starts_a_round(tmp_path):
    bus = Event()
    sent = []
    bus.subscribe(MESSAGE_SENT, sent.append)
    with RecordingServer() as server:
        box = link(tmp_path / "o.db", bus)
        try:
            for i in range(20):
                box.queue(server.destination, "message", b"m%d\r\r" % i)
                assert wait_for(lambda i=i: len(sent) == i + 1, 5)
        finally:
            box.close()
        assert server.bodies() == [b"m%d" % i for i in range(20)]


def test_rows_another_process_adds_are_seen_after_the_outbox_said_nothing_waits(tmp_path):
    """The cheap "still empty" answer (one pread of the WAL-index header) ends
    with any commit by anyone: a cloud whose outbox held nothing queues behind
    rows another program puts in the same file (a subprocess, to be sure)."""
    import subprocess
    import sys

    from hologram_sdk.cloud.custom import CustomCloud

    path = tmp_path / "o.db"
    Outbox(path).close()
    with RecordingServer() as server:
        cloud = CustomCloud(None, send_host="127.0.0.1", send_port=server.port, outbox=path)
        try:
            assert not cloud.sendMessage("a").queued
            link = cloud._outbox_link
            assert link is not None and link.still_empty(server.destination)
            other = ("import sys\nfrom hologram_sdk.outbox import Outbox\n"
                     "with Outbox(sys.argv[1]) as box:\n"
                     "    box.put(sys.argv[2], 'raw', b'from another program')\n")
            subprocess.run([sys.executable, "-c", other, str(path), server.destination],
                           check=True, timeout=30)
            assert not link.still_empty(server.destination)
            assert cloud.sendMessage("b").queued  # behind the other program's row
            cloud.network.connect()
            assert wait_for(lambda: len(server.bodies()) == 3, timeout=10)
            assert server.bodies() == [b"a", b"from another program", b"b"]
        finally:
            cloud.close()
