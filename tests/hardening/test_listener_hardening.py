"""The inbound listener under abuse: floods, slowloris, 1 MiB garbage, half-closes, resets.

Everything goes through the documented ``CustomCloud`` inbound API on real
loopback sockets; good traffic sent alongside the abuse must all arrive intact.
"""

from __future__ import annotations

import os
import socket
import threading
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

from Hologram.CustomCloud import CustomCloud
from tests.support.net import (
    HOST,
    connect,
    cut_by_peer,
    free_port,
    require_fds,
    reset,
    send_raw,
    wait_for,
)

MiB = 1024 * 1024
IDLE = 0.5  # seconds before the listener cuts a silent connection


def _cloud(port: int, **options) -> CustomCloud:
    # outbox=False: only the listener is under test, and no file outside tmp_path
    return CustomCloud(None, receive_host=HOST, receive_port=port, enable_inbound=True,
                       inbound_idle_timeout=IDLE, outbox=False, **options)


def _drain(cloud: CustomCloud) -> list[bytes]:
    out = []
    while (message := cloud.popReceivedMessage(raw=True)) is not None:
        out.append(message)
    return out


def _inbound_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("hologram-inbound")]


def test_200_connections_with_slowloris_garbage_half_closes_and_resets():
    require_fds(512)
    port = free_port()
    garbage = os.urandom(MiB)
    good = [f"good-{i}-".encode() + os.urandom(8).hex().encode() for i in range(40)]
    half = [f"half-{i}".encode() for i in range(20)]
    tracemalloc.start()
    cloud = _cloud(port)
    slow: list[socket.socket] = []
    half_socks: list[socket.socket] = []
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        # 100 silent connections first: they take listener slots for IDLE seconds.
        slow = [connect(port) for _ in range(100)]
        for i in range(20):  # reset mid-message
            sock = connect(port)
            sock.sendall(b"reset-partial-%d" % i)
            reset(sock)
        for payload in half:  # the write side closed, the read side kept open
            sock = connect(port)
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
            half_socks.append(sock)

        def big(_: int) -> None:
            try:
                send_raw(port, garbage, timeout=10)
            except OSError:  # the listener cuts an oversize message: EPIPE/reset is fine
                pass

        with ThreadPoolExecutor(max_workers=60) as pool:
            bigs = [pool.submit(big, i) for i in range(20)]
            goods = [pool.submit(send_raw, port, p) for p in good]
            for f in goods + bigs:
                f.result(timeout=20)

        expected = set(good) | set(half)
        got: list[bytes] = []

        def all_arrived() -> bool:
            got.extend(_drain(cloud))
            return expected <= set(got)

        assert wait_for(all_arrived, timeout=15), f"missing: {expected - set(got)}"
        # every silent connection was cut after the idle timeout
        assert all(cut_by_peer(s, timeout=5) for s in slow)
        assert all(cut_by_peer(s, timeout=5) for s in half_socks)
        got.extend(_drain(cloud))
        # good messages exactly once; no oversize message was delivered, cut or whole
        assert sorted(m for m in got if m in expected) == sorted(expected)
        assert all(len(m) <= 64 * 1024 for m in got)
        assert not any(garbage[:64] in m for m in got)
        others = [m for m in got if m not in expected]
        assert all(m.startswith(b"reset-partial-") for m in others), others[:3]
        peak = tracemalloc.get_traced_memory()[1] - baseline
        # 20 x 1 MiB went in; buffering them would be 20 MiB. The cap keeps it small.
        assert peak < 12 * MiB, f"peak traced memory {peak / MiB:.1f} MiB"
        # still serving after all that
        after: list[bytes] = []
        send_raw(port, b"after-the-storm")
        assert wait_for(lambda: b"after-the-storm" in (after.extend(_drain(cloud)) or after), 5)
    finally:
        for sock in slow + half_socks:
            sock.close()
        cloud.close()
        tracemalloc.stop()
    assert _inbound_threads() == []
    # the port is free at once: reopening works and serves
    cloud.openReceiveSocket()
    try:
        send_raw(port, b"reopened")
        assert wait_for(lambda: cloud.popReceivedMessage(raw=True) == b"reopened", 5)
    finally:
        cloud.close()
    assert _inbound_threads() == []


def test_one_mib_of_random_bytes_arrives_exactly_when_the_cap_allows_it():
    port = free_port()
    payloads = [os.urandom(MiB) for _ in range(4)]
    with _cloud(port, inbound_max_message_size=2 * MiB) as cloud:
        with ThreadPoolExecutor(max_workers=4) as pool:
            for f in [pool.submit(send_raw, port, p, 10) for p in payloads]:
                f.result(timeout=20)
        got: list[bytes] = []
        assert wait_for(lambda: len(got.extend(_drain(cloud)) or got) == 4, 10)
        assert sorted(got) == sorted(payloads)  # non-UTF-8 bytes kept exactly


def test_reset_storm_does_not_stop_good_traffic():
    port = free_port()
    with _cloud(port) as cloud:
        for round_ in range(5):
            for i in range(40):
                sock = connect(port)
                if i % 2:
                    sock.sendall(b"partial")
                reset(sock)
            send_raw(port, b"good-%d" % round_)
        got: list[bytes] = []
        wanted = {b"good-%d" % r for r in range(5)}
        assert wait_for(lambda: wanted <= set(got.extend(_drain(cloud)) or got), 10)
        assert {m for m in got if m != b"partial"} == wanted


def test_memory_stays_bounded_over_rounds_of_oversize_messages():
    port = free_port()
    garbage = os.urandom(MiB)
    tracemalloc.start()
    try:
        with _cloud(port) as cloud:
            baseline = tracemalloc.get_traced_memory()[0]
            peaks = []
            for _ in range(4):
                tracemalloc.reset_peak()
                with ThreadPoolExecutor(max_workers=10) as pool:
                    for f in [pool.submit(lambda: _quiet_send(port, garbage))
                              for _ in range(10)]:
                        f.result(timeout=20)
                send_raw(port, b"marker")
                assert wait_for(lambda: b"marker" in _drain(cloud), 5)
                peaks.append(tracemalloc.get_traced_memory()[1] - baseline)
            current = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert max(peaks) < 8 * MiB, [f"{p / MiB:.1f}" for p in peaks]
    assert current < 1 * MiB, f"{current / MiB:.2f} MiB still held after the rounds"


def _quiet_send(port: int, payload: bytes) -> None:
    try:
        send_raw(port, payload, timeout=10)
    except OSError:
        pass


def test_connection_cap_queues_senders_instead_of_losing_them():
    port = free_port()
    with _cloud(port, inbound_max_connections=4) as cloud:
        slow = [connect(port) for _ in range(4)]  # every slot taken until IDLE passes
        try:
            with ThreadPoolExecutor(max_workers=20) as pool:
                for f in [pool.submit(send_raw, port, b"queued-%d" % i)
                          for i in range(20)]:
                    f.result(timeout=10)
            got: list[bytes] = []
            wanted = {b"queued-%d" % i for i in range(20)}
            assert wait_for(lambda: wanted <= set(got.extend(_drain(cloud)) or got), 10)
            assert sorted(got) == sorted(wanted)
        finally:
            for sock in slow:
                sock.close()
