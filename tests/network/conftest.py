"""Fixtures for the network tests: the modem emulator on a pty, chat script
copies, and the pppd test double wrapped as an executable."""

import os
import shutil
import stat
import sys

import pytest

from hologram_sdk.emulator.modem import Faults
from hologram_sdk.network.pppd import default_chat_script

DOUBLE = os.path.join(os.path.dirname(__file__), "pppd_double.py")
CHAT = "/usr/sbin/chat"
#: the emulator's +++ guard time, and the double's when it hangs up: short, for speed
GUARD = 0.05


def require_chat():
    """chat comes with the ppp package; tests that need it fail without it."""
    assert shutil.which("chat") or os.path.exists(CHAT), "install the ppp package"


@pytest.fixture
def emulator(make_emulator):
    """Factory: ``emulator(profile, dial_result=..., **settings)`` -> a started emulator."""

    def make(profile="e303", *, dial_result="CONNECT", escape_guard=GUARD, **settings):
        return make_emulator(profile, faults=Faults(dial_result=dial_result),
                             escape_guard=escape_guard, **settings)

    return make


@pytest.fixture
def short_timeout_script(tmp_path):
    """Factory: a copy of the shipped chat script with ``TIMEOUT <seconds>``."""

    def make(seconds=1):
        with open(default_chat_script()) as f:
            text = f.read()
        assert "TIMEOUT 12" in text
        path = tmp_path / f"script-timeout-{seconds}"
        path.write_text(text.replace("TIMEOUT 12", f"TIMEOUT {seconds}"))
        path.chmod(0o755)
        return str(path)

    return make


@pytest.fixture
def pppd_double(tmp_path):
    """Factory: path of an executable that runs the pppd TEST DOUBLE with options.

    ``pppd_double(mode="up", local=..., remote=..., ignore_term=True, ...)``;
    see tests/network/pppd_double.py for the options.
    """
    count = 0

    def make(**options):
        nonlocal count
        options.setdefault("escape_guard", GUARD)
        count += 1
        words = []
        for key, value in options.items():
            key = key.replace("_", "-")
            words.append(f"--{key}" if value is True else f"--{key}={value}")
        path = tmp_path / f"pppd_double_{count}"
        path.write_text(
            "#!/bin/sh\n"
            f"exec '{sys.executable}' '{DOUBLE}' {' '.join(words)} -- \"$@\"\n"
        )
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        return str(path)

    return make
