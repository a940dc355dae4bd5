"""The README checked against behaviour: its quick start (the server line and the
"Send a message" block), the reference scripts' lines and the CLI table, run as
written against a local cloud (only ports, paths and the receive timeout rewritten)."""

import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from tests.cli.util import BIN, Proc, run
from tests.support.net import free_port

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def blocks(lang, after, before):
    part = README.split(after, 1)[1].split(before, 1)[0]
    return re.findall(rf"```{lang}\n(.*?)```", part, re.S)


def command(line):
    """A README shell line as argv: `hologram...` from this venv, the comment dropped."""
    words = shlex.split(line, comments=True)
    return [str(BIN / words[0]), *words[1:]]


def test_quick_start_and_reference_scripts(env, tmp_path):
    server_line = blocks("sh", "## The API in five minutes", "### Send a message")[0].strip()
    port = free_port()
    line = server_line.replace("9999", str(port)).replace("/tmp/cloud.db", str(tmp_path / "c.db"))
    server = Proc(command(line), env)
    try:
        server.wait_for(rf"listening on 127\.0\.0\.1:{port}")
        python = blocks("python", "### Send a message", "### Send an SMS")[0]
        done = subprocess.run([sys.executable, "-c", python.replace("9999", str(port))],
                              capture_output=True, text=True, timeout=60, env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout == "0\nMessage sent successfully\n"

        scripts = blocks("sh", "The reference's scripts are installed", "`-t` is `--topic`")[0]
        (tmp_path / "credentials.hjson").write_text('{cloud_id: "q7zx", cloud_key: "w9vy"}')
        send, sms, receive = scripts.strip().splitlines()
        for line in (send, sms):
            done = subprocess.run(command(line.replace("9999", str(port))), cwd=tmp_path,
                                  capture_output=True, text=True, timeout=60, env=env)
            assert (done.returncode, done.stdout) == (
                0, "RESPONSE FROM CLOUD: 0 (Message sent successfully)\n"), done.stderr
        inbound = free_port()
        receiver = Proc(command(receive.replace("4010", str(inbound))), env)
        try:
            listening = False
            for _ in range(100):
                pushed = run([str(BIN / "hologram"), "push", "--port", str(inbound), "hi"], env)
                if pushed.returncode == 0:
                    listening = True
                    break
            assert listening
            receiver.wait_for("hi")
        finally:
            receiver.stop(signal.SIGINT)
    finally:
        server.stop(signal.SIGINT)
    stored = run([str(BIN / "hologram"), "messages", "--db", str(tmp_path / "c.db"), "--json"],
                 env)
    texts = [line for line in stored.stdout.splitlines()]
    assert len(texts) == 3  # the Python message, the script's message, the SMS


def test_cli_table_matches_the_parser(env):
    table = README.split("One entry point, `hologram`", 1)[1].split("\n\n`hologram` alone", 1)[0]
    rows = re.findall(r"^\| `(hologram [a-z]+)([^`]*)` \|", table, re.M)
    assert len(rows) >= 7
    for name, synopsis in rows:
        done = run([str(BIN / "hologram"), name.split()[1], "--help"], env)
        assert done.returncode == 0, name
        for flag in re.findall(r"--[a-z][a-z-]*", synopsis):
            assert re.search(rf"(^|[ ,]){flag}\b", done.stdout, re.M), (name, flag)
