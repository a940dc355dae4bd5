"""Delivery rounds and the background flusher, against real TCP servers on 127.0.0.1."""

from __future__ import annotations

import json
import threading

import pytest

from hologram_sdk.base.errors import CloudConnectionError, ConfigurationError
from hologram_sdk.base.events import MESSAGE_FAILED, MESSAGE_SENT, Event
from hologram_sdk.outbox import Outbox, OutboxItem
from hologram_sdk.outbox.delivery import (
    OutboxDelivery,
    destination_key,
    parse_destination,
    tcp_send,
    tcp_sender,
)
from hologram_sdk.wire.protocol import Credentials, encode_message, encode_sms
from tests.support.net import free_port
from tests.support.servers import RecordingServer

CREDS = Credentials(cloud_id="ab12", cloud_key="cd34")


def queue(box, dest, n, start=0):
    for i in range(start, start + n):
        topics = [f"T{i}", "ALL"]
        box.put(dest, "message", encode_message(CREDS, f"m{i}", topics), topics, text=f"m{i}")


def sent_data(server):
    return [json.loads(body)["d"] for body in server.bodies()]


@pytest.fixture
def bus():
    return Event()


@pytest.fixture
def box(tmp_path, bus):
    with Outbox(tmp_path / "o.db", event=bus) as outbox:
        yield outbox


def test_destination_keys():
    assert parse_destination("127.0.0.1:9999") == ("127.0.0.1", 9999)
    assert parse_destination("[::1]:4010") == ("::1", 4010)
    assert destination_key("::1", 4010) == "[::1]:4010"
    assert parse_destination(destination_key("cloudsocket.hologram.io", 9999)) == (
        "cloudsocket.hologram.io", 9999)
    for bad in ("nohost", ":1", "h:0", "h:70000", "h:x", "h:\u00b2"):
        with pytest.raises(ConfigurationError):
            parse_destination(bad)


def test_a_round_delivers_in_order_with_topics_and_deletes_after_reply(box, bus):
    sent = []
    bus.subscribe(MESSAGE_SENT, sent.append)
    with RecordingServer() as server:
        queue(box, server.destination, 50)
        with OutboxDelivery(box, tcp_sender(2.0), server.destination) as delivery:
            result = delivery.flush_now()
        assert (result.sent, result.failed, result.error) == (50, 0, None)
        assert sent_data(server) == [f"m{i}" for i in range(50)]
        assert [json.loads(b)["t"] for b in server.bodies()][7] == ["T7", "ALL"]
    assert box.count() == 0
    assert [item.text for item in sent] == [f"m{i}" for i in range(50)]


def test_only_the_given_destination_is_delivered(box):
    with RecordingServer() as server:
        queue(box, server.destination, 3)
        box.put("127.0.0.1:1", "message", b"elsewhere")
        with OutboxDelivery(box, tcp_sender(2.0), server.destination) as delivery:
            assert delivery.flush_now().sent == 3
    assert [i.body for i in box.pending()] == [b"elsewhere"]


def test_a_permanent_refusal_is_dead_lettered_and_the_round_goes_on(box, bus):
    failed = []
    bus.subscribe(MESSAGE_FAILED, failed.append)
    with RecordingServer(lambda i, body: 3 if i == 1 else 0) as server:
        queue(box, server.destination, 4)
        with OutboxDelivery(box, tcp_sender(2.0), server.destination) as delivery:
            result = delivery.flush_now()
        assert (result.sent, result.failed, result.error) == (3, 1, None)
        assert sent_data(server) == ["m0", "m1", "m2", "m3"]
    assert box.count() == 0
    (dead,) = box.dead()
    assert (dead.text, dead.code, dead.topics) == ("m1", 3, ["T1", "ALL"])
    assert [(f.text, f.code) for f in failed] == [("m1", 3)]


