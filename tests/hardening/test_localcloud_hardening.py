"""The local cloud under abuse: every malformed request kind with its exact reply,
and floods, slowloris, 1 MiB garbage, half-closes and resets beside good traffic.

All over real loopback sockets against ``LocalCloud`` serving from its thread.
"""

from __future__ import annotations

import os
import socket
import threading
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import pytest

from hologram_sdk.emulator.cloud import LocalCloud
from tests.support.net import (
    HOST,
    connect,
    cut_by_peer,
    require_fds,
    reset,
)

MiB = 1024 * 1024
IDLE = 0.5
KEY = "abcd1234"  # a device key (8 characters)
SEED = "ab12cd34"  # cloud_id + cloud_key as an SMS carries them


def ask(port: int, request: bytes, timeout: float = 5.0, half_close: bool = False) -> bytes:
    """Send one request, read the reply until the server closes."""
    with connect(port, timeout) as sock:
        sock.sendall(request)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
        return reply


def msg(body: str) -> bytes:
    return body.encode() + b"\r\r"


#: (what, request bytes, exact reply)
MALFORMED = [
    ("not JSON", msg('{"k":"abcd1234","d":'), b"[2,0]"),
    ("JSON, not an object", msg('["k","abcd1234","d","x"]'), b"[5,0]"),
    ("JSON scalar", msg('"hello"'), b"[5,0]"),
    ("missing data", msg('{"k":"abcd1234"}'), b"[2,0]"),
    ("data is a number", msg('{"k":"abcd1234","d":42}'), b"[4,0]"),
    ("data is an object", msg('{"k":"abcd1234","d":{"a":1}}'), b"[4,0]"),
    ("data is null", msg('{"k":"abcd1234","d":null}'), b"[4,0]"),
    ("topics not strings", msg('{"k":"abcd1234","t":[1,2],"d":"x"}'), b"[8,0]"),
    ("topic empty", msg('{"k":"abcd1234","t":"","d":"x"}'), b"[8,0]"),
    ("topics an object", msg('{"k":"abcd1234","t":{"a":1},"d":"x"}'), b"[8,0]"),
    ("topic too long", msg('{"k":"abcd1234","t":["' + "x" * 300 + '"],"d":"x"}'), b"[8,0]"),
    ("long and short names mixed", msg('{"devicekey":"abcd1234","d":"x"}'), b"[2,0]"),
    ("long and short names mixed (tags)", msg('{"k":"abcd1234","tags":["a"],"data":"x"}'),
     b"[2,0]"),
    ("device key too short", msg('{"k":"abc","d":"x"}'), b"[3,0]"),
    ("device key not a string", msg('{"k":12345678,"d":"x"}'), b"[3,0]"),
    ("seed cloud_id too short", msg('{"s":"ab1","c":"cd34","d":"x"}'), b"[3,0]"),
    ("seed cloud_key missing", msg('{"s":"ab12","d":"x"}'), b"[3,0]"),
    ("no credentials at all", msg('{"d":"x"}'), b"[3,0]"),
    ("metadata without 0x01", msg('{"k":"abcd1234","m":"agnostic-1.0","d":"x"}'), b"[7,0]"),
    ("metadata not a string", msg('{"k":"abcd1234","m":7,"d":"x"}'), b"[7,0]"),
    ("unknown protocol", msg("GET / HTTP/1.0"), b"[5,0]"),
    ("binary garbage", b"\x00\x01\x02\x03\r\r", b"[5,0]"),
    ("empty request", b"\r\r", b"[5,0]"),
    ("JSON nested 20,000 deep", msg('{"k":"abcd1234","d":' + "[" * 20000 + "]" * 20000 + "}"),
     b"[2,0]"),
    ("JSON not UTF-8", b'{"k":"abcd1234","d":"\xff\xfe"}\r\r', b"[2,0]"),
    ("SMS without +", msg("S" + SEED + "15551234567 hi"), b"2"),
    ("SMS without space", msg("S" + SEED + "+15551234567hi"), b"2"),
    ("SMS number too short", msg("S" + SEED + "+123456 hi"), b"2"),
    ("SMS auth too short", msg("Sab12+15551234567 hi"), b"2"),
    ("SMS too long", msg("S" + SEED + "+15551234567 " + "a" * 161), b"4"),
    ("SMS not UTF-8", b"S" + SEED.encode() + b"+15551234567 \xff\xfe\r\r", b"2"),
    ("oversize message", msg('{"k":"abcd1234","d":"' + "a" * (70 * 1024) + '"}'), b"[4,0]"),
    ("oversize SMS", msg("S" + SEED + "+15551234567 " + "a" * (70 * 1024)), b"4"),
]

GOOD = [
    ("device key, topics list", msg('{"k":"abcd1234","t":["A","B"],"d":"good-1"}'), b"[0,0]"),
    ("long names", msg('{"devicekey":"abcd1234","tags":["A"],"data":"good-2"}'), b"[0,0]"),
    ("seed format", msg('{"s":"ab12","c":"cd34","t":"T","d":"good-3"}'), b"[0,0]"),
    ("SMS at 160", msg("S" + SEED + "+15551234567 " + "b" * 160), b"0"),
]


@pytest.fixture
def cloud():
    with LocalCloud(port=0, idle_timeout=IDLE) as server:
        yield server


