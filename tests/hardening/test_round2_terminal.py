"""Issue 15 item 12: control characters from the network never reach the operator's
terminal raw: ``hologram receive`` escapes them (``--raw`` prints the bytes) and
the local cloud's log escapes topics."""

from __future__ import annotations

import logging
import signal

from hologram_sdk.emulator.cloud import LocalCloud, push
from tests.cli.util import HOLOGRAM, Proc, clean_env
from tests.support.net import connect, free_port

EVIL = b"hi\x1b[2J\x1b]0;owned\x07there"


def _receive(tmp_path, *extra):
    port = free_port()
    proc = Proc([*HOLOGRAM, "receive", "--host", "127.0.0.1", "-p", str(port),
                 "--timeout", "8", *extra], clean_env(tmp_path))
    try:
        proc.wait_for(f"Ready to receive data on port {port}")
        push("127.0.0.1", port, EVIL)
        proc.wait_for("there")
    finally:
        status, out, err = proc.stop(signal.SIGTERM)
    return out


def test_receive_escapes_control_characters(tmp_path):
    out = _receive(tmp_path)
    assert "\x1b" not in out and "\x07" not in out
    assert "Received message: hi\\x1b[2J\\x1b]0;owned\\x07there" in out


def test_receive_raw_prints_the_bytes(tmp_path):
    out = _receive(tmp_path, "--raw")
    assert "Received message: " + EVIL.decode() in out


def test_server_log_escapes_topics(caplog):
    with caplog.at_level(logging.INFO), LocalCloud(port=0) as cloud:
        with connect(cloud.port) as sock:
            sock.sendall(b'{"k":"abcd1234","t":["a\\u001b[31mb"],"d":"x"}\r\r')
            assert sock.recv(16) == b"[0,0]"
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "topics: a\\x1b[31mb" in text and "\x1b" not in text
