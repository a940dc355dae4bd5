"""Crash and storage faults: SIGKILL mid-write, a full disk, an unwritable path."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from hologram_sdk.base.errors import OutboxError
from hologram_sdk.outbox import Outbox

DEST = "127.0.0.1:9999"

WRITER = r"""
import sys
from hologram_sdk.outbox import Outbox
box = Outbox(sys.argv[1])
i = 0
while True:
    item = box.put("127.0.0.1:9999", "message", b"m%d" % i, ["t%d" % i])
    print(item.id, i, flush=True)  # only after put() returned: committed
    i += 1
"""


def test_every_message_reported_committed_survives_sigkill(tmp_path):
    path = tmp_path / "o.db"
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE
    )
    reported: dict[int, int] = {}
    try:
        deadline = time.monotonic() + 20
        while len(reported) < 400 and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            item_id, index = map(int, line.split())
            reported[item_id] = index
        child.send_signal(signal.SIGKILL)  # mid-way: it is writing all the time
        child.wait(10)
        rest = child.stdout.read()  # lines written before the kill count too
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
    for line in rest.splitlines():
        parts = line.split()
        if len(parts) == 2:  # a line cut by the kill is not a report
            reported[int(parts[0])] = int(parts[1])
    assert len(reported) >= 400
    with Outbox(path) as box:
        stored = {item.id: item for item in box.pending()}
    missing = set(reported) - set(stored)
    assert not missing, f"{len(missing)} committed messages lost"
    for item_id, index in reported.items():
        assert stored[item_id].body == b"m%d" % index
        assert stored[item_id].topics == [f"t{index}"]
    # at most the one put in progress may be there without a report
    assert len(set(stored) - set(reported)) <= 1


def test_full_database_is_a_clear_error_and_loses_nothing(tmp_path, caplog):
    path = tmp_path / "o.db"
    with Outbox(path, max_file_bytes=64 * 1024) as box:
        stored = []
        with pytest.raises(OutboxError, match="full") as info:
            for i in range(10_000):
                stored.append(box.put(DEST, "message", b"x" * 500 + b"%d" % i).id)
        assert "kept" in str(info.value)
        assert 10 < len(stored) < 10_000
        assert [i.id for i in box.pending()] == stored  # nothing lost, still readable
        assert box.count() == len(stored)
        # the process goes on: delivering frees room, and the next put works
        for _ in range(5):
            box.ack(box.claim_next(DEST))
        assert box.put(DEST, "message", b"after").id > stored[-1]
    with Outbox(path) as box:
        assert [i.id for i in box.pending()][: len(stored) - 5] == stored[5:]


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_a_really_full_filesystem(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], check=True)
    try:
        with Outbox(mnt / "o.db") as box:
            stored = []
            with pytest.raises(OutboxError, match="full"):
                for _ in range(100_000):
                    stored.append(box.put(DEST, "message", os.urandom(400)).id)
            assert len(stored) > 10
            assert box.count() == len(stored)
            assert [i.id for i in box.pending()] == stored
        with Outbox(mnt / "o.db") as box:
            assert [i.id for i in box.pending()] == stored
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_a_path_under_a_regular_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(OutboxError, match="cannot create the outbox database"):
        Outbox(blocker / "outbox.db")
    with pytest.raises(OutboxError, match="cannot create the outbox database"):
        Outbox(blocker / "deeper" / "outbox.db")


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "o.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(OutboxError, match="damaged or not an outbox database"):
        Outbox(path)


def test_an_unknown_schema_version_is_refused(tmp_path):
    import sqlite3

    path = tmp_path / "o.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    with pytest.raises(OutboxError, match="schema version 7"):
        Outbox(path)


def test_a_version_1_outbox_is_upgraded_and_keeps_its_messages(tmp_path):
    import sqlite3

    path = tmp_path / "o.db"
    with Outbox(path) as box:
        for text in ("one", "two"):
            box.put("127.0.0.1:9999", "message", text.encode(), ["t"], text=text)
    conn = sqlite3.connect(path)  # back to version 1: no outbox_acked table
    conn.executescript("DROP TABLE outbox_acked; PRAGMA user_version = 1;")
    conn.close()
    with Outbox(path) as box:
        assert [i.text for i in box.pending()] == ["one", "two"]
        box.ack(box.claim_next("127.0.0.1:9999"))
        assert [i.text for i in box.pending()] == ["two"]
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    finally:
        conn.close()


def test_a_database_locked_by_another_process_is_an_outbox_error(tmp_path):
    import sqlite3

    path = tmp_path / "o.db"
    with Outbox(path, busy_timeout=0.2) as box:
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")
            with pytest.raises(OutboxError, match="locked"):
                box.put(DEST, "message", b"x")
            other.execute("ROLLBACK")
            assert box.put(DEST, "message", b"y").body == b"y"
        finally:
            other.close()