def test_every_malformed_request_kind_gets_its_exact_code_and_nothing_is_stored(cloud):
    # good requests first: they register the device, so refusals below are not
    # "unknown device" but the request's own fault
    for what, request, expected in GOOD:
        assert ask(cloud.port, request) == expected, what
    with ThreadPoolExecutor(max_workers=16) as pool:
        replies = list(pool.map(lambda case: ask(cloud.port, case[1]), MALFORMED))
    wrong = [(what, expected, got) for (what, _, expected), got in zip(MALFORMED, replies)
             if got != expected]
    assert wrong == []
    assert [m.data for m in cloud.messages()] == ["good-1", "good-2", "good-3"]
    assert [s.text for s in cloud.sms()] == ["b" * 160]


def test_unknown_and_wrong_credentials_are_refused_with_a_devices_file(tmp_path):
    devices = tmp_path / "devices.hjson"
    devices.write_text('{devices: [{name: "s", cloud_id: "ab12", cloud_key: "cd34"},'
                       ' {name: "k", devicekey: "abcd1234"}]}')
    with LocalCloud(port=0, devices=devices, idle_timeout=IDLE) as server:
        cases = [
            (msg('{"k":"zzzz9999","d":"x"}'), b"[3,0]"),  # unknown device key
            (msg('{"s":"ab12","c":"XXXX","d":"x"}'), b"[3,0]"),  # wrong key for a known id
            (msg('{"s":"qq12","c":"cd34","d":"x"}'), b"[3,0]"),  # unknown id
            (msg("Sab12XXXX+15551234567 hi"), b"3"),  # SMS, wrong key
            (msg('{"k":"abcd1234","d":"ok"}'), b"[0,0]"),
            (msg("S" + SEED + "+15551234567 ok"), b"0"),
        ]
        assert [ask(server.port, r) for r, _ in cases] == [e for _, e in cases]
        assert [m.data for m in server.messages()] == ["ok"]


def test_200_connections_with_slowloris_garbage_half_closes_and_resets():
    require_fds(512)
    # not "S": refused as oversize (4), or as no protocol (5) when the random
    # bytes hold a terminator early on
    garbage = b"\x00" + os.urandom(MiB - 1)
    tracemalloc.start()
    try:
        with LocalCloud(port=0, idle_timeout=IDLE) as server:
            port = server.port
            baseline = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            slow = [connect(port) for _ in range(100)]
            half = []
            try:
                for i in range(20):  # reset mid-request
                    sock = connect(port)
                    sock.sendall(b'{"k":"abcd1234","d":"reset-%d' % i)
                    reset(sock)
                for i in range(20):  # request without terminator, then half-close
                    sock = connect(port)
                    sock.sendall(msg(f'{{"k":"abcd1234","d":"half-{i}"}}')[:-2])
                    sock.shutdown(socket.SHUT_WR)
                    half.append(sock)

                def garbage_sender(_: int) -> bytes:
                    try:
                        return ask(port, garbage, timeout=10)
                    except OSError:  # refused at 64 KiB; the rest may meet a reset
                        return b"<reset>"

                def good(i: int) -> bytes:
                    return ask(port, msg(f'{{"k":"abcd1234","t":"G","d":"good-{i}"}}'), 10)

                with ThreadPoolExecutor(max_workers=60) as pool:
                    bigs = pool.map(garbage_sender, range(20))
                    goods = pool.map(good, range(40))
                    assert list(goods) == [b"[0,0]"] * 40
                    assert set(bigs) <= {b"[4,0]", b"[5,0]", b"<reset>"}
                half_replies = []
                for sock in half:
                    sock.settimeout(5)
                    reply = b""
                    while chunk := sock.recv(64):
                        reply += chunk
                    half_replies.append(reply)
                assert half_replies == [b"[0,0]"] * 20
                assert all(cut_by_peer(s, timeout=5) for s in slow)
            finally:
                for sock in slow + half:
                    sock.close()
            stored = sorted(m.data for m in server.messages())
            wanted = sorted([f"good-{i}" for i in range(40)] + [f"half-{i}" for i in range(20)])
            assert stored == wanted  # each exactly once, nothing from garbage or resets
            peak = tracemalloc.get_traced_memory()[1] - baseline
            assert peak < 12 * MiB, f"peak traced memory {peak / MiB:.1f} MiB"
            # still serving
            assert ask(port, msg('{"k":"abcd1234","d":"after"}')) == b"[0,0]"
            server_threads = [t for t in threading.enumerate() if t.name.startswith("LocalCloud")]
            assert server_threads
    finally:
        tracemalloc.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("LocalCloud")]
    # the port is free at once for a new server
    with LocalCloud(host=HOST, port=port) as again:
        assert ask(again.port, msg('{"k":"abcd1234","d":"again"}')) == b"[0,0]"


def test_slow_writer_byte_by_byte_within_idle_timeout_is_served(cloud):
    request = msg('{"k":"abcd1234","d":"slow"}')
    with connect(cloud.port) as sock:
        for byte in request:
            sock.sendall(bytes([byte]))
        reply = b""
        while chunk := sock.recv(64):
            reply += chunk
    assert reply == b"[0,0]"


def test_incomplete_request_left_silent_is_answered_2_after_the_idle_timeout(cloud):
    with connect(cloud.port) as sock:
        sock.sendall(b'{"k":"abcd1234","d":"never finished')
        sock.settimeout(5)
        assert sock.recv(64) == b"[2,0]"
    assert cloud.messages() == []
