"""Third-party AT clients read identity and signal from every profile: the real ``chat``
program (from ppp) on the pty, and pyserial alone through a ``sim://`` URL."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
import serial

from hologram_sdk.emulator.modem import PROFILES, ModemEmulator

CHAT = shutil.which("chat") or "/usr/sbin/chat"


def run_chat(device, *script, timeout=15):
    """chat with stdin/stdout on the tty, as pppd runs it; -e copies what the modem says
    to stderr, -s sends chat's log there too."""
    fd = os.open(device, os.O_RDWR | os.O_NOCTTY)
    try:
        return subprocess.run(
            [CHAT, "-e", "-s", "-t", "3", *script], stdin=fd, stdout=fd,
            stderr=subprocess.PIPE, timeout=timeout, check=False,
        )
    finally:
        os.close(fd)


@pytest.mark.root
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_chat_reads_identity_and_signal(profile):
    assert os.path.exists(CHAT), "install the ppp package (chat)"
    with ModemEmulator(profile, rssi=23) as emu:
        emu.start()
        done = run_chat(emu.device, "", "ATE0", "OK", "AT+CGMM", "OK", "AT+CGSN", "OK",
                        "AT+CSQ", "OK")
        transcript = done.stderr.decode("latin-1")
        assert done.returncode == 0, transcript
        assert emu.profile.model in transcript
        assert emu.imei in transcript
        assert re.search(r"\+CSQ: 23,99", transcript)
        assert emu.log == ["ATE0", "AT+CGMM", "AT+CGSN", "AT+CSQ"]


@pytest.mark.root
def test_chat_times_out_on_a_hung_modem():
    assert os.path.exists(CHAT), "install the ppp package (chat)"
    with ModemEmulator("bg96") as emu:
        emu.start()
        emu.faults.mute = True
        done = run_chat(emu.device, "", "AT", "OK")
        assert done.returncode == 3  # chat: timeout


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_pyserial_alone_reads_identity_and_signal(profile):
    """Only pyserial's own read_until on the port: no helper of ours reads the answers."""
    from hologram_sdk.modem.ports import open_port

    port = open_port(f"sim://{profile}?rssi=11", 9600, 1.0)
    try:
        assert isinstance(port, serial.SerialBase)
        port.write(b"ATE0\r")
        assert port.read_until(b"OK\r\n").endswith(b"OK\r\n")
        port.write(b"AT+CGMI;+CGMM;+CSQ\r")
        answer = port.read_until(b"OK\r\n").decode("latin-1")
        expected = [PROFILES[profile].manufacturer, PROFILES[profile].model, "+CSQ: 11,99"]
        assert [line for line in answer.split("\r\n") if line][:3] == expected
    finally:
        port.close()
