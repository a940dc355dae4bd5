"""Issue 15 item 14: an existing local cloud database that others can read is made
0600 (with its WAL) and the change is said in one log line."""

from __future__ import annotations

import logging
import os
import stat

from hologram_sdk.emulator.cloud import CloudStore, LocalCloud
from tests.support.net import connect


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_world_readable_database_is_tightened_to_0600_with_a_line(tmp_path, caplog):
    db = tmp_path / "cloud.db"
    with CloudStore(db) as store:
        store.add_message("device-1", [], "x")
    for path in tmp_path.iterdir():
        os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING), LocalCloud(port=0, db=db) as cloud:
        with connect(cloud.port) as sock:  # keys land in the file and its WAL
            sock.sendall(b'{"k":"abcd1234","d":"y"}\r\r')
            assert sock.recv(16) == b"[0,0]"
        assert _mode(db) == 0o600
        for extra in (str(db) + "-wal", str(db) + "-shm"):
            if os.path.exists(extra):
                assert _mode(extra) == 0o600, extra
    lines = [r.getMessage() for r in caplog.records if "made 0600" in r.getMessage()]
    assert lines and str(db) in lines[0] and "0644" in lines[0]


def test_a_private_database_is_left_alone_and_nothing_is_said(tmp_path, caplog):
    db = tmp_path / "cloud.db"
    CloudStore(db).close()
    with caplog.at_level(logging.WARNING):
        CloudStore(db).close()
    assert _mode(db) == 0o600
    assert not [r for r in caplog.records if "made 0600" in r.getMessage()]
