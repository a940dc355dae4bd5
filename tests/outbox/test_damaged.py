"""A damaged or unusable outbox never stops sending (issue 15, item 3).

Garbage, truncated and partly overwritten files; a read-only directory (a
read-only tmpfs as root, since root ignores directory modes; a 0500 directory
otherwise). The cloud sends directly and says so once; a damaged file is moved
aside, never deleted, and a fresh outbox started; ``hologram outbox recover``
salvages the readable rows; ``list``/``flush`` say what is wrong in one line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import subprocess

import pytest

from hologram_sdk.base.errors import OutboxCorruptError, OutboxError
from hologram_sdk.base.events import MESSAGE_SENT, OUTBOX_DAMAGED, OUTBOX_UNAVAILABLE
from hologram_sdk.cli import main
from hologram_sdk.cloud.hologram import ERR_OK, ERR_QUEUED, HologramCloud
from hologram_sdk.outbox import Outbox
from hologram_sdk.outbox.salvage import DAMAGED_SUFFIX, read_file, salvage
from hologram_sdk.wire.protocol import Credentials, encode_message
from tests.support.net import wait_for
from tests.support.servers import RecordingServer

CREDS = Credentials(cloud_id="ab12", cloud_key="cd34")
SEED = {"cloud_id": "ab12", "cloud_key": "cd34"}
HOST = "127.0.0.1"


def hologram(port, outbox):
    return HologramCloud(SEED, enable_inbound=False, send_host=HOST, send_port=port,
                         outbox=outbox)


def fill(path, dest, n, pad=b""):
    with Outbox(path, max_messages=100_000, max_bytes=10**9) as box:
        for i in range(n):
            box.put(dest, "message", encode_message(CREDS, f"m{i}", ["T"]) + pad, ["T"],
                    text=f"m{i}")


def garbage(path):
    path.write_bytes(random.Random(1).randbytes(64 * 1024)
                     if hasattr(random.Random, "randbytes") else os.urandom(64 * 1024))


def truncate(path):
    fill(path, "127.0.0.1:9", 300, pad=b"x" * 200)
    os.truncate(path, os.path.getsize(path) // 2)


def overwrite(path, n=2000, pad=b""):
    """``n`` rows, then a tenth of the file in the middle overwritten with noise."""
    fill(path, "127.0.0.1:9", n, pad)
    size = os.path.getsize(path)
    noise = random.Random(7)
    with open(path, "r+b") as f:
        f.seek(size // 3)
        f.write(bytes(noise.getrandbits(8) for _ in range(size // 10)))


def aside(directory):
    return sorted(p for p in directory.iterdir() if DAMAGED_SUFFIX in p.name)


def outbox_warnings(caplog):
    return [r for r in caplog.records
            if r.levelno == logging.WARNING and r.name.startswith("hologram_sdk.outbox")]


@pytest.mark.parametrize("damage", [garbage, truncate], ids=["garbage", "truncated"])
def test_a_damaged_file_is_moved_aside_and_the_cloud_keeps_sending(tmp_path, caplog, damage):
    path = tmp_path / "o.db"
    damage(path)
    before = path.read_bytes()
    with RecordingServer() as server:
        cloud = hologram(server.port, path)
        damaged = []
        try:
            cloud.event.subscribe(OUTBOX_DAMAGED, damaged.append)
            assert cloud.sendMessage("direct") == ERR_OK
            assert json.loads(server.bodies()[0])["d"] == "direct"
            # a fresh outbox works: queued while down, delivered when up
            cloud.network.disconnect()
            assert cloud.sendMessage("queued") == ERR_QUEUED
            cloud.network.connect()
            assert wait_for(lambda: len(server.bodies()) == 2, timeout=10)
            assert json.loads(server.bodies()[1])["d"] == "queued"
        finally:
            cloud.close()
    moved = aside(tmp_path)
    assert [p.name for p in moved if not p.name.endswith(("-wal", "-shm"))] == [
        moved[0].name]
    assert moved[0].read_bytes() == before  # never deleted, never changed
    warnings = outbox_warnings(caplog)
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    text = warnings[0].getMessage()
    assert "damaged" in text and str(moved[0]) in text and "hologram outbox recover" in text
    # said at construction, before anyone subscribed; a second cloud finds a fresh file
    assert damaged == []


def test_the_event_and_the_warning_come_once_when_damage_is_found_during_use(tmp_path, caplog):
    path = tmp_path / "o.db"
    with RecordingServer() as server:
        fill(path, server.destination, 2000)
        size = os.path.getsize(path)
        with open(path, "r+b") as f:  # a page in the middle of the rows
            f.seek(size // 2)
            f.write(b"\xff" * 8192)
        cloud = hologram(server.port, path)  # leftovers: the flusher starts at once
        damaged = []
        cloud.event.subscribe(OUTBOX_DAMAGED, damaged.append)
        try:
            assert wait_for(lambda: damaged, timeout=20)
            assert damaged[0]["path"] == str(path)
            assert os.path.exists(damaged[0]["moved_to"])
            sent = len(server.bodies())
            assert 0 < sent < 2000  # delivered up to the damaged page
            assert cloud.sendMessage("after") == ERR_OK
            assert json.loads(server.bodies()[-1])["d"] == "after"
        finally:
            cloud.close()
    assert len(damaged) == 1
    assert len([r for r in outbox_warnings(caplog) if "damaged" in r.getMessage()]) == 1


def test_list_and_flush_on_a_damaged_file_say_so_in_one_line_and_point_to_recover(
        tmp_path, capsys):
    path = tmp_path / "o.db"
    truncate(path)
    for action in ("list", "flush"):
        assert main(["outbox", action, "--db", str(path)]) == 1
        captured = capsys.readouterr()
        err = captured.err.strip()
        assert len(err.splitlines()) == 1, err
        assert "damaged" in err and f"hologram outbox recover {path}" in err
    assert path.exists() and aside(tmp_path) == []  # the CLI moves nothing by itself


def test_recover_salvages_most_of_2000_rows_from_a_partly_overwritten_file(tmp_path, capsys):
    bad = tmp_path / "bad.db"
    overwrite(bad)
    with pytest.raises(OutboxCorruptError):  # SQLite itself gives up on it
        with Outbox(bad) as box:
            box.pending()
    queue = tmp_path / "queue.db"
    status = main(["outbox", "recover", str(bad), "--db", str(queue)])
    line = capsys.readouterr().out.strip()
    assert status == 1, line  # some rows were lost: not a clean recovery
    with Outbox(queue) as box:
        got = box.pending()
    assert 1600 <= len(got) < 2000
    assert f"recovered {len(got)} messages from {bad} into {queue}" in line
    unreadable = int(line.split("; ")[1].split()[0])
    assert len(got) + unreadable == 2000
    # each row is whole and in its original order
    numbers = [int(item.text[1:]) for item in got]
    assert numbers == sorted(numbers)
    for item, n in zip(got, numbers):
        assert item.body == encode_message(CREDS, f"m{n}", ["T"]) and item.topics == ["T"]
    # again: nothing added twice
    assert main(["outbox", "recover", str(bad), "--db", str(queue)]) == 1
    assert "recovered 0 messages" in capsys.readouterr().out
    with Outbox(queue) as box:
        assert box.count() == len(got)


def test_recover_the_outbox_itself_moves_it_aside_first(tmp_path, capsys):
    path = tmp_path / "o.db"
    fill(path, "127.0.0.1:9", 5)
    with Outbox(path) as box:
        box.ack(box.claim_next("127.0.0.1:9"))  # delivered: must not come back
    assert main(["outbox", "recover", str(path), "--db", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["recovered"] == 4 and report["unreadable"] == 0
    assert DAMAGED_SUFFIX in report["file"] and os.path.exists(report["file"])
    with Outbox(path) as box:
        assert [i.text for i in box.pending()] == ["m1", "m2", "m3", "m4"]


def test_recover_usage_errors_exit_2(tmp_path, capsys):
    assert main(["outbox", "recover", "--db", str(tmp_path / "q.db")]) == 2
    assert main(["outbox", "recover", str(tmp_path / "nope.db")]) == 2
    assert main(["outbox", "list", str(tmp_path / "x.db")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and "needs the damaged FILE" in err[0] and "no such file" in err[1]


def test_recover_of_a_garbage_file_finds_nothing_and_says_it_cannot_tell(tmp_path, capsys):
    bad = tmp_path / "bad.db"
    garbage(bad)
    assert main(["outbox", "recover", str(bad), "--db", str(tmp_path / "q.db")]) == 1
    assert "recovered 0 messages" in capsys.readouterr().out


def test_salvage_reads_rows_still_in_the_wal_and_leaves_delivered_ones_out(tmp_path):
    path = tmp_path / "o.db"
    with Outbox(path) as box:  # open: everything is still in the -wal
        for i in range(50):
            box.put("127.0.0.1:9", "raw", b"r%d" % i)
        for _ in range(10):
            box.ack(box.claim_next("127.0.0.1:9"))
        box.put("127.0.0.1:9", "raw", b"last")  # purges the delivered rows
        box.ack(box.claim_next("127.0.0.1:9"))  # one delivered, not purged yet
        assert os.path.getsize(f"{path}-wal") > 0
        data, wal = read_file(path)
    found = salvage(data, wal)
    assert [i.body for i in found.items] == [b"r%d" % i for i in range(11, 50)] + [b"last"]
    assert found.missing == 0 and found.delivered == 1


def test_salvage_never_resurrects_rows_on_freed_pages(tmp_path):
    path = tmp_path / "o.db"
    fill(path, "127.0.0.1:9", 500, pad=b"y" * 300)
    with Outbox(path) as box:
        box.clear()
        box.put("127.0.0.1:9", "raw", b"only")
    data, wal = read_file(path)
    assert [i.body for i in salvage(data, wal).items] == [b"only"]


@contextlib.contextmanager
def read_only_directory(tmp_path):
    """A directory nobody can write to: a read-only tmpfs as root, mode 0500 otherwise."""
    directory = tmp_path / "ro"
    directory.mkdir()
    if os.geteuid() != 0:
        directory.chmod(0o500)
        try:
            yield directory
        finally:
            directory.chmod(0o700)
        return
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(directory)],
                   check=True)
    try:
        yield directory
    finally:
        subprocess.run(["umount", str(directory)], check=True)


def test_a_read_only_directory_turns_durability_off_and_says_so_once(tmp_path, caplog):
    with read_only_directory(tmp_path) as directory, RecordingServer() as server:
        cloud = hologram(server.port, directory / "outbox.db")
        off = []
        cloud.event.subscribe(OUTBOX_UNAVAILABLE, off.append)
        sent = []
        cloud.event.subscribe(MESSAGE_SENT, sent.append)
        try:
            cloud.network.disconnect()
            for _ in range(3):  # must wait, cannot be stored: raised, never lost quietly
                with pytest.raises(OutboxError, match="durability is off"):
                    cloud.sendMessage("cannot wait")
            cloud.network.connect()
            assert [cloud.sendMessage(f"direct{i}") for i in range(3)] == [ERR_OK] * 3
            assert [json.loads(b)["d"] for b in server.bodies()] == [
                "direct0", "direct1", "direct2"]
        finally:
            cloud.close()
        assert len(off) == 1 and off[0]["path"] == str(directory / "outbox.db")
        warnings = outbox_warnings(caplog)
        assert len(warnings) == 1 and "durability" in warnings[0].getMessage()
        assert list(directory.iterdir()) == []


def test_a_damaged_file_in_a_read_only_directory_still_lets_the_cloud_send(tmp_path, caplog):
    directory = tmp_path / "ro"
    directory.mkdir()
    garbage(directory / "outbox.db")
    if os.geteuid() == 0:
        subprocess.run(["mount", "--bind", str(directory), str(directory)], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", str(directory)], check=True)
    else:
        directory.chmod(0o500)
    try:
        with RecordingServer() as server:
            cloud = hologram(server.port, directory / "outbox.db")
            try:
                assert cloud.sendMessage("direct") == ERR_OK
                assert cloud.sendMessage("again") == ERR_OK
            finally:
                cloud.close()
        warnings = outbox_warnings(caplog)
        assert len(warnings) == 1
        assert "without durability" in warnings[0].getMessage()
        assert [p.name for p in directory.iterdir()] == ["outbox.db"]
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(directory)], check=True)
        else:
            directory.chmod(0o700)


def test_an_outbox_given_as_an_object_that_is_damaged_turns_durability_off(tmp_path):
    path = tmp_path / "o.db"
    fill(path, "127.0.0.1:9", 1)
    box = Outbox(path)
    try:
        size = os.path.getsize(path)
        with open(path, "r+b") as f:  # damage what the box reads: its tables' pages
            f.seek(4096)
            f.write(b"\x07" * (size - 4096))
        with RecordingServer() as server:
            cloud = hologram(server.port, box)
            try:
                assert cloud.sendMessage("direct") == ERR_OK
            finally:
                cloud.close()
    finally:
        box.close()
    assert aside(tmp_path) == []  # not the cloud's to move
