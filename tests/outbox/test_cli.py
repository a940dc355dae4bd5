"""``hologram outbox``: list, flush (with its progress bar), clear, dead."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hologram_sdk.cli import main
from hologram_sdk.outbox import Outbox
from hologram_sdk.outbox.delivery import destination_key
from hologram_sdk.wire.protocol import Credentials, encode_message
from tests.support.net import free_port
from tests.support.servers import RecordingServer

CREDS = Credentials(cloud_id="ab12", cloud_key="cd34")


def fill(path, dest, n, start=0):
    with Outbox(path) as box:
        for i in range(start, start + n):
            body = encode_message(CREDS, f"m{i}", ["A", "B"])
            box.put(dest, "message", body, ["A", "B"], text=f"m{i}")


def test_list_is_an_aligned_table_without_credentials(tmp_path, capsys):
    db = tmp_path / "o.db"
    fill(db, "127.0.0.1:9999", 2)
    with Outbox(db) as box:
        box.put("10.1.2.3:4010", "raw", b"line one\nline two")
    assert main(["outbox", "--db", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["ID", "CREATED", "DESTINATION", "KIND", "TRIES", "TOPICS", "TEXT",
                              "LAST", "ERROR"]
    assert "m0" in out[1] and "A,B" in out[1] and "127.0.0.1:9999" in out[1]
    assert "line one\\nline two" in out[3]  # one row per message, control chars escaped
    # aligned: every column starts at the same offset as its header
    for header in ("DESTINATION", "KIND", "TEXT"):
        col = out[0].index(header)
        assert all(line[col - 2:col] == "  " and line[col] != " " for line in out[1:4])
    assert out[4].startswith("3 waiting (")
    assert "ab12" not in "\n".join(out) and "cd34" not in "\n".join(out)


def test_flush_delivers_everything_in_order_and_reports(tmp_path, capsys):
    db = tmp_path / "o.db"
    with RecordingServer(lambda i, body: 3 if i == 2 else 0) as server:
        fill(db, server.destination, 5)
        assert main(["outbox", "flush", "--db", str(db)]) == 0
        got = [json.loads(b)["d"] for b in server.bodies()]
    assert got == ["m0", "m1", "m2", "m3", "m4"]
    out = capsys.readouterr().out
    assert f"{server.destination}: 4 sent, 1 refused" in out
    assert main(["outbox", "dead", "--db", str(db)]) == 0
    dead = capsys.readouterr().out.splitlines()
    assert dead[0].split()[:5] == ["ID", "FAILED", "DESTINATION", "KIND", "CODE"]
    assert "m2" in dead[1] and dead[1].split()[5] == "3"
    assert dead[-1].startswith("1 dead letters")
    with Outbox(db) as box:
        assert box.count() == 0


def test_flush_stops_on_a_transport_failure_with_status_1(tmp_path, capsys):
    db = tmp_path / "o.db"
    dest = destination_key("127.0.0.1", free_port())
    fill(db, dest, 3)
    assert main(["outbox", "flush", "--db", str(db), "--timeout", "1"]) == 1
    out = capsys.readouterr().out
    assert "0 sent" in out and "CloudConnectionError" in out and "3 still waiting" in out
    with Outbox(db) as box:
        assert [i.attempts for i in box.pending()] == [1, 0, 0]


def test_flush_shows_a_progress_bar_for_large_queues(tmp_path):
    db = tmp_path / "o.db"
    with RecordingServer() as server:
        fill(db, server.destination, 150)
        done = subprocess.run(
            [sys.executable, "-m", "hologram_sdk", "outbox", "flush", "--db", str(db)],
            capture_output=True, timeout=60,  # bytes: keep the \r as they are
        )
        assert len(server.bodies()) == 150
    assert done.returncode == 0, done.stderr
    assert f"{server.destination}: 150 sent" in done.stdout.decode()
    frames = done.stderr.decode().split("\r")
    assert frames[-1].rstrip().endswith("150/150 100%")
    assert "[" + "#" * 30 + "]" in frames[-1]
    assert len(frames) > 10  # redrawn as it goes


def test_small_queues_and_no_progress_print_no_bar(tmp_path, capsys):
    db = tmp_path / "o.db"
    with RecordingServer() as server:
        fill(db, server.destination, 3)
        assert main(["outbox", "flush", "--db", str(db)]) == 0
    assert capsys.readouterr().err == ""


def test_clear_removes_waiting_and_dead_and_says_how_many(tmp_path, capsys):
    db = tmp_path / "o.db"
    fill(db, "127.0.0.1:9999", 4)
    with Outbox(db) as box:
        box.dead_letter(box.claim_next("127.0.0.1:9999"), 2)
    assert main(["outbox", "clear", "--db", str(db)]) == 0
    assert capsys.readouterr().out.strip() == "removed 3 waiting messages and 1 dead letters"
    assert main(["outbox", "list", "--db", str(db)]) == 0
    assert capsys.readouterr().out.startswith("0 waiting")


def test_a_missing_outbox_is_not_created(tmp_path, capsys):
    db = tmp_path / "none.db"
    for action in ("list", "flush", "clear", "dead"):
        assert main(["outbox", action, "--db", str(db)]) == 0
    assert "nothing queued" in capsys.readouterr().out
    assert not db.exists()


def test_an_unreadable_outbox_is_a_one_line_error(tmp_path, capsys):
    db = tmp_path / "o.db"
    db.write_bytes(b"garbage" * 200)
    assert main(["outbox", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hologram outbox: ") and "not an outbox database" in err
    assert err.count("\n") == 1


def test_unknown_action_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["outbox", "explode"])
    assert info.value.code == 2
