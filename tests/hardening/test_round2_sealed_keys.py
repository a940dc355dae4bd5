"""Issue 15 item 14: the local cloud without a devices file keeps only a salted hash of
each device's key (a random salt per database), still recognises the device
after a restart, and seals the plain keys an older version stored."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing

from hologram_sdk.emulator.cloud import CloudStore, LocalCloud
from tests.support.net import connect

KEY, CLOUD_ID, CLOUD_KEY = "Zq8Lm3Vx", "ab12", "cd34"


def _ask(port: int, request: bytes) -> bytes:
    with connect(port) as sock:
        sock.sendall(request)
        reply = b""
        while chunk := sock.recv(64):
            reply += chunk
    return reply


def _rows(db) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT name, cloud_id, cloud_key, devicekey FROM devices "
                            "ORDER BY registered").fetchall()


def _assert_sealed(rows: list[tuple]) -> None:
    """Every stored key is a seal, never the key. (A substring test cannot say so
    for the short hex CLOUD_KEY: "cd34" turns up inside a random hex digest about
    once in a thousand runs.)"""
    keys = [v for r in rows for v in r[2:] if v is not None]
    assert len(keys) == len(rows)  # one key per device, kept
    assert all(k.startswith("hmac-sha256$") and k not in (KEY, CLOUD_KEY) for k in keys), keys
    assert KEY not in " ".join(str(v) for r in rows for v in r)  # (not hex: can be searched)


def _file_bytes(db) -> bytes:
    data = b""
    for suffix in ("", "-wal"):
        try:
            with open(str(db) + suffix, "rb") as f:
                data += f.read()
        except FileNotFoundError:
            pass
    return data


def _traffic(port: int) -> list[bytes]:
    return [
        _ask(port, b'{"k":"%s","d":"a"}\r\r' % KEY.encode()),
        _ask(port, b'{"s":"%s","c":"%s","d":"b"}\r\r' % (CLOUD_ID.encode(), CLOUD_KEY.encode())),
        _ask(port, b"S%s%s+15551234567 hi\r\r" % (CLOUD_ID.encode(), CLOUD_KEY.encode())),
        _ask(port, b'{"s":"%s","c":"zz99","d":"wrong"}\r\r' % CLOUD_ID.encode()),
    ]


def test_registered_keys_are_stored_sealed_and_still_recognised_after_restart(tmp_path):
    db = tmp_path / "cloud.db"
    with LocalCloud(port=0, db=db) as cloud:
        assert _traffic(cloud.port) == [b"[0,0]", b"[0,0]", b"0", b"[3,0]"]
    rows = _rows(db)
    assert [r[0] for r in rows] == ["device-1", "device-2"]
    _assert_sealed(rows)
    assert KEY.encode() not in _file_bytes(db) and b'"c":"cd34"' not in _file_bytes(db)
    with LocalCloud(port=0, db=db) as again:
        assert _traffic(again.port) == [b"[0,0]", b"[0,0]", b"0", b"[3,0]"]
        assert [m.device for m in again.messages()] == ["device-1", "device-2"] * 2
    assert len(_rows(db)) == 2  # nobody registered twice


def test_two_databases_seal_the_same_key_differently(tmp_path):
    seals = []
    for name in ("one.db", "two.db"):
        with CloudStore(tmp_path / name) as store:
            seals.append(store.seal(KEY))
    assert seals[0] != seals[1]


def test_plain_keys_left_by_an_older_version_are_sealed_on_open(tmp_path):
    db = tmp_path / "old.db"
    CloudStore(db).close()
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("INSERT INTO devices VALUES ('device-1', NULL, NULL, ?, ?)",
                     (KEY, time.time()))
        conn.execute("INSERT INTO devices VALUES ('device-2', ?, ?, NULL, ?)",
                     (CLOUD_ID, CLOUD_KEY, time.time() + 1))
        conn.commit()
    with LocalCloud(port=0, db=db) as cloud:
        _assert_sealed(_rows(db))
        assert _traffic(cloud.port) == [b"[0,0]", b"[0,0]", b"0", b"[3,0]"]
        assert [m.device for m in cloud.messages()] == ["device-1", "device-2"]
