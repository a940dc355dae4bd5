"""The Event bus: per instance, thread-safe, 0- or 1-argument callbacks, isolated failures."""

from __future__ import annotations

import functools
import logging
import threading

import pytest

from hologram_sdk.base import events
from hologram_sdk.base.events import Event


def test_zero_and_one_argument_callbacks():
    bus, calls = Event(), []
    bus.subscribe("message.sent", lambda: calls.append("zero"))
    bus.subscribe("message.sent", lambda payload: calls.append(payload))
    bus.subscribe("message.sent", lambda *args: calls.append(args))
    bus.broadcast("message.sent", "hello")
    assert calls == ["zero", "hello", ("hello",)]


def test_one_argument_callback_without_payload_gets_none():
    bus, calls = Event(), []
    bus.subscribe("network.connected", calls.append)
    bus.broadcast("network.connected")
    assert calls == [None]


def test_bound_methods_and_partials():
    class Handler:
        def __init__(self):
            self.got = []

        def on_message(self, message):
            self.got.append(message)

        def on_anything(self):
            self.got.append("ping")

    bus, handler = Event(), Handler()
    bus.subscribe("message.received", handler.on_message)
    bus.subscribe("message.received", handler.on_anything)
    bus.subscribe("message.received", functools.partial(handler.got.append, "partial"))
    bus.broadcast("message.received", "m")
    assert handler.got == ["m", "ping", "partial"]


def test_exception_is_logged_and_other_callbacks_still_run(caplog):
    bus, calls = Event(), []

    def broken():
        raise RuntimeError("boom")

    bus.subscribe("message.sent", broken)
    bus.subscribe("message.sent", lambda: calls.append("after"))
    bus.broadcast("message.sent", "x")  # does not raise
    assert calls == ["after"]
    assert "boom" in caplog.text
    assert any(r.levelno >= logging.ERROR for r in caplog.records)


def test_unsubscribe_and_duplicates():
    bus, calls = Event(), []

    def callback():
        calls.append(1)

    bus.subscribe("message.sent", callback)
    bus.subscribe("message.sent", callback)
    assert bus.subscriber_count("message.sent") == 1
    bus.broadcast("message.sent")
    bus.unsubscribe("message.sent", callback)
    bus.unsubscribe("message.sent", callback)  # unknown pair: ignored
    bus.unsubscribe("never.subscribed", callback)
    bus.broadcast("message.sent")
    assert calls == [1]


def test_tables_are_per_instance():
    first, second, calls = Event(), Event(), []
    first.subscribe("message.sent", lambda: calls.append("first"))
    second.broadcast("message.sent", "x")
    assert calls == []
    first.broadcast("message.sent", "x")
    assert calls == ["first"]


def test_callbacks_for_other_events_do_not_fire():
    bus, calls = Event(), []
    bus.subscribe("message.sent", lambda: calls.append("sent"))
    bus.broadcast("message.received", "x")
    assert calls == []


def test_not_callable_is_a_type_error():
    with pytest.raises(TypeError, match="not callable"):
        Event().subscribe("message.sent", "print")


def test_subscribe_and_broadcast_from_many_threads():
    bus, lock, count = Event(), threading.Lock(), [0]

    def make_callback():
        def callback():
            with lock:
                count[0] += 1
        return callback

    callbacks = [make_callback() for _ in range(50)]

    def worker(cb):
        bus.subscribe("tick", cb)
        bus.broadcast("tick")
        bus.unsubscribe("tick", cb)

    threads = [threading.Thread(target=worker, args=(cb,)) for cb in callbacks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bus.subscriber_count("tick") == 0
    assert count[0] >= 50  # each broadcast reaches at least its own callback


def test_a_callback_may_unsubscribe_itself_during_broadcast():
    bus, calls = Event(), []

    def once():
        calls.append("once")
        bus.unsubscribe("message.sent", once)

    bus.subscribe("message.sent", once)
    bus.broadcast("message.sent")
    bus.broadcast("message.sent")
    assert calls == ["once"]


def test_reference_event_names():
    assert events.MESSAGE_SENT == "message.sent"
    assert events.MESSAGE_RECEIVED == "message.received"
    assert events.NETWORK_CONNECTED == "network.connected"
    assert events.NETWORK_DISCONNECTED == "network.disconnected"
    assert events.CELLULAR_CONNECTED == "cellular.connected"
    assert events.CELLULAR_DISCONNECTED == "cellular.disconnected"


def test_an_event_named_by_a_non_string_reaches_the_callbacks_of_its_name():
    class Name:
        def __str__(self) -> str:
            return "message.sent"

    bus, calls = Event(), []
    bus.subscribe(Name(), lambda payload: calls.append(payload))
    bus.broadcast(Name(), "a")
    bus.broadcast("message.sent", "b")
    assert calls == ["a", "b"]


def test_broadcast_without_subscribers_calls_nothing_and_returns():
    bus, calls = Event(), []
    bus.subscribe("message.received", calls.append)
    bus.broadcast("message.sent", "x")  # another event: nobody listens
    bus.unsubscribe("message.received", calls.append)
    bus.broadcast("message.received", "y")  # its list emptied by unsubscribe
    assert calls == []
