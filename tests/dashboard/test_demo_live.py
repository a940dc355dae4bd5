"""``make demo-live``: the demo keeps its local cloud and dashboard up until SIGTERM."""

from __future__ import annotations

import http.client
import re
import signal
import subprocess
import sys
import urllib.parse

from tests.cli.util import clean_env

from .util import Lines


def test_demo_live_serves_the_dashboard_until_sigterm(tmp_path):
    env = clean_env(tmp_path, HOLOGRAM_API_KEY="a-key-for-the-demo-test")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hologram_sdk.demo", "--live"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = Lines(proc.stdout)
    try:
        out = lines.until("running until Ctrl-C", 45)
        found = re.search(r"Dashboard: http://127\.0\.0\.1:(\d+)/ \(log in with (.*)\)", out)
        assert found, out
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
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
        assert "Stopped the local cloud" in lines.until("Stopped", 10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        lines.join()
        proc.stdout.close()
        proc.stderr.close()
