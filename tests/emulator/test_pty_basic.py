"""The emulator on a real pty, driven by pyserial: basic 27.007 answers byte for byte."""

from __future__ import annotations

import os

import pytest
import serial

from hologram_sdk.emulator.modem import ModemEmulator

from .helpers import command, read_until


@pytest.fixture
def modem():
    with ModemEmulator("e303") as emu:
        emu.start()
        with serial.Serial(emu.device, timeout=0.2) as port:
            yield emu, port


def test_device_is_a_real_pty(modem):
    emu, _port = modem
    assert emu.device.startswith("/dev/pts/")
    assert os.isatty(_port.fileno())


def test_echo_on_by_default_includes_the_cr(modem):
    _emu, port = modem
    assert command(port, b"AT") == b"AT\r\r\nOK\r\n"
    assert command(port, b"AT+CSQ") == b"AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n"


def test_ate0_is_echoed_then_echo_stops(modem):
    _emu, port = modem
    assert command(port, b"ATE0") == b"ATE0\r\r\nOK\r\n"
    assert command(port, b"AT") == b"\r\nOK\r\n"


def test_crlf_terminator_does_not_echo_the_lf(modem):
    _emu, port = modem
    port.write(b"AT\r\n")
    assert read_until(port) == b"AT\r\r\nOK\r\n"
    port.write(b"ATE0\r\n")
    assert read_until(port) == b"ATE0\r\r\nOK\r\n"
    port.write(b"AT+CPIN?\r\n")
    assert read_until(port) == b"\r\n+CPIN: READY\r\n\r\nOK\r\n"


def test_command_written_one_byte_at_a_time(modem):
    _emu, port = modem
    command(port, b"ATE0")
    for byte in b"AT+CGSN\r":
        port.write(bytes([byte]))
        port.flush()
    assert read_until(port) == b"\r\n351234567890124\r\n\r\nOK\r\n"


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        (b"AT+CREG?", b"\r\n+CREG: 0,1\r\n\r\nOK\r\n"),
        (b"AT+COPS?", b'\r\n+COPS: 0,0,"Test Network",2\r\n\r\nOK\r\n'),
        (b"AT+CIMI", b"\r\n001010123456789\r\n\r\nOK\r\n"),
        (b"AT+CCID", b"\r\n+CCID: 8910010123456789015F\r\n\r\nOK\r\n"),
        (b"AT+CGMI", b"\r\nhuawei\r\n\r\nOK\r\n"),
        (b"AT+CGMM", b"\r\nE303\r\n\r\nOK\r\n"),
        (b"AT+NOSUCH", b"\r\nERROR\r\n"),
    ],
)
def test_basic_answers(modem, line, answer):
    _emu, port = modem
    command(port, b"ATE0")
    assert command(port, line) == answer


def test_dial_connects_and_swallows_the_stray_cr(modem):
    emu, port = modem
    command(port, b"ATE0")
    assert command(port, b"ATDT*99***1#", b"\r\n") == b"\r\nCONNECT 7200000\r\n"
    port.write(b"\r")
    assert emu.hang_up() is True
    assert read_until(port) == b"\r\nNO CARRIER\r\n"
    assert command(port, b"AT") == b"\r\nOK\r\n"
    assert emu.log == ["ATE0", "ATDT*99***1#", "AT"]
