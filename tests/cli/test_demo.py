"""``make demo`` runs ``python -m hologram_sdk.demo``: it must work and show what happened."""

import sys

from tests.cli.util import run


def test_demo_runs_and_prints_what_was_stored_and_received(env):
    result = run([sys.executable, "-m", "hologram_sdk.demo"], env, timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "sendMessage('21.5', topics=['TEMP', 'KITCHEN']) -> 0" in out
    assert "RESPONSE FROM CLOUD: 0" in out
    assert "the device received: 'turn the fan on'" in out
    assert "TEMP,KITCHEN  21.5" in out
    assert "hello from the CLI" in out and "Hello from Python" in out
    assert "Dashboard: http://127.0.0.1:" in out  # the web dashboard's address
    shown = "\n".join(line for line in out.splitlines() if "hologram-demo-" not in line)
    assert "d3mo" not in shown and "k3y5" not in shown  # credentials are never printed
