"""Controls, faults and lifecycle on the real pty and on the in-process port."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import serial

from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.modem import ModemEmulator, open_sim_port

from .helpers import command, read_until

CHAT = "/usr/sbin/chat"


def test_unplug_gives_the_pyserial_client_eof_and_the_device_vanishes():
    with ModemEmulator("e303") as emu:
        device = emu.start()
        with serial.Serial(device, timeout=1.0) as port:
            assert command(port, b"AT") == b"AT\r\r\nOK\r\n"
            started = time.monotonic()
            emu.unplug()
            with pytest.raises(serial.SerialException):
                port.read(1)
            assert time.monotonic() - started < 0.9
            with pytest.raises(serial.SerialException):
                port.write(b"AT\r")
        assert not os.path.exists(device)
        emu.unplug()


def test_unplug_mid_command():
    with ModemEmulator("iota") as emu:
        emu.start()
        emu.faults.unplug_on = "AT+CSQ"
        with serial.Serial(emu.device, timeout=2.0) as port:
            port.write(b"AT+CSQ\r")
            # pyserial: read() raises SerialException, in_waiting a bare OSError (EIO);
            # SerialException is an OSError too
            with pytest.raises(OSError):
                read_until(port, timeout=3.0)


def test_slow_answers_keep_the_echo_prompt():
    with ModemEmulator("e303") as emu:
        emu.start()
        emu.faults.delay = 0.3
        with serial.Serial(emu.device, timeout=0.1) as port:
            started = time.monotonic()
            port.write(b"AT\r")
            assert read_until(port, b"AT\r") == b"AT\r"
            assert time.monotonic() - started < 0.25
            assert read_until(port) == b"\r\nOK\r\n"
            assert time.monotonic() - started >= 0.29


def test_garbage_before_answers_over_the_pty():
    with ModemEmulator("ms2131") as emu:
        emu.start()
        emu.faults.garbage = ["^BOOT:20952548,0,0,0,72"]
        with serial.Serial(emu.device, timeout=0.2) as port:
            assert command(port, b"AT+CGMM") == (
                b"AT+CGMM\r\r\n^BOOT:20952548,0,0,0,72\r\n\r\nMS2131\r\n\r\nOK\r\n")


def test_escape_and_hang_up_over_the_pty():
    with ModemEmulator("e303", escape_guard=0.1) as emu:
        emu.start()
        with serial.Serial(emu.device, timeout=0.2) as port:
            command(port, b"ATE0")
            assert command(port, b"ATD*99***1#", b"\r\n") == b"\r\nCONNECT 7200000\r\n"
            port.write(b"\x7e\xff\x7d\x23\x7e")
            time.sleep(0.15)
            port.write(b"+++")
            assert read_until(port) == b"\r\nOK\r\n"
            assert command(port, b"ATH") == b"\r\nOK\r\n"
            assert command(port, b"AT") == b"\r\nOK\r\n"


def test_creg_urc_and_cmti_reach_the_pty():
    with ModemEmulator("iota") as emu:
        emu.start()
        with serial.Serial(emu.device, timeout=0.2) as port:
            command(port, b"ATE0;+CREG=2;+CNMI=2,1")
            emu.set(registration="searching")
            assert read_until(port, b"+CREG: 2\r\n") == b"\r\n+CREG: 2\r\n"
            emu.deliver_sms("+15555550199", "hi")
            assert read_until(port, b'"ME",1\r\n') == b'\r\n+CMTI: "ME",1\r\n'


def test_sim_port_is_pyserial_like():
    with open_sim_port("sim://iota?sim=absent&rssi=5", timeout=0.5) as port:
        assert port.port == "sim://iota"
        assert command(port, b"ATE0;+CMEE=2") == b"ATE0;+CMEE=2\r\r\nOK\r\n"
        assert command(port, b"AT+CPIN?") == b"\r\n+CME ERROR: SIM not inserted\r\n"
        assert command(port, b"AT+CSQ") == b"\r\n+CSQ: 5,99\r\n\r\nOK\r\n"
        port.emulator.set(sim="ready")
        port.write(b"AT+CIMI\r")
        assert port.readline() == b"\r\n"
        assert port.readline() == b"001010123456789\r\n"
        time.sleep(0.05)
        assert port.in_waiting == 6
        port.reset_input_buffer()
        assert port.in_waiting == 0
        port.timeout = 0.05
        assert port.read(10) == b""
        port.emulator.unplug()
        with pytest.raises(serial.SerialException):
            port.read(1)
    assert not port.is_open
    port.close()


def test_open_port_leaves_the_emulator_to_its_owner():
    with ModemEmulator("e303") as emu:
        with emu.open_port(timeout=0.5) as port:
            assert command(port, b"AT") == b"AT\r\r\nOK\r\n"
        with pytest.raises(ConfigurationError):
            emu.start()
        with pytest.raises(ConfigurationError):
            emu.feed(b"AT\r")


def test_sim_port_bad_url():
    with pytest.raises(ConfigurationError):
        open_sim_port("sim://nokia")
    with pytest.raises(ConfigurationError):
        open_sim_port("sim://e303?color=blue")
    with pytest.raises(ConfigurationError):
        open_sim_port("sim://e303?rssi=high")


# In CI (CI=true, root, ppp installed by .ci/run) a missing chat is a failure.
NEEDS_CHAT = pytest.mark.skipif(
    not os.access(CHAT, os.X_OK) and not os.environ.get("CI"),
    reason="needs /usr/sbin/chat: apt-get install ppp (make test does it as root)",
)


def _chat(device, *script):
    fd = os.open(device, os.O_RDWR | os.O_NOCTTY)
    try:
        return subprocess.run([CHAT, "-v", "-s", "-t", "3", *script], stdin=fd, stdout=fd,
                              stderr=subprocess.PIPE, timeout=20)
    finally:
        os.close(fd)


@NEEDS_CHAT
def test_real_chat_connects():
    with ModemEmulator("e303") as emu:
        emu.start()
        result = _chat(emu.device, "", "AT", "OK", "ATDT*99***1#", "CONNECT", "")
        assert result.returncode == 0, result.stderr
        assert b"CONNECT" in result.stderr
        assert emu.in_data_mode
        assert emu.log == ["AT", "ATDT*99***1#"]


@NEEDS_CHAT
def test_real_chat_aborts_on_busy():
    with ModemEmulator("iota") as emu:
        emu.start()
        emu.faults.dial_result = "BUSY"
        result = _chat(emu.device, "ABORT", "BUSY", "ABORT", "NO CARRIER", "", "AT", "OK",
                       "ATDT*99***1#", "CONNECT")
        assert result.returncode == 4, result.stderr
        assert b"Failed (BUSY)" in result.stderr
        emu.faults.dial_result = "NO CARRIER"
        result = _chat(emu.device, "ABORT", "BUSY", "ABORT", "NO CARRIER", "", "AT", "OK",
                       "ATDT*99***1#", "CONNECT")
        assert result.returncode == 5, result.stderr


def test_cli_emulate_modem_subprocess(tmp_path):
    link = tmp_path / "ttyEMU"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hologram_sdk", "emulate", "modem", "--profile", "iota",
         "--link", str(link), "--rssi", "7", "--sim", "pin", "--rat", "lte"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        device = proc.stdout.readline().decode().strip()
        assert device.startswith("/dev/pts/")
        assert os.readlink(link) == device
        with serial.Serial(str(link), timeout=0.2) as port:
            assert command(port, b"ATE0;+CMEE=1") == b"ATE0;+CMEE=1\r\r\nOK\r\n"
            assert command(port, b"AT+CSQ") == b"\r\n+CSQ: 7,99\r\n\r\nOK\r\n"
            assert command(port, b"AT+CPIN?") == b"\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"
            assert command(port, b"ATI") == b"\r\nSARA-U201-03B-00\r\n\r\nOK\r\n"
            # --rat lte: +CEREG is known (not registered while the SIM wants its PIN)
            assert command(port, b"AT+CEREG?") == b"\r\n+CEREG: 0,0\r\n\r\nOK\r\n"
        proc.terminate()
        assert proc.wait(timeout=10) == 0
        assert not link.exists() and not os.path.lexists(link)
        assert not os.path.exists(device)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_cli_rejects_bad_values(capsys):
    from hologram_sdk.cli import main

    assert main(["emulate", "modem", "--registration", "sideways"]) == 2
    assert "registration" in capsys.readouterr().err


def test_cli_emulate_modem_quectel_profile_with_no_fix(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "hologram_sdk", "emulate", "modem", "--profile", "bg96",
         "--rat", "nbiot", "--location", "none"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        device = proc.stdout.readline().decode().strip()
        assert device.startswith("/dev/pts/")
        with serial.Serial(device, timeout=0.2) as port:
            assert command(port, b"ATE0;+CMEE=1") == b"ATE0;+CMEE=1\r\r\nOK\r\n"
            assert command(port, b"AT+CGMM") == b"\r\nBG96\r\n\r\nOK\r\n"
            assert command(port, b"AT+CEREG=2;+CEREG?") == (
                b'\r\n+CEREG: 2,1,"00C3","0000A1B2",9\r\n\r\nOK\r\n')
            assert command(port, b"AT+QGPS=1;+QGPSLOC=2") == b"\r\n+CME ERROR: 516\r\n"
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_cli_rejects_a_radio_the_profile_lacks(capsys):
    from hologram_sdk.cli import main

    assert main(["emulate", "modem", "--profile", "r410", "--rat", "utran"]) == 2
    assert "registers on lte, nbiot" in capsys.readouterr().err
