"""``hologram server`` and ``hologram messages`` as real processes."""

import json
import signal

from hologram_sdk.emulator.cloud import CloudStore, LocalCloud
from tests.cli.util import HOLOGRAM, Proc, run

CREDS = ["--cloud_id", "q7zx", "--cloud_key", "w9vy"]


def test_server_on_port_zero_then_send_then_messages(tmp_path, env):
    db = tmp_path / "server.db"
    server = Proc([*HOLOGRAM, "server", "--port", "0", "--db", str(db)], env)
    try:
        port = server.wait_for(r"listening on 127\.0\.0\.1:(\d+)\n").group(1)
        target = ["--host", "127.0.0.1", "--port", port]
        send = run([*HOLOGRAM, "send", "from the CLI", "-t", "T1", "T2", *CREDS, *target], env)
        assert send.returncode == 0, send.stderr
        sms = run([*HOLOGRAM, "sms", *CREDS, "--destination", "+15551234567", "text me",
                   *target], env)
        assert sms.returncode == 0, sms.stderr
        bad = run([*HOLOGRAM, "send", "x", "--cloud_id", "q7zx", "--cloud_key", "nope", *target],
                  env)
        assert bad.returncode == 1
        status, _, err = server.stop(signal.SIGTERM)
    finally:
        server.kill()
    assert status == 0, err
    assert "INFO:LocalCloud:registered device-1 on first contact" in err
    assert "INFO:LocalCloud:message from device-1: 0 (topics: T1, T2)" in err
    assert "INFO:LocalCloud:sms from device-1 to +15551234567: 0" in err
    assert "refused: 3" in err
    assert "q7zx" not in err and "w9vy" not in err
    assert "Traceback" not in err

    lines = run([*HOLOGRAM, "messages", "--db", str(db), "--json"], env)
    assert lines.returncode == 0, lines.stderr
    records = [json.loads(line) for line in lines.stdout.splitlines()]
    assert [(r["kind"], r["device"]) for r in records] == [("message", "device-1"),
                                                           ("sms", "device-1")]
    assert records[0]["topics"] == ["T1", "T2"] and records[0]["data"] == "from the CLI"
    assert records[1]["destination"] == "+15551234567" and records[1]["text"] == "text me"

    table = run([*HOLOGRAM, "messages", "--db", str(db)], env)
    assert table.returncode == 0
    rows = table.stdout.splitlines()
    assert rows[0].split() == ["ID", "TIME", "DEVICE", "TOPICS", "DATA"]
    assert rows[1].split()[0] == "1" and rows[1].endswith("device-1  T1,T2   from the CLI")
    assert rows[0].index("DEVICE") == rows[1].index("device-1")  # aligned
    assert "SMS:" in rows and "+15551234567" in table.stdout


def test_server_with_devices_file(tmp_path, env):
    devices = tmp_path / "devices.hjson"
    devices.write_text('{devices: [{name: "sensor", cloud_id: "q7zx", cloud_key: "w9vy"}]}')
    server = Proc([*HOLOGRAM, "server", "--port", "0", "--db", str(tmp_path / "d.db"),
                   "--devices", str(devices)], env)
    try:
        port = server.wait_for(r"listening on 127\.0\.0\.1:(\d+)\n").group(1)
        target = ["--host", "127.0.0.1", "--port", port]
        assert run([*HOLOGRAM, "send", "ok", *CREDS, *target], env).returncode == 0
        other = run([*HOLOGRAM, "send", "x", "--cloud_id", "abcd", "--cloud_key", "efgh",
                     *target], env)
        assert other.returncode == 1 and "the cloud answered 3" in other.stderr
        status, _, err = server.stop(signal.SIGINT)
    finally:
        server.kill()
    assert status == 0, err
    assert "message from sensor: 0" in err


def test_server_bad_port_and_devices(tmp_path, env):
    with LocalCloud(port=0, db=tmp_path / "a.db") as taken:
        result = run([*HOLOGRAM, "server", "--port", str(taken.port), "--db",
                      str(tmp_path / "b.db")], env)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{taken.port}" in result.stderr
    assert "Traceback" not in result.stderr
    result = run([*HOLOGRAM, "server", "--port", "0", "--db", str(tmp_path / "b.db"),
                  "--devices", str(tmp_path / "none.hjson")], env)
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_messages_on_a_missing_database(tmp_path, env):
    result = run([*HOLOGRAM, "messages", "--db", str(tmp_path / "none.db")], env)
    assert result.returncode == 1
    assert "no local cloud database" in result.stderr and "hologram server" in result.stderr


def test_messages_table_truncates_and_escapes(tmp_path, env):
    db = tmp_path / "t.db"
    with CloudStore(db) as store:
        store.add_message("device-1", [], "line one\nline two " + "z" * 100)
    result = run([*HOLOGRAM, "messages", "--db", str(db)], env)
    row = result.stdout.splitlines()[1]
    assert "line one\\nline two" in row and row.endswith("…") and len(row) < 120


def test_messages_follow_prints_new_rows(tmp_path, env):
    db = tmp_path / "f.db"
    with CloudStore(db) as store:
        store.add_message("device-1", ["OLD"], "old one")
        follow = Proc([*HOLOGRAM, "messages", "--db", str(db), "--follow"], env)
        try:
            follow.wait_for("old one")
            store.add_message("device-2", ["NEW"], "new one")
            follow.wait_for(r"device-2\s+NEW\s+new one")
            store.add_sms("device-2", "+15551234567", "an sms")
            follow.wait_for(r"sms .*\+15551234567\s+an sms")
            status, _, err = follow.stop(signal.SIGTERM)
        finally:
            follow.kill()
    assert (status, err) == (0, "")


def test_messages_default_db_is_under_xdg_state_home(tmp_path, env):
    db = tmp_path / "state" / "hologram" / "localcloud.db"
    with CloudStore(db) as store:
        store.add_message("device-9", [], "in the default place")
    result = run([*HOLOGRAM, "messages", "--json"], env)
    assert json.loads(result.stdout)["device"] == "device-9"


def test_messages_pages_with_limit_and_before(tmp_path, env):
    db = tmp_path / "p.db"
    with CloudStore(db) as store:
        for i in range(1, 8):
            store.add_message("device-1", [], f"m{i}")
    ids = lambda out: [json.loads(line)["id"] for line in out.splitlines()]  # noqa: E731
    newest = run([*HOLOGRAM, "messages", "--db", str(db), "--json", "--limit", "3"], env)
    assert ids(newest.stdout) == [5, 6, 7]
    back = run([*HOLOGRAM, "messages", "--db", str(db), "--json", "--limit", "3",
                "--before", "5"], env)
    assert ids(back.stdout) == [2, 3, 4]
    table = run([*HOLOGRAM, "messages", "--db", str(db), "--before", "3"], env)
    assert [line.split()[0] for line in table.stdout.splitlines()[1:]] == ["1", "2"]
    bad = run([*HOLOGRAM, "messages", "--db", str(db), "--limit", "0"], env)
    assert bad.returncode == 2 and "--limit" in bad.stderr
    follow = run([*HOLOGRAM, "messages", "--db", str(db), "--follow", "--before", "3"], env)
    assert follow.returncode == 1 and "--before" in follow.stderr
