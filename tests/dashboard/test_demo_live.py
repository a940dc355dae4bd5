"""``make demo-live``: the demo keeps its local cloud and dashboard up until SIGTERM."""

from __future__ import annotations

import http.client
import re
import select
import signal
import subprocess
import sys
import time
import urllib.parse

from tests.cli.util import clean_env


def test_demo_live_serves_the_dashboard_until_sigterm(tmp_path):
    env = clean_env(tmp_path, HOLOGRAM_API_KEY="a-key-for-the-demo-test")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hologram_sdk.demo", "--live"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        out = ""
        while "running until Ctrl-C" not in out and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                line = proc.stdout.readline()
                if not line:
                    break
                out += line
        found = re.search(r"Dashboard: http://127\.0\.0\.1:(\d+)/ \(log in with (.*)\)", out)
        assert found, out + proc.stderr.read() if proc.poll() is not None else out
        assert "HOLOGRAM_API_KEY" in found[2]
        assert "a-key-for-the-demo-test" not in out  # a key it was given is never printed
        conn = http.client.HTTPConnection("127.0.0.1", int(found[1]), timeout=10)
        try:
            body = urllib.parse.urlencode({"key": "a-key-for-the-demo-test"})
            conn.request("POST", "/login", body)
            answer = conn.getresponse()
            answer.read()
            assert answer.status == 303
            cookie = answer.getheader("Set-Cookie").split(";")[0]
            conn.request("GET", "/ui/messages", headers={"Cookie": cookie})
            answer = conn.getresponse()
            assert b"21.5" in answer.read()
        finally:
            conn.close()
        proc.send_signal(signal.SIGTERM)
        rest, errors = proc.communicate(timeout=30)
        assert proc.returncode == 0, errors
        assert "Stopped the local cloud" in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
