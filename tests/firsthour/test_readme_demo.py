"""Issue 14, items 4-6: the README and the demo tell a new user what really happens."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_readme_says_how_to_get_hologram_on_path():
    top = README.split("## The API in five minutes")[0]
    assert "source .venv/bin/activate" in top and ".venv/bin/hologram" in top


def test_readme_says_an_unreachable_cloud_queues_by_default():
    send = README.split("### Send a message")[1].split("### Send an SMS")[0]
    assert "ERR_QUEUED" in send and "outbox=False" in send
    assert send.index("ERR_QUEUED") < send.index("CloudConnectionError")


def test_demo_cli_lines_run_as_printed(tmp_path):
    """Every `$ ...` line the demo prints, run in a shell against a live local cloud."""
    from hologram_sdk.emulator.cloud import LocalCloud

    out = subprocess.run([sys.executable, "-m", "hologram_sdk.demo"], capture_output=True,
                         text=True, timeout=120).stdout
    lines = [m.group(1) for m in re.finditer(r"^  \$ (.*)$", out, re.M)]
    assert lines[0].startswith("export HOLOGRAM_CLOUD_ID=")
    with LocalCloud(port=0, db=tmp_path / "cloud.db") as cloud:
        script = "\n".join(
            re.sub(r"--port \d+", f"--port {cloud.port}", line).replace(
                "hologram ", f"{shlex.quote(sys.executable)} -m hologram_sdk ", 1)
            for line in lines)
        done = subprocess.run(["sh", "-ec", script], capture_output=True, text=True,
                              timeout=60, env={"PATH": "/usr/bin:/bin",
                                               "XDG_STATE_HOME": str(tmp_path)})
        assert done.returncode == 0, done.stderr
        assert [m.data for m in cloud.messages()] == ["hello from the CLI"]
        assert [s.text for s in cloud.sms()] == ["Hello from the CLI"]


def test_readme_documents_consume_and_sms_events():
    assert "glued together with no separator" in README
    assert "`message.sent` fires for\n`sendMessage`" in README
