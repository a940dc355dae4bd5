"""Issue 15 item 7 (second half): open registration is rate-limited per source and capped.

Without ``--devices`` a new cloud_id registers a device on first contact. One
address may register ``registration_rate`` devices per minute (a minute's worth
at once), then gets ``[6,0]`` ("try later"); past ``max_devices`` a new device
gets ``[3,0]``. Known devices are never refused. Real loopback TCP; the
limit's clock is passed in, so nothing depends on speed.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys

import pytest

from hologram_sdk.emulator.cloud import LocalCloud
from hologram_sdk.emulator.cloud.registration import RegistrationLimit, source_of
from tests.support.net import HOST


class FakeClock:
    """A test double for the monotonic clock: moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def send(port: int, cloud_id: str, source: str = HOST, key: str = "k3y0") -> bytes:
    """One seed-format message from ``source`` (a loopback address); the reply."""
    with socket.create_connection((HOST, port), timeout=5.0, source_address=(source, 0)) as s:
        s.sendall(f'{{"s":"{cloud_id}","c":"{key}","d":"hi"}}\r\r'.encode())
        reply = b""
        while chunk := s.recv(64):
            reply += chunk
        return reply


def test_a_source_over_its_rate_gets_6_known_devices_and_other_sources_do_not(caplog):
    clock = FakeClock()
    caplog.set_level(logging.INFO, logger="hologram_sdk.emulator.cloud")
    with LocalCloud(port=0, registration_rate=3, registration_clock=clock) as cloud:
        assert [send(cloud.port, f"id{i:02d}") for i in range(3)] == [b"[0,0]"] * 3
        refused = [send(cloud.port, f"nw{i:02d}") for i in range(5)]
        assert refused == [b"[6,0]"] * 5
        # the devices it already has are served however often they send
        assert [send(cloud.port, "id00") for _ in range(10)] == [b"[0,0]"] * 10
        # another address has its own bucket
        assert send(cloud.port, "zz00", source="127.0.0.2") == b"[0,0]"
        # 60/3 = 20 s later one more token
        clock.now += 20.0
        assert send(cloud.port, "nw00") == b"[0,0]"
        assert send(cloud.port, "nw01") == b"[6,0]"
        stored = cloud.messages()
    assert len(stored) == 3 + 10 + 1 + 1
    assert {m.device for m in stored} == {f"device-{i}" for i in range(1, 6)}
    lines = [r.getMessage() for r in caplog.records if "new device from" in r.getMessage()]
    # five refusals in one line (the clock stood still), the sixth 20 s later in another
    assert len(lines) == 2 and "127.0.0.1" in lines[0] and "refused: 6" in lines[0]
    assert all("k3y0" not in r.getMessage() for r in caplog.records)
    assert cloud.registration.refused == 6


def test_past_max_devices_new_ones_get_3_and_the_cap_holds_after_a_restart(tmp_path):
    db = tmp_path / "cloud.db"
    with LocalCloud(port=0, db=db, max_devices=2, registration_rate=0) as cloud:
        assert send(cloud.port, "aaaa") == b"[0,0]"
        assert send(cloud.port, "bbbb") == b"[0,0]"
        assert send(cloud.port, "cccc") == b"[3,0]"
        assert send(cloud.port, "aaaa") == b"[0,0]"
        assert send(cloud.port, "aaaa", key="nope") == b"[3,0]"  # wrong key: as before
    with LocalCloud(port=0, db=db, max_devices=2) as cloud:  # devices come from the file
        assert send(cloud.port, "dddd") == b"[3,0]"
        assert send(cloud.port, "bbbb") == b"[0,0]"
        assert len(cloud.messages()) == 4


def test_no_limit_with_zero_and_a_devices_file_is_not_limited(tmp_path):
    clock = FakeClock()
    with LocalCloud(port=0, registration_rate=0, max_devices=0, registration_clock=clock) as c:
        assert {send(c.port, f"q{i:03d}") for i in range(40)} == {b"[0,0]"}
    listed = tmp_path / "devices.hjson"
    listed.write_text(
        "[" + ",".join(f'{{cloud_id: "l{i:03d}", cloud_key: "k3y0"}}' for i in range(5)) + "]"
    )
    with LocalCloud(port=0, devices=listed, registration_rate=1, max_devices=1) as cloud:
        assert {send(cloud.port, f"l{i:03d}") for i in range(5)} == {b"[0,0]"}
        assert send(cloud.port, "x000") == b"[3,0]"  # not listed: as ever


def test_sources_count_per_address_and_ipv6_per_64():
    assert source_of("127.0.0.1:5000") == "127.0.0.1"
    assert source_of("2001:db8::1:5000") == "2001:db8::/64"
    assert source_of("2001:db8::ffff:1:5000") == "2001:db8::/64"
    assert source_of("::ffff:10.0.0.1:5000") == "10.0.0.1"
    assert source_of("-") == "-"


def test_the_remembered_sources_are_bounded():
    clock = FakeClock()
    limit = RegistrationLimit(1, 0, clock=clock, max_sources=100)
    for i in range(1000):
        limit.admit(f"10.0.{i // 256}.{i % 256}:1", 0)
    assert len(limit._buckets) == 100


@pytest.mark.parametrize("flag", ["-1", "nan", "inf", "x"])
def test_bad_limit_flags_are_one_line_exit_2(flag):
    for name in ("--registration-rate", "--max-devices"):
        done = subprocess.run(
            [sys.executable, "-m", "hologram_sdk", "server", "--port", "0", name, flag],
            capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert name in done.stderr and "Traceback" not in done.stderr
