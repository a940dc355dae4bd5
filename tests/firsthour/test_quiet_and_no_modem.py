"""Issue 14, items 7 and 8: without --verbose a failing command prints its one
error line and nothing else; no modem is reported the same way by `hologram
modem` and `hologram network` (exit 1, no modem assumed on /dev/ttyUSB0)."""

import json
import subprocess
import sys

from tests.cli.util import HOLOGRAM, run


def test_a_failing_connect_prints_one_line_without_verbose(env, tmp_path):
    cmd = [*HOLOGRAM, "network", "--interface", "cellular-iota", "--mode", "serial",
           "--port", str(tmp_path / "no-such-tty"), "--state-dir", str(tmp_path), "connect",
           "--timeout", "3"]
    quiet = run(cmd, env)
    assert quiet.returncode == 1, quiet
    lines = quiet.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hologram network: "), quiet.stderr
    assert "WARNING" not in quiet.stderr
    loud = run([*HOLOGRAM, "--verbose", *cmd[len(HOLOGRAM):]], env)
    assert loud.returncode == 1
    assert "WARNING:Cellular:Cannot connect" in loud.stderr  # the SDK's log line, then the error


def test_network_status_without_a_modem_is_an_error(env, tmp_path):
    done = run([*HOLOGRAM, "network", "--state-dir", str(tmp_path), "status"], env)
    modem = run([*HOLOGRAM, "modem", "info"], env)
    if modem.returncode == 0:  # a real modem is plugged in: nothing to compare
        return
    assert done.returncode == 1, done
    assert "/dev/ttyUSB0" not in done.stdout + done.stderr
    assert done.stderr.strip().splitlines()[-1].endswith(modem.stderr.strip().split(": ", 1)[1])


def test_network_status_of_a_modem_that_does_not_answer_exits_1(env, tmp_path):
    missing = str(tmp_path / "ttyUSB9")
    done = run([*HOLOGRAM, "network", "--interface", "cellular-e303", "--port", missing,
                "--state-dir", str(tmp_path), "status", "--json"], env)
    assert done.returncode == 1, done
    assert json.loads(done.stdout)["modem"].startswith("not answering")


def test_profile_help_says_what_it_does():
    done = subprocess.run([sys.executable, "-m", "hologram_sdk", "modem", "--help"],
                          capture_output=True, text=True, timeout=30)
    text = " ".join(done.stdout.split())
    assert "without --port" in text and "/dev/ttyACM0" in text


def test_quiet_cli_logging_leaves_other_handlers_their_errors(capsys):
    import logging

    from hologram_sdk.cli import configure_logging

    class Recorder(logging.Handler):  # an application's (or pytest's) own handler
        def __init__(self):
            super().__init__()
            self.got = []

        def emit(self, record):
            self.got.append(record.getMessage())

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    recorder = Recorder()
    try:
        configure_logging(False)
        root.addHandler(recorder)
        logging.getLogger("hologram_sdk.somewhere").error("boom")
    finally:
        root.handlers[:], root.level = handlers, level
    assert recorder.got == ["boom"]
    assert "boom" not in capsys.readouterr().err  # the CLI's stderr handler drops it
