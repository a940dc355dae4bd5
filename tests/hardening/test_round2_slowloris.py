"""Issue 15 items 1 and 4: slowloris against the local cloud and the inbound listener.

An attacker holds every connection slot and dribbles one byte at a time, never
finishing a request. Good clients sent meanwhile must all be served within
their own timeout (the slowest/oldest stalled connection makes room), and a
dribbling request is cut at its total deadline however often it sends a byte.

Bounded: 128 attack connections, a few good requests, every wait with a
timeout; loopback only.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from Hologram.CustomCloud import CustomCloud
from Hologram.HologramCloud import HologramCloud
from hologram_sdk.emulator.cloud import LocalCloud
from tests.support.net import HOST, connect, free_port, require_fds, send_raw, wait_for

ATTACKERS = 128


@contextmanager
def slowloris(port: int, count: int, every: float, first: bytes) -> Iterator[list[socket.socket]]:
    """``count`` connections, each sending ``first`` then one more byte every ``every`` s."""
    socks = [connect(port) for _ in range(count)]
    stop = threading.Event()

    def dribble() -> None:
        for sock in socks:
            try:
                sock.sendall(first)
            except OSError:
                pass
        while not stop.wait(every):
            for sock in socks:
                try:
                    sock.send(b"a")
                except OSError:  # cut by the server: the attacker lost that slot
                    pass

    thread = threading.Thread(target=dribble, daemon=True)
    thread.start()
    try:
        yield socks
    finally:
        stop.set()
        thread.join(10)
        for sock in socks:
            sock.close()


def test_local_cloud_serves_good_clients_during_a_128_connection_slowloris():
    require_fds(1024)
    # the idle timeout (5 s) is never reached: each attacker sends a byte every 1 s
    # at the cap (the default, 1024, holds 128 attackers without evicting any)
    with LocalCloud(host=HOST, port=0, max_connections=ATTACKERS) as server:
        good = HologramCloud({"devicekey": "abcd1234"}, enable_inbound=False, send_host=HOST,
                             send_port=server.port, outbox=False)
        with good, slowloris(server.port, ATTACKERS, 1.0, b'{"k":"zzzz9999","d":"'):
            time.sleep(1.5)  # every slot is taken, by connections that look busy
            results = []
            for i in range(8):
                started = time.monotonic()
                results.append((good.sendMessage(f"good-{i}", timeout=4),
                                time.monotonic() - started))
        assert [code for code, _ in results] == [0] * 8, results
        assert [m.data for m in server.messages()] == [f"good-{i}" for i in range(8)]


def test_local_cloud_cuts_a_dribbling_request_at_its_total_deadline():
    with LocalCloud(host=HOST, port=0, idle_timeout=1.0, request_timeout=2.0) as server:
        with connect(server.port, timeout=8) as sock:
            sock.sendall(b'{"k":"abcd1234","d":"')
            started = time.monotonic()
            reply = b""
            sock.settimeout(0.3)
            while time.monotonic() - started < 8:
                try:
                    sock.send(b"a")  # well within the idle timeout, every time
                except OSError:
                    break
                try:
                    chunk = sock.recv(64)
                except (socket.timeout, TimeoutError):
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                reply += chunk
            elapsed = time.monotonic() - started
        assert elapsed < 6, "the dribbling request was never cut"
        assert reply in (b"", b"[2,0]")
        assert server.messages() == []


def test_listener_takes_good_pushes_during_a_128_connection_slowloris():
    require_fds(1024)
    port = free_port()
    with CustomCloud(None, receive_host=HOST, receive_port=port, enable_inbound=True,
                     outbox=False) as cloud:
        # the listener's idle timeout is 10 s: each attacker sends a byte every 1 s
        with slowloris(port, ATTACKERS, 1.0, b"x"):
            time.sleep(1.5)
            for i in range(12):
                send_raw(port, b"good-%d" % i)
                assert wait_for(lambda: cloud._received, 5), f"push {i} held"
                assert cloud.popReceivedMessage(raw=True) == b"good-%d" % i


def test_local_cloud_stays_fast_for_good_clients_among_200_idle_reconnecting_clients():
    """Item 5: idle clients that reconnect as soon as they are cut (bounded: 200
    at a time, for the few seconds the good requests take)."""
    require_fds(1024)
    with LocalCloud(host=HOST, port=0, max_connections=ATTACKERS) as server:  # at the cap
        stop = threading.Event()
        socks: list[socket.socket] = []
        lock = threading.Lock()

        def idle_client() -> None:
            while not stop.is_set():
                try:
                    sock = connect(server.port, timeout=1)
                except OSError:
                    continue
                with lock:
                    socks.append(sock)
                sock.settimeout(0.5)
                while not stop.is_set():  # never sends; reconnects when cut
                    try:
                        if sock.recv(16) == b"":
                            break
                    except (socket.timeout, TimeoutError):
                        continue
                    except OSError:
                        break
                sock.close()

        threads = [threading.Thread(target=idle_client, daemon=True) for _ in range(200)]
        good = HologramCloud({"devicekey": "abcd1234"}, enable_inbound=False, send_host=HOST,
                             send_port=server.port, outbox=False)
        try:
            for thread in threads:
                thread.start()
            time.sleep(1.5)
            with good:
                codes = [good.sendMessage(f"good-{i}", timeout=4) for i in range(8)]
        finally:
            stop.set()
            for thread in threads:
                thread.join(5)
            with lock:
                for sock in socks:
                    sock.close()
        assert codes == [0] * 8


def test_by_default_128_dribbling_and_200_idle_clients_fit_without_evicting_anyone():
    """The default cap (1024, within the file limit) holds both attacks of issue 15
    whole: good clients are accepted at once, nobody is evicted."""
    require_fds(1024)
    with LocalCloud(host=HOST, port=0) as server:
        assert server.max_connections >= 400  # 1024, less under a low file limit
        idle = [connect(server.port) for _ in range(200)]
        try:
            with slowloris(server.port, ATTACKERS, 1.0, b'{"k":"zzzz9999","d":"'):
                assert wait_for(lambda: server._server is not None
                                and server._server.connections >= 328, 10)
                good = HologramCloud({"devicekey": "abcd1234"}, enable_inbound=False,
                                     send_host=HOST, send_port=server.port, outbox=False)
                with good:
                    assert [good.sendMessage(f"g{i}", timeout=4) for i in range(5)] == [0] * 5
                assert server._server is not None and server._server.evictions == 0
        finally:
            for sock in idle:
                sock.close()