@pytest.mark.parametrize("code", [2, 3, 4, 5, 7, 8])
def test_every_permanent_code_dead_letters(box, code):
    with RecordingServer(lambda i, body: code) as server:
        queue(box, server.destination, 1)
        with OutboxDelivery(box, tcp_sender(2.0), server.destination) as delivery:
            assert delivery.flush_now().failed == 1
    assert [d.code for d in box.dead()] == [code]


@pytest.mark.parametrize(("answer", "why"), [(6, "ERR_INTERNAL"), (None, "ERR_UNKNOWN")])
def test_internal_error_or_no_reply_keeps_the_row_and_stops(box, answer, why):
    with RecordingServer(lambda i, body: 0 if i == 0 else answer) as server:
        queue(box, server.destination, 3)
        with OutboxDelivery(box, tcp_sender(2.0), server.destination) as delivery:
            result = delivery.flush_now()
            assert (result.sent, result.failed) == (1, 0)
            assert why in result.error
            assert delivery.failures == 1
        assert sent_data(server) == ["m0", "m1"]  # m2 waits behind m1
    items = box.pending()
    assert [i.text for i in items] == ["m1", "m2"]
    assert (items[0].attempts, items[1].attempts) == (1, 0)
    assert why in items[0].last_error
    assert all(i.claim_owner is None for i in items)


def test_max_attempts_dead_letters_a_row_that_keeps_failing(box):
    with RecordingServer(lambda i, body: 6) as server:
        queue(box, server.destination, 2)
        with OutboxDelivery(box, tcp_sender(2.0), server.destination, max_attempts=3) as d:
            assert d.flush_now().error is not None
            assert d.flush_now().error is not None
            result = d.flush_now()  # third attempt: dead
            assert result.failed == 1
    assert [(x.text, x.code, x.attempts) for x in box.dead()] == [("m0", 6, 3)]


def test_a_transport_failure_keeps_every_row_in_order(box):
    dest = destination_key("127.0.0.1", free_port())
    queue(box, dest, 3)
    with OutboxDelivery(box, tcp_sender(2.0), dest) as delivery:
        result = delivery.flush_now()
    assert result.sent == 0 and "CloudConnectionError" in result.error
    items = box.pending()
    assert [i.text for i in items] == ["m0", "m1", "m2"]
    assert [i.attempts for i in items] == [1, 0, 0]
    assert all(i.claim_owner is None for i in items)


def test_an_exception_in_send_is_kept_as_the_rows_error(box):
    def broken(item):
        raise RuntimeError("encoder bug")

    queue(box, "127.0.0.1:9", 2)
    with OutboxDelivery(box, broken, "127.0.0.1:9") as delivery:
        assert "RuntimeError: encoder bug" in delivery.flush_now().error
    assert box.pending()[0].last_error == "RuntimeError: encoder bug"


def test_sms_and_raw_rows(box):
    with RecordingServer() as server:
        dest = server.destination
        box.put(dest, "sms", encode_sms(CREDS, "+15551234567", "hi"), text="hi")
        box.put(dest, "raw", b"raw bytes, no terminator")
        with OutboxDelivery(box, tcp_sender(2.0), dest) as delivery:
            assert delivery.flush_now().sent == 2
        assert server.bodies() == [b"Sab12cd34+15551234567 hi", b"raw bytes, no terminator"]


def test_tcp_send_raises_transport_errors():
    dest = destination_key("127.0.0.1", free_port())
    with pytest.raises(CloudConnectionError):
        tcp_send(OutboxItem(id=1, destination=dest, kind="message", body=b"{}\r\r"), 1.0)


# --- backoff -----------------------------------------------------------------


