"""Deferred acknowledgements (acklog.py): as safe as a commit against a killed
process, folded in by the next write or by whoever opens the file after a crash,
and never applied to another database than their own."""

from __future__ import annotations

import subprocess
import sys

from hologram_sdk.outbox import Outbox
from hologram_sdk.outbox.salvage import directory_lock, move_aside

DEST = "127.0.0.1:9"

CRASHER = r"""
import os, signal, sys
from hologram_sdk.outbox import Outbox
box = Outbox(sys.argv[1])
items = box.claim("127.0.0.1:9", limit=5)
for item in items[:3]:
    box.ack(item, defer=True)
print("acked", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def ack_logs(directory):
    return sorted(p.name for p in directory.iterdir() if "-acks-" in p.name)


def fill(path, n):
    with Outbox(path) as box:
        return [box.put(DEST, "raw", b"r%d" % i).id for i in range(n)]


def test_deferred_acks_of_a_killed_process_are_folded_in_by_the_next_opener(tmp_path):
    path = tmp_path / "o.db"
    fill(path, 5)
    child = subprocess.run([sys.executable, "-c", CRASHER, str(path)], capture_output=True,
                           text=True, timeout=30)
    assert child.stdout.strip() == "acked" and child.returncode == -9
    assert len(ack_logs(tmp_path)) == 1  # left behind by the killed process
    with Outbox(path) as box:
        assert [i.body for i in box.pending()] == [b"r3", b"r4"]
    assert ack_logs(tmp_path) == []


def test_a_live_instance_keeps_its_log_and_others_see_its_rows_claimed(tmp_path):
    path = tmp_path / "o.db"
    fill(path, 3)
    with Outbox(path) as sender:
        first = sender.claim(DEST, limit=3)[0]
        sender.ack(first, defer=True)
        assert sender.count() == 2  # gone for this instance at once
        with Outbox(path) as other:  # not folded by another opener: its owner lives
            assert other.count() == 3
            assert other.claim(DEST, limit=3) == []  # claimed by the sender: not sent twice
        sender.flush_acks()
        with Outbox(path) as other:
            assert other.count() == 2
    assert ack_logs(tmp_path) == []


def test_a_plain_ack_is_written_at_once(tmp_path):
    path = tmp_path / "o.db"
    fill(path, 2)
    with Outbox(path) as sender, Outbox(path) as other:
        sender.ack(sender.claim_next(DEST))
        assert other.count() == 1
    assert ack_logs(tmp_path) == []


def test_the_logs_of_a_damaged_database_move_aside_with_it(tmp_path):
    path = tmp_path / "o.db"
    fill(path, 3)
    subprocess.run([sys.executable, "-c", CRASHER, str(path)], capture_output=True, timeout=30)
    with directory_lock(tmp_path):
        moved = move_aside(path)
    assert moved is not None
    assert all(name.startswith(moved.name) for name in ack_logs(tmp_path))
    fill(path, 3)  # a fresh outbox: ids 1, 2, 3 again
    with Outbox(path) as box:
        assert box.count() == 3  # the old acknowledgements are not applied here
