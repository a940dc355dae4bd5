"""Delivery works on a full disk (issue 15, item 10).

A really full file system: a small tmpfs, so these run as root (CI runs as
root); elsewhere they are skipped with a line saying so. Claims and
acknowledgements that cannot be written are kept in memory by the outbox's
sole owner (hologram_sdk/outbox/diskfull.py); a new message that must wait
raises a typed one-line error; one that can go out now is sent.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess

import pytest

from hologram_sdk.base.errors import OutboxDiskFullError
from hologram_sdk.cloud.hologram import ERR_OK, ERR_QUEUED, HologramCloud
from hologram_sdk.outbox import Outbox
from tests.support.net import free_port, wait_for
from tests.support.servers import RecordingServer

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(os.geteuid() != 0, reason="a really full file system needs a tmpfs "
                       "mount, so root (CI runs these as root)"),
]

SEED = {"cloud_id": "ab12", "cloud_key": "cd34"}
DEST = "127.0.0.1:9"


@contextlib.contextmanager
def small_tmpfs(tmp_path, size="1m"):
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)],
                   check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


def fill_up(directory):
    """Write a filler file until the file system says ENOSPC; returns its path."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as f:
        chunk = b"\0" * 4096
        for _ in range(1 << 20):  # bounded: far more than any test tmpfs holds
            try:
                f.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                break
        for size in (512, 64, 1):  # the last scraps
            while True:
                try:
                    f.write(b"\0" * size)
                except OSError:
                    break
    return filler


def test_queued_messages_are_delivered_on_a_full_disk_and_new_ones_still_go_out(tmp_path):
    port = free_port()
    with small_tmpfs(tmp_path) as mnt:
        cloud = HologramCloud(SEED, enable_inbound=False, send_host="127.0.0.1",
                              send_port=port, outbox=mnt / "outbox.db")
        try:
            cloud.network.disconnect()  # the cloud is away: 34 wait
            assert [cloud.sendMessage(f"m{i}") for i in range(34)] == [ERR_QUEUED] * 34
            filler = fill_up(mnt)
            # a message that would have to wait cannot be stored: a typed error
            with pytest.raises(OutboxDiskFullError, match="full") as info:
                cloud.sendMessage("cannot wait")
            assert "\n" not in str(info.value)
            with RecordingServer(port=port) as server:
                cloud.network.connect()  # the cloud is back: deliver, disk still full
                assert wait_for(lambda: len(server.bodies()) >= 34, timeout=30)
                assert [json.loads(b)["d"] for b in server.bodies()] == [
                    f"m{i}" for i in range(34)]
                assert wait_for(lambda: cloud.outbox.count() == 0, timeout=10)
                # nothing waits: a new message goes out directly, disk full or not
                assert cloud.sendMessage("direct") == ERR_OK
                assert json.loads(server.bodies()[-1])["d"] == "direct"
                assert len(server.bodies()) == 35  # each once
            filler.unlink()  # room again: the next write records the deliveries
            cloud.network.disconnect()
            assert cloud.sendMessage("later") == ERR_QUEUED
        finally:
            cloud.close()
        with Outbox(mnt / "outbox.db") as box:
            assert [item.text for item in box.pending()] == ["later"]


def test_a_crash_while_full_sends_again_but_loses_nothing(tmp_path):
    with small_tmpfs(tmp_path) as mnt:
        path = mnt / "outbox.db"
        box = Outbox(path)  # open before the disk fills (opening needs room for the -shm)
        try:
            for i in range(10):
                box.put(DEST, "raw", b"r%d" % i)
            filler = fill_up(mnt)
            items = box.claim(DEST, limit=4)  # in memory: the disk is full
            assert [i.body for i in items] == [b"r0", b"r1", b"r2", b"r3"]
            for item in items[:3]:
                box.ack(item)
            assert box.count() == 7
            assert [i.body for i in box.pending(limit=2)] == [b"r3", b"r4"]
            with pytest.raises(OutboxDiskFullError):
                box.put(DEST, "raw", b"new")
            # a second Outbox on the file (another process, say) claims nothing now
            with Outbox(path) as other:
                assert other.claim(DEST, limit=10) == []
        finally:
            conn = box._conn  # a crash: no close(), nothing written
            box._conn = None
            conn.close()
            box._ledger.close()
            box._acklog.close(keep=True)
        filler.unlink()
        with Outbox(path) as box:
            assert box.count() == 10  # sent again after a crash, never lost


def test_two_processes_on_a_full_disk_still_get_the_old_clear_error(tmp_path):
    with small_tmpfs(tmp_path) as mnt:
        path = mnt / "outbox.db"
        with Outbox(path) as one, Outbox(path) as two:
            one.put(DEST, "raw", b"x")
            fill_up(mnt)
            with pytest.raises(OutboxDiskFullError, match="full"):
                one.claim(DEST)
            assert two.count() == 1