def test_backoff_doubles_from_base_to_cap(box):
    d = OutboxDelivery(box, tcp_sender(), "x:1", random=lambda: 0.0)
    assert [d.backoff_delay(n) for n in range(1, 12)] == [
        1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert d.backoff_delay(10_000) == 300


def test_jitter_shortens_by_at_most_its_fraction(box):
    import random

    rng = random.Random(7)
    d = OutboxDelivery(box, tcp_sender(), "x:1", jitter=0.25, random=rng.random)
    for n in range(1, 15):
        full = min(300.0, 2.0 ** (n - 1))
        values = [d.backoff_delay(n) for _ in range(200)]
        assert all(0.75 * full <= v <= full for v in values)
        assert len(set(values)) > 100  # really random
    with pytest.raises(ConfigurationError):
        OutboxDelivery(box, tcp_sender(), "x:1", jitter=1.0)
    with pytest.raises(ConfigurationError):
        OutboxDelivery(box, tcp_sender(), "x:1", base=10, cap=5)


def test_schedule_of_failed_rounds_and_reset_after_success(box):
    port = free_port()
    dest = destination_key("127.0.0.1", port)
    queue(box, dest, 2)
    delivery = OutboxDelivery(box, tcp_sender(1.0), dest, random=lambda: 0.0)
    assert [delivery.run_once() for _ in range(5)] == [1, 2, 4, 8, 16]
    with RecordingServer(port=port) as server:
        assert delivery.run_once() is None  # delivered: wait for a wake-up
        assert delivery.failures == 0
        assert sent_data(server) == ["m0", "m1"]
    queue(box, dest, 1, start=2)
    assert delivery.run_once() == 1  # the schedule starts again at base
    assert box.pending()[0].attempts == 1


def test_run_once_waits_for_a_wake_when_not_ready_or_empty(box):
    calls = []

    def send(item):
        calls.append(item)
        return 0

    up = [False]
    delivery = OutboxDelivery(box, send, "x:1", ready=lambda: up[0])
    assert delivery.run_once() is None  # empty
    queue(box, "x:1", 1)
    assert delivery.run_once() is None and calls == []  # network down
    up[0] = True
    assert delivery.run_once() is None and len(calls) == 1


# --- the background thread ----------------------------------------------------


def test_background_thread_delivers_on_wake_and_close_joins_it(box, bus):
    delivered = threading.Event()
    bus.subscribe(MESSAGE_SENT, lambda item: delivered.set() if item.text == "m4" else None)
    with RecordingServer() as server:
        delivery = OutboxDelivery(box, tcp_sender(2.0), server.destination)
        delivery.start()
        delivery.start()  # idempotent
        assert delivery.running
        queue(box, server.destination, 5)
        delivery.wake()
        assert delivered.wait(10)
        delivery.close()
        delivery.close()
        assert not delivery.running
        assert sent_data(server) == [f"m{i}" for i in range(5)]


def test_background_thread_retries_with_backoff_until_the_server_is_back(box, bus):
    port = free_port()
    dest = destination_key("127.0.0.1", port)
    queue(box, dest, 3)
    delivered = threading.Event()
    bus.subscribe(MESSAGE_SENT, lambda item: delivered.set() if item.text == "m2" else None)
    waits = []
    tick = threading.Event()

    def wait(timeout):  # records the schedule; waits 10 ms instead
        waits.append(timeout)
        tick.wait(0.01)

    with OutboxDelivery(box, tcp_sender(1.0), dest, random=lambda: 0.0, wait=wait) as delivery:
        delivery.start()
        while len(waits) < 3:
            tick.wait(0.01)
        with RecordingServer(port=port) as server:
            assert delivered.wait(10)
            delivery.close()
            assert sent_data(server) == ["m0", "m1", "m2"]
    assert waits[:3] == [1, 2, 4]
    assert delivery.failures == 0


def test_two_senders_on_one_file_deliver_each_message_once(tmp_path):
    path = tmp_path / "o.db"
    with RecordingServer() as server, Outbox(path) as a, Outbox(path) as b:
        queue(a, server.destination, 200)
        da = OutboxDelivery(a, tcp_sender(2.0), server.destination, batch=5)
        db = OutboxDelivery(b, tcp_sender(2.0), server.destination, batch=5)
        threads = [threading.Thread(target=d.flush_now) for d in (da, db)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        data = sent_data(server)
        assert sorted(data) == sorted(f"m{i}" for i in range(200))
        assert len(set(data)) == 200
        assert a.count() == 0
