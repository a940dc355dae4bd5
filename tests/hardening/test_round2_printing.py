"""Issue 15 items 6 and 12: what a device sends is stored so it can always be printed
(a lone surrogate in a topic), and ``hologram messages`` never hands the
operator's terminal a raw control character from the network."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

from hologram_sdk.emulator.cloud import CloudStore, LocalCloud
from tests.cli.util import HOLOGRAM, clean_env, run
from tests.support.net import connect


def _ask(port: int, request: bytes) -> bytes:
    with connect(port) as sock:
        sock.sendall(request)
        reply = b""
        while chunk := sock.recv(64):
            reply += chunk
    return reply


def test_a_lone_surrogate_topic_is_stored_printable_and_listing_works(tmp_path):
    env = clean_env(tmp_path)
    db = tmp_path / "cloud.db"
    with LocalCloud(port=0, db=db) as cloud:
        reply = _ask(cloud.port, b'{"k":"abcd1234","t":["\\udfff","ok"],"d":"x"}\r\r')
        assert reply == b"[0,0]"
        [stored] = cloud.messages()
    stored.topics[0].encode("utf-8")  # printable: no lone surrogate kept
    assert stored.topics[1] == "ok"
    for extra in ([], ["--json"]):
        result = run([*HOLOGRAM, "messages", "--db", str(db), *extra], env)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    assert json.loads(result.stdout.splitlines()[0])["topics"][1] == "ok"


def test_listing_a_database_that_already_holds_a_surrogate_topic_works(tmp_path):
    env = clean_env(tmp_path)
    db = tmp_path / "old.db"
    with CloudStore(db) as store:
        store.add_message("device-1", ["fine"], "x")
    with closing(sqlite3.connect(db)) as conn:  # a row as an older version stored it
        conn.execute("UPDATE messages SET topics = ?", (r'["\udfff"]',))
        conn.commit()
    for extra in ([], ["--json"]):
        result = run([*HOLOGRAM, "messages", "--db", str(db), *extra], env)
        assert result.returncode == 0, result.stderr


def test_control_characters_in_topics_and_sms_numbers_are_escaped_in_the_table(tmp_path):
    env = clean_env(tmp_path)
    db = tmp_path / "esc.db"
    with CloudStore(db) as store:
        store.add_message("device-1", ["a\x1b[2Jb", "c\x07"], "data")
        store.add_sms("device-\x1b]0;x\x07", "+1555\x1b[1m", "hi")
    result = run([*HOLOGRAM, "messages", "--db", str(db)], env)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "a\\x1b[2Jb" in result.stdout
