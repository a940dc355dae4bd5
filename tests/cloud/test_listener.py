"""The inbound listener over real loopback sockets."""

from __future__ import annotations

import logging
import resource
import socket
import threading
import time

import pytest

from hologram_sdk.base.errors import ConfigurationError, InboundBindError
from hologram_sdk.transport.listener import InboundListener
from tests.support.net import HOST, send_raw, wait_for


class Inbox:
    def __init__(self):
        self.lock = threading.Lock()
        self.messages: list[bytes] = []

    def __call__(self, data: bytes) -> None:
        with self.lock:
            self.messages.append(data)

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


@pytest.fixture
def inbox():
    return Inbox()


def test_one_connection_is_one_message(inbox):
    with InboundListener(HOST, 0, inbox) as listener:
        assert listener.port > 0
        send_raw(listener.port, b"hello")
        send_raw(listener.port, b"world")
        assert wait_for(lambda: inbox.count() == 2)
    assert sorted(inbox.messages) == [b"hello", b"world"]


def test_non_utf8_bytes_are_delivered_as_they_came(inbox):
    with InboundListener(HOST, 0, inbox) as listener:
        send_raw(listener.port, b"\xff\xfe\x00bin\x80")
        assert wait_for(lambda: inbox.count() == 1)
    assert inbox.messages == [b"\xff\xfe\x00bin\x80"]


def test_many_concurrent_senders_lose_nothing(inbox):
    with InboundListener(HOST, 0, inbox) as listener:
        expected = {f"message-{i}".encode() * (i + 1) for i in range(60)}
        threads = [threading.Thread(target=send_raw, args=(listener.port, m)) for m in expected]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert wait_for(lambda: inbox.count() == len(expected))
    assert set(inbox.messages) == expected


def test_idle_connection_is_cut_and_its_bytes_kept(inbox):
    with InboundListener(HOST, 0, inbox, idle_timeout=0.2) as listener:
        with socket.create_connection((HOST, listener.port), timeout=5) as sock:
            sock.sendall(b"forgot to close")
            start = time.monotonic()
            assert sock.recv(1) == b""  # the listener closed it
            assert 0.15 <= time.monotonic() - start < 3.0
        assert wait_for(lambda: inbox.count() == 1)
    assert inbox.messages == [b"forgot to close"]


def test_idle_connection_without_bytes_delivers_nothing(inbox):
    with InboundListener(HOST, 0, inbox, idle_timeout=0.1) as listener:
        with socket.create_connection((HOST, listener.port), timeout=5) as sock:
            assert sock.recv(1) == b""
        send_raw(listener.port, b"after")
        assert wait_for(lambda: inbox.count() == 1)
    assert inbox.messages == [b"after"]


def test_oversize_message_is_dropped_with_a_log_line_and_others_arrive(inbox, caplog):
    caplog.set_level(logging.WARNING, logger="hologram_sdk.transport.listener")
    with InboundListener(HOST, 0, inbox, max_message_size=1000) as listener:
        with socket.create_connection((HOST, listener.port), timeout=5) as big:
            send_raw(listener.port, b"small")
            try:
                big.sendall(b"y" * 5000)
            except OSError:
                pass  # the listener may cut us while we write
        send_raw(listener.port, b"x" * 1000)  # exactly at the cap is fine
        assert wait_for(lambda: inbox.count() == 2)
        assert wait_for(lambda: "dropped" in caplog.text)
    assert sorted(inbox.messages) == [b"small", b"x" * 1000]
    assert "over 1000 bytes" in caplog.text


