"""Location answers over a real pty: u-blox +ULOC / +UULOC and Quectel +QGPS / +QGPSLOC,
with a fix and without one (``set(location=...)``)."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
import serial

from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.modem import Fix, ModemEmulator

from .helpers import command, read_until

WHEN = dt.datetime(2026, 11, 28, 9, 54, 51, tzinfo=dt.timezone.utc)
HERE = Fix(45.7140971, 13.7409172, 266.0, 17.0, hdop=0.7, satellites=9, timestamp=WHEN)
SOUTH_WEST = Fix(-33.8688, -151.2093, 58.0, 5.0, timestamp=WHEN)


def ok(*items):
    return (b"\r\n" + b"".join(i.encode() + b"\r\n" for i in items) if items else b"") + \
        b"\r\nOK\r\n"


def pty(profile, **settings):
    emu = ModemEmulator(profile, **settings)
    emu.start()
    return emu, serial.Serial(emu.device, timeout=0.2)


@pytest.mark.parametrize("profile", ["u201", "iota", "r410"])
def test_ublox_uloc_answers_by_urc(profile):
    emu, port = pty(profile, location=HERE)
    with emu, port:
        command(port, b"ATE0;+CMEE=1")
        answer = command(port, b"AT+ULOC=2,2,0,10,10", b"17\r\n")
        assert answer == b"\r\nOK\r\n\r\n+UULOC: 28/11/2026,09:54:51.000,45.7140971," \
                         b"13.7409172,266,17\r\n"
        answer = command(port, b"AT+ULOC=2,3,1,10,10", b",0,0,0\r\n")
        assert answer == b"\r\nOK\r\n\r\n+UULOC: 28/11/2026,09:54:51.000,45.7140971," \
                         b"13.7409172,266,17,0,0,0,2,0,0,0\r\n"


@pytest.mark.parametrize("profile", ["u201", "r410"])
def test_ublox_without_a_fix_answers_zeros_when_the_timeout_runs_out(profile):
    emu, port = pty(profile, location="none")
    with emu, port:
        command(port, b"ATE0")
        started = time.monotonic()
        assert command(port, b"AT+ULOC=2,2,0,1,10") == ok()
        urc = read_until(port, b",0,0\r\n", timeout=5)
        assert time.monotonic() - started >= 0.9  # not before <timeout>
        assert re.fullmatch(rb"\r\n\+UULOC: \d\d/\d\d/\d{4},\d\d:\d\d:\d\d\.000,"
                            rb"0\.0000000,0\.0000000,0,0\r\n", urc)
        emu.set(location="41.5,-87.25,10")
        assert command(port, b"AT+ULOC=2,2,0,10,10", b",10\r\n").startswith(
            b"\r\nOK\r\n\r\n+UULOC: ")
        assert emu.location.latitude == 41.5
        assert command(port, b"AT+ULOC=2,2,5,10,10") == b"\r\nERROR\r\n"


def test_the_no_fix_urc_waits_for_command_state():
    with ModemEmulator("u201", location="none") as emu:
        emu.feed(b"ATE0;+CMGF=1\r")
        assert emu.feed(b"AT+ULOC=2,2,1,1,10\r") == b"\r\nOK\r\n"
        assert emu.feed(b'AT+CMGS="5550100"\r') == b"\r\n> "
        time.sleep(1.1)
        assert emu.feed(b"") == b""  # held while the text is being typed
        answer = emu.feed(b"x\x1a")
        assert answer.startswith(b"\r\n+CMGS: 0\r\n\r\nOK\r\n\r\n+UULOC: ")
        assert answer.endswith(b",0.0000000,0.0000000,0,0,0,0,0,0,0,0,0\r\n")


@pytest.mark.parametrize("profile", ["bg96", "ec25"])
def test_quectel_gnss_session(profile):
    emu, port = pty(profile, location=HERE)
    with emu, port:
        command(port, b"ATE0;+CMEE=1")
        assert command(port, b"AT+QGPSLOC=2") == b"\r\n+CME ERROR: 505\r\n"  # GNSS off
        assert command(port, b"AT+QGPS?") == ok("+QGPS: 0")
        assert command(port, b"AT+QGPS=1") == ok()
        assert emu.gnss_on
        assert command(port, b"AT+QGPS=1") == b"\r\n+CME ERROR: 504\r\n"
        assert command(port, b"AT+QGPSLOC=2") == ok(
            "+QGPSLOC: 095451.000,45.71410,13.74092,0.7,266.0,3,0.00,0.0,0.0,281126,09")
        assert command(port, b"AT+QGPSLOC=0") == ok(
            "+QGPSLOC: 095451.000,4542.8458N,01344.4550E,0.7,266.0,3,0.00,0.0,0.0,281126,09")
        emu.set(location=SOUTH_WEST)
        assert command(port, b"AT+QGPSLOC=1") == ok(
            "+QGPSLOC: 095451.000,3352.128000S,15112.558000W,1.0,58.0,3,0.00,0.0,0.0,281126,08")
        emu.set(location="none")
        assert command(port, b"AT+QGPSLOC=2") == b"\r\n+CME ERROR: 516\r\n"
        assert command(port, b"AT+CMEE=2") == ok()
        assert command(port, b"AT+QGPSLOC=2") == b"\r\n+CME ERROR: Not fixed now\r\n"
        assert command(port, b"AT+QGPSEND") == ok()
        assert command(port, b"AT+QGPSEND") == b"\r\n+CME ERROR: Session not active\r\n"


def test_ec21_has_no_gnss_and_u201_no_qgps():
    for profile, line in (("ec21", b"AT+QGPS=1"), ("u201", b"AT+QGPS=1"),
                          ("bg96", b"AT+ULOC=2,2,0,10,10")):
        with ModemEmulator(profile) as emu:
            assert emu.feed(line + b"\r").endswith(b"\r\nERROR\r\n")


@pytest.mark.parametrize("bad", ["north", "91,0", "1,2,3,4"])
def test_a_bad_location_is_a_typed_error(bad):
    with pytest.raises(ConfigurationError, match=r"location|latitude"):
        ModemEmulator("bg96", location=bad)
    with ModemEmulator("bg96") as emu, pytest.raises(ConfigurationError):
        emu.set(location=bad)
