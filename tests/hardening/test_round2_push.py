"""Issue 15 item 8: ``push()`` and ``hologram push`` report failure when the device
accepts the connection but never reads the message (the timeout runs out)."""

from __future__ import annotations

import socket
import time

import pytest

from hologram_sdk.base.errors import CloudTimeoutError
from hologram_sdk.emulator.cloud import push
from tests.cli.util import HOLOGRAM, clean_env, run


def test_push_to_a_peer_that_never_reads_raises_a_timeout():
    with socket.create_server(("127.0.0.1", 0)) as never_reads:  # the kernel accepts
        port = never_reads.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(CloudTimeoutError, match=f"127.0.0.1:{port} within 0.5 s"):
            push("127.0.0.1", port, "hello", timeout=0.5)
        assert time.monotonic() - started < 5


def test_push_cli_to_a_peer_that_never_reads_fails(tmp_path):
    env = clean_env(tmp_path)
    with socket.create_server(("127.0.0.1", 0)) as never_reads:
        port = never_reads.getsockname()[1]
        result = run([*HOLOGRAM, "push", "-p", str(port), "--timeout", "0.5", "hello"], env)
    assert result.returncode == 1, result.stdout
    assert "pushed" not in result.stdout
    assert result.stderr.count("\n") == 1 and "within 0.5 s" in result.stderr
