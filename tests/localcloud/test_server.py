"""The server under load and abuse: many clients, silent clients, oversize requests, lifecycle."""

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from hologram_sdk.base.errors import HologramError, InboundBindError
from hologram_sdk.emulator.cloud import LocalCloud
from tests.localcloud.util import SEED, exchange, message


def test_port_zero_picks_a_free_port_and_start_is_idempotent(db):
    cloud = LocalCloud(port=0, db=db)
    assert cloud.port == 0
    cloud.start()
    try:
        port = cloud.port
        assert port > 0 and cloud.address == ("127.0.0.1", port)
        assert cloud.start() is cloud and cloud.port == port
    finally:
        cloud.close()
    cloud.close()  # idempotent
    with pytest.raises(HologramError, match="closed"):
        cloud.start()


def test_close_without_start_and_port_in_use(db, tmp_path):
    LocalCloud(port=0, db=db).close()
    with LocalCloud(port=0, db=db) as first:
        with pytest.raises(InboundBindError, match=f"cannot listen on 127.0.0.1:{first.port}"):
            LocalCloud(port=first.port, db=tmp_path / "other.db").start()


def test_ipv6_loopback(db):
    if not socket.has_ipv6:
        pytest.skip("no IPv6 in this Python")
    try:
        cloud = LocalCloud("::1", 0, db=db).start()
    except InboundBindError:
        pytest.skip("::1 is not configured on this machine")
    with cloud:
        assert exchange(cloud.port, message(SEED + b',"d":"v6"'), host="::1") == b"[0,0]"


def test_many_clients_at_once(cloud):
    count = 60

    def one(i):
        return exchange(cloud.port, message(SEED + b',"t":["C"],"d":"%d"' % i))

    with ThreadPoolExecutor(max_workers=30) as pool:
        replies = list(pool.map(one, range(count)))
    assert replies == [b"[0,0]"] * count
    assert sorted(int(m.data) for m in cloud.messages()) == list(range(count))


def test_silent_client_does_not_block_others(db):
    with LocalCloud(port=0, db=db, idle_timeout=1.0) as cloud:
        silent = socket.create_connection(("127.0.0.1", cloud.port))
        partial = socket.create_connection(("127.0.0.1", cloud.port))
        try:
            partial.sendall(b'{"s":"1d3g"')
            start = time.monotonic()
            for i in range(5):
                assert exchange(cloud.port, message(SEED + b',"d":"%d"' % i)) == b"[0,0]"
            assert time.monotonic() - start < 0.9  # served while the others hang
            # the idle timeout then ends both: nothing for the silent one,
            # "malformed" for the one that stopped half way
            silent.settimeout(5)
            partial.settimeout(5)
            assert silent.recv(100) == b""
            assert partial.recv(100) == b"[2,0]"
            assert time.monotonic() - start >= 0.9
        finally:
            silent.close()
            partial.close()
        assert len(cloud.messages()) == 5


def test_oversize_request_is_answered_and_closed(db):
    with LocalCloud(port=0, db=db, max_request_bytes=1024) as cloud:
        big = message(SEED + b',"d":"' + b"x" * 5000 + b'"')
        assert exchange(cloud.port, big) == b"[4,0]"
        assert exchange(cloud.port, b"S1d3g5a7b+15551234567 " + b"y" * 2000) == b"4"
        huge = b"{" + b"z" * (200 * 1024)  # drained after the reply: no reset
        assert exchange(cloud.port, huge) == b"[4,0]"
        at_limit = message(SEED + b',"d":"' + b"a" * (1024 - len(SEED) - 11) + b'"')
        assert len(at_limit) == 1024
        assert exchange(cloud.port, at_limit) == b"[0,0]"
        assert exchange(cloud.port, at_limit[:-2] + b"x\r\r") == b"[4,0]"
        assert len(cloud.messages()) == 1


def test_default_limit_is_64_kib(cloud):
    assert cloud.max_request_bytes == 64 * 1024
    body = SEED + b',"d":"' + b"a" * 70000 + b'"'
    assert exchange(cloud.port, message(body)) == b"[4,0]"


def test_connection_cap_queues_the_rest(db):
    with LocalCloud(port=0, db=db, max_connections=2, idle_timeout=0.5) as cloud:
        hogs = [socket.create_connection(("127.0.0.1", cloud.port)) for _ in range(2)]
        try:
            time.sleep(0.1)  # both accepted: the cap is reached
            start = time.monotonic()
            assert exchange(cloud.port, message(SEED + b',"d":"waited"')) == b"[0,0]"
            waited = time.monotonic() - start
            assert 0.1 <= waited < 3.0  # served once a hog open 0.25 s made room
        finally:
            for hog in hogs:
                hog.close()


def test_reply_then_close_without_waiting_for_the_client(cloud):
    """A client that never closes still gets EOF right after the reply (SMS replies need it)."""
    with socket.create_connection(("127.0.0.1", cloud.port), timeout=5) as sock:
        sock.sendall(b"S1d3g5a7b+15551234567 hi\r\r")
        start = time.monotonic()
        assert sock.recv(100) == b"0"
        assert sock.recv(100) == b""
        assert time.monotonic() - start < 0.5


def test_close_with_clients_connected(db):
    cloud = LocalCloud(port=0, db=db).start()
    clients = [socket.create_connection(("127.0.0.1", cloud.port)) for _ in range(3)]
    try:
        time.sleep(0.05)
        start = time.monotonic()
        cloud.close()
        assert time.monotonic() - start < 1.0
        assert not any(t.name.startswith("LocalCloud") for t in threading.enumerate())
    finally:
        for c in clients:
            c.close()


def test_handle_request_without_socket(cloud):
    assert cloud.handle_request(message(SEED + b',"d":"direct"', b"")) == b"[0,0]"
    assert cloud.handle_request(b"nope") == b"[5,0]"
    assert cloud.messages()[0].data == "direct"
