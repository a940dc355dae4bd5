"""Each line the CLI prints reaches its file in one write, even unbuffered.

``PYTHONUNBUFFERED=1`` (systemd units, containers) makes ``print`` write the text
and its newline separately; a log line from another thread could land between
them (``hologram server`` once printed ``listening on HOST:PORT`` glued to a route
warning). The processes here write into a datagram socket, where every
``write()`` arrives as its own datagram, so each write can be looked at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from tests.support.net import free_port

CLI = [sys.executable, "-m", "hologram_sdk"]


def _writes_of(cmd, until, timeout=30.0):
    """Run ``cmd`` with stdout and stderr on one datagram socket; the writes seen
    until ``until(writes)`` is true (then the process is stopped)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=theirs, stderr=theirs,
                                env=env)
        theirs.close()
        writes: list[bytes] = []
        ours.settimeout(0.5)
        deadline = time.monotonic() + timeout
        try:
            while not until(writes) and time.monotonic() < deadline:
                try:
                    writes.append(ours.recv(65536))
                except socket.timeout:
                    if proc.poll() is not None:
                        break
        finally:
            proc.terminate()
            proc.wait(10)
        return writes
    finally:
        ours.close()
        theirs.close()


def test_an_unbuffered_print_is_one_write_of_a_whole_line():
    code = ("import sys; from hologram_sdk.cli import whole_lines; whole_lines(sys.stdout, "
            "sys.stderr); print('one', 'two'); print('to stderr', file=sys.stderr); "
            "print('partial', end='', flush=True)")
    writes = _writes_of([sys.executable, "-c", code], lambda w: len(w) >= 3)
    assert writes == [b"one two\n", b"to stderr\n", b"partial"]


def test_without_it_an_unbuffered_print_is_several_writes():
    """The control: what the CLI works around (so the test above can fail)."""
    code = "print('one', 'two')"
    writes = _writes_of([sys.executable, "-c", code], lambda w: len(w) >= 4)
    assert writes == [b"one", b" ", b"two", b"\n"]  # each piece on its own


def test_hologram_server_writes_whole_lines_while_its_route_thread_logs(tmp_path):
    dead = free_port()  # no broker: the route's thread warns while the server prints

    def told_route(writes):
        return any(w.startswith(b"route ") for w in writes)

    writes = _writes_of([*CLI, "server", "--port", "0", "--db", str(tmp_path / "g.db"),
                         "--route", f"mqtt://127.0.0.1:{dead}/x"], told_route)
    assert told_route(writes), writes
    assert any(w.startswith(b"listening on 127.0.0.1:") for w in writes), writes
    for write in writes:
        assert write.endswith(b"\n") and write.count(b"\n") == 1, writes
