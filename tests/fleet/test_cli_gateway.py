"""``hologram server`` as a real process: bad input, SIGKILL, and ``hologram messages``."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

from hologram_sdk.cloud.hologram import HologramCloud
from tests.fleet.broker import Subscriber
from tests.support.net import free_port, wait_until

CLI = [sys.executable, "-m", "hologram_sdk"]
CREDS = {"cloud_id": "ab12", "cloud_key": "cd34"}


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout)


class Server:
    """``hologram server ...`` in the background; ``port`` once it listens.

    Its output is read on a thread into a queue (select on a buffered pipe can miss
    lines already read into the buffer).
    """

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([*CLI, "server", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = 0
        deadline = time.monotonic() + 30
        try:
            while not self.port:
                line = self.readline(deadline - time.monotonic())
                if line.startswith("listening on "):
                    self.port = int(line.rsplit(":", 1)[1])
        except BaseException:
            self.stop()  # (readline stopped it already when the server went silent)
            raise

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put("")  # the end

    def readline(self, timeout: float) -> str:
        try:
            line = self._queue.get(timeout=max(0.01, timeout))
        except queue.Empty:
            line = None
        if not line:
            self.stop()
            raise AssertionError(f"hologram server ended or was silent: {self.lines}")
        self.lines.append(line)
        return line

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while True:
            line = self.readline(deadline - time.monotonic())
            if text in line:
                return line

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._reader.join(10)
        self.proc.stdout.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._reader.join(10)
        while not self._queue.empty():
            line = self._queue.get()
            if line:
                self.lines.append(line)
        if self.proc.stdout is not None and not self.proc.stdout.closed:
            self.proc.stdout.close()


def send_all(port: int, texts: list[str]) -> None:
    cloud = HologramCloud(CREDS, enable_inbound=False, send_host="127.0.0.1", send_port=port,
                          outbox=False)
    try:
        for text in texts:
            assert int(cloud.sendMessage(text, timeout=10)) == 0
    finally:
        cloud.close()


def test_unparseable_route_is_one_line_and_exit_2(tmp_path):
    result = run("server", "--port", "0", "--db", str(tmp_path / "g.db"), "--route", "bogus")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "not a URL" in result.stderr
    result = run("server", "--port", "0", "--db", str(tmp_path / "g.db"),
                 "--route", "mqtt://user:hunter2@h:99999")
    assert result.returncode == 2 and "hunter2" not in result.stderr
    result = run("server", "--port", "0", "--db", str(tmp_path / "g.db"), "--http", "0")
    assert result.returncode == 2 and "API key" in result.stderr


def test_gateway_sigkill_loses_nothing(broker, tmp_path):
    db = str(tmp_path / "g.db")
    args = ["--port", "0", "--db", db, "--name", "gw-k", "--route", broker.url, "--quiet"]
    with Subscriber(broker.port, ["hologram/devices/+/messages"], session="consumer") as sub:
        server = Server(*args)
        try:
            server.wait_for("route mqtt://")
            send_all(server.port, [f"before {i}" for i in range(150)])
            server.kill()  # at once: some rows are stored and not yet forwarded
            server = Server(*args)
            send_all(server.port, [f"after {i}" for i in range(20)])
            wanted = {f"before {i}" for i in range(150)} | {f"after {i}" for i in range(20)}
            wait_until(lambda: {d["data"] for d in sub.documents()} >= wanted, timeout=30,
                       what="every accepted message")
            ids = [d["id"] for d in sub.documents()]
            assert len(set(ids)) == 170  # duplicates (if any) carry the same id
        finally:
            server.stop()
    result = run("messages", "--db", db)
    assert result.returncode == 0
    header, first = result.stdout.splitlines()[:2]
    assert "FORWARDED" in header and " yes " in first


def test_server_prints_route_state_and_backlog(tmp_path):
    port = free_port()  # no broker there
    server = Server("--port", "0", "--db", str(tmp_path / "g.db"), "--route",
                    f"mqtt://127.0.0.1:{port}/x")
    try:
        line = server.wait_for(f"route mqtt://127.0.0.1:{port}/x: down")
        assert "backlog 0" in line
        send_all(server.port, ["one", "two"])
        assert "backlog 2" in server.wait_for("backlog 2", timeout=20)
    finally:
        server.stop()
    assert sum("is down" in line for line in server.lines) == 1
    result = run("messages", "--db", str(tmp_path / "g.db"), "--json")
    assert '"state": "pending"' in result.stdout
