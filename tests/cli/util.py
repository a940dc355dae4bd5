"""Run the CLI as real processes, with an environment that writes only under tmp_path."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
HOLOGRAM = [sys.executable, "-m", "hologram_sdk"]


def script(name):
    path = BIN / name
    assert path.exists(), f"console script {path} is not installed (pip install -e .)"
    return [str(path)]


def clean_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOLOGRAM_")}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run(cmd, env, timeout=30):
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


class Proc:
    """A background CLI process whose output is read with deadlines."""

    def __init__(self, cmd, env):
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.out = b""

    def wait_for(self, pattern, timeout=10.0):
        """Read stdout until ``pattern`` (regex) matches; return the match."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while True:
            match = re.search(pattern, self.out.decode(errors="replace"))
            if match:
                return match
            left = deadline - time.monotonic()
            assert left > 0, f"no {pattern!r} in {self.out!r}"
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                assert chunk, f"process ended before {pattern!r}: {self.out!r} {self.stop()}"
                self.out += chunk

    def stop(self, sig=None, timeout=10.0):
        """Signal (or just wait), collect the rest; returns (status, stdout, stderr)."""
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rest, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rest, err = self.proc.communicate()
        self.out += rest
        return self.proc.returncode, self.out.decode(), err.decode()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()