def test_connection_cap_makes_senders_wait_not_fail(inbox):
    with InboundListener(HOST, 0, inbox, max_connections=2, idle_timeout=5) as listener:
        first = socket.create_connection((HOST, listener.port), timeout=5)
        second = socket.create_connection((HOST, listener.port), timeout=5)
        try:
            first.sendall(b"one")
            second.sendall(b"two")
            waiting = threading.Thread(target=send_raw, args=(listener.port, b"three"))
            waiting.start()
            time.sleep(0.2)
            assert inbox.count() == 0  # the third waits in the backlog
            first.close()
            second.close()
            waiting.join()
        finally:
            first.close()
            second.close()
        assert wait_for(lambda: inbox.count() == 3)
    assert sorted(inbox.messages) == [b"one", b"three", b"two"]


def test_callback_exception_is_logged_and_the_listener_goes_on(caplog):
    got = []

    def handler(data):
        got.append(data)
        if data == b"boom":
            raise RuntimeError("handler failed")

    with InboundListener(HOST, 0, handler) as listener:
        send_raw(listener.port, b"boom")
        assert wait_for(lambda: len(got) == 1)
        send_raw(listener.port, b"fine")
        assert wait_for(lambda: len(got) == 2)
    assert got == [b"boom", b"fine"]
    assert "handler raised" in caplog.text


def test_reopen_on_the_same_port_at_once(inbox):
    listener = InboundListener(HOST, 0, inbox)
    port = listener.port
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(b"pending")
        time.sleep(0.05)
    send_raw(port, b"first")
    assert wait_for(lambda: inbox.count() == 2)
    listener.close()
    listener.close()  # idempotent
    with InboundListener(HOST, port, inbox) as again:
        send_raw(again.port, b"second")
        assert wait_for(lambda: inbox.count() == 3)


def test_bind_failure_names_the_port_and_the_way_out(inbox):
    with socket.create_server((HOST, 0)) as holder:
        port = holder.getsockname()[1]
        with pytest.raises(InboundBindError) as info:
            InboundListener(HOST, port, inbox)
    message = str(info.value)
    assert f"{HOST}:{port}" in message
    assert "enable_inbound=False" in message
    assert isinstance(info.value, OSError)


def test_close_joins_the_thread_and_closes_every_socket(inbox):
    listener = InboundListener(HOST, 0, inbox)
    conn = socket.create_connection((HOST, listener.port), timeout=5)
    try:
        conn.sendall(b"half")
        time.sleep(0.05)
        listener.close()
        assert not listener._thread.is_alive()
        assert conn.recv(1) == b""  # the server side was closed too
    finally:
        conn.close()
    with pytest.raises(OSError):
        socket.create_connection((HOST, listener.port), timeout=1).close()


def test_close_from_the_callback_does_not_deadlock():
    holder = {}

    def handler(data):
        holder["listener"].close()

    listener = InboundListener(HOST, 0, handler)
    holder["listener"] = listener
    send_raw(listener.port, b"stop")
    assert wait_for(lambda: not listener._thread.is_alive())
    listener.close()


def test_idle_listener_uses_no_cpu(inbox):
    with InboundListener(HOST, 0, inbox) as listener:
        with socket.create_connection((HOST, listener.port), timeout=5):
            before = resource.getrusage(resource.RUSAGE_SELF)
            time.sleep(0.5)
            after = resource.getrusage(resource.RUSAGE_SELF)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert used < 0.1


@pytest.mark.parametrize(
    ("option", "value"),
    [("idle_timeout", 0), ("max_message_size", 0), ("max_connections", 0)],
)
def test_bad_options_are_configuration_errors(inbox, option, value):
    with pytest.raises(ConfigurationError, match=option):
        InboundListener(HOST, 0, inbox, **{option: value})


def test_a_sender_that_waits_for_the_close_finds_its_message_taken(inbox):
    # the message is handed to on_message before the listener closes the line,
    # so push() (which waits for that close) returns only once it was taken
    from hologram_sdk.emulator.cloud import push

    with InboundListener(HOST, 0, inbox) as listener:
        for i in range(30):
            push(HOST, listener.port, f"m{i}", timeout=5.0)
            assert inbox.count() == i + 1  # no wait: it is there already
    assert inbox.messages == [f"m{i}".encode() for i in range(30)]
