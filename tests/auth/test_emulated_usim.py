"""The emulated USIM over AT+CSIM and the clock over AT+CCLK, on a real pty;
``hologram emulate modem --ki --opc`` as a real process."""

from __future__ import annotations

import datetime
import subprocess
import sys
import time

import pytest
import serial

from hologram_sdk.emulator.modem import ModemEmulator
from hologram_sdk.emulator.usim import Usim
from hologram_sdk.errors import ConfigurationError, SIMAuthenticationError, SIMNotInsertedError
from hologram_sdk.modem.simauth import csim, read_clock, sim_authenticate
from tests.auth.support import KI, OPC, emulated, emulated_modem

RAND1 = bytes.fromhex("23553cbe9637a89d218ae64dae47bf35")  # TS 55.205 test set 1
# TS 35.208 / 55.205 test set 3 (K fec86b..., OPc 100602...)
KI3, OPC3 = "fec86ba6eb707ed08905757b1bb44b8f", "1006020f0a478bf6b699f15c062e42b3"
RAND3 = bytes.fromhex("9f7c8d021accf4db213ccff0c7f71a6a")


def test_authenticate_over_csim_matches_the_published_gsm_values():
    with emulated_modem() as modem:  # the default SIM: test set 1
        assert sim_authenticate(modem, RAND1) == (
            bytes.fromhex("46f8416a"),
            bytes.fromhex("eae4be823af9a08b"),
        )
    with emulated_modem(ki=KI3, opc=OPC3) as modem:
        assert sim_authenticate(modem, RAND3) == (
            bytes.fromhex("8c308a5e"),
            bytes.fromhex("aa01739b8caa976d"),
        )


@pytest.mark.parametrize(
    ("apdu", "status"),
    [
        ("00A4000C023F00", "6D00"),  # SELECT: not emulated
        ("80880080111023553CBE9637A89D218AE64DAE47BF3500", "6E00"),  # wrong class
        ("00880081111023553CBE9637A89D218AE64DAE47BF3500", "6A86"),  # 3G context
        ("0088008011", "6700"),  # no RAND
    ],
)
def test_other_apdus_get_the_status_word_a_card_gives(apdu, status):
    with emulated_modem() as modem:
        assert csim(modem, apdu) == ("", status)


def test_a_locked_or_missing_sim():
    with emulated(sim="pin") as (_emu, modem):
        with pytest.raises(SIMAuthenticationError, match="6982") as info:
            sim_authenticate(modem, RAND1)
        assert info.value.status_word == "6982"
    with emulated(sim="absent") as (_emu, modem):
        with pytest.raises(SIMNotInsertedError):
            sim_authenticate(modem, RAND1)


def test_csim_syntax_errors_are_error():
    with emulated() as (_emu, modem):
        from hologram_sdk.errors import ATCommandError

        for line in ('AT+CSIM=4,"00A4000C023F00"', 'AT+CSIM=3,"00A"', "AT+CSIM=46"):
            with pytest.raises(ATCommandError):
                modem.command(line)


def _at(seconds: float):
    return lambda: datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)


def test_read_clock_reads_the_modem_rtc():
    with emulated(clock=_at(1_800_000_000)) as (_emu, modem):
        assert read_clock(modem) == 1_800_000_000.0
        modem.command('AT+CCLK="30/01/02,03:04:05+08"')  # +08 quarter hours = UTC+2
        assert read_clock(modem) == 1_893_553_445.0 - 7200


def test_bad_keys_are_refused_without_showing_them():
    with pytest.raises(ConfigurationError, match="ki must be 32 hex digits") as info:
        ModemEmulator("e303", ki="465b5ce8b199b49f")
    assert "465b" not in str(info.value)
    with pytest.raises(ConfigurationError, match="opc"):
        Usim(KI, "zz" * 16)
    assert KI not in repr(Usim(KI, OPC))


def test_cli_emulate_modem_with_ki_and_opc(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "hologram_sdk", "emulate", "modem", "--ki", KI3, "--opc", OPC3],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        device = proc.stdout.readline().decode().strip()
        assert device.startswith("/dev/pts/")
        apdu = "008800801110" + RAND3.hex().upper() + "00"
        with serial.Serial(device, timeout=0.2) as port:
            port.write(f'AT+CSIM=46,"{apdu}"\r'.encode())
            answer = b""
            deadline = time.monotonic() + 10
            while b"OK\r\n" not in answer and time.monotonic() < deadline:
                answer += port.read(256)
        assert b'+CSIM: 32,"048C308A5E08AA01739B8CAA976D9000"' in answer
        proc.terminate()
        assert proc.wait(timeout=10) == 0
        assert KI3 not in proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
