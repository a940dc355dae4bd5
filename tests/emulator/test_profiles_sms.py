"""SMS in text and PDU mode on each round-2 profile, both directions, over a real pty."""

from __future__ import annotations

import datetime as dt

import pytest
import serial

from hologram_sdk.emulator.modem import PROFILES, ModemEmulator
from hologram_sdk.modem import pdu

from .helpers import command, read_until

WHEN = dt.datetime(2026, 11, 28, 8, 30, 0, tzinfo=dt.timezone.utc)
NEW = ["u201", "r410", "r404", "bg96", "ec21", "ec25", "e372"]


@pytest.fixture(params=NEW)
def modem(request):
    with ModemEmulator(request.param) as emu:
        emu.start()
        with serial.Serial(emu.device, timeout=0.2) as port:
            command(port, b"ATE0;+CMEE=1" + (b";^CURC=0" if request.param == "e372" else b""))
            yield emu, port


def test_text_mode_both_ways(modem):
    emu, port = modem
    assert command(port, b"AT+CMGF=1;+CNMI=2,1,0,0,0") == b"\r\nOK\r\n"
    assert command(port, b'AT+CMGS="+15555550100"') == b"\r\n> "
    port.write(b"Hello from the device\x1a")
    assert read_until(port) == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    sent = emu.sent_sms[-1]
    assert (sent.number, sent.text, sent.mode) == ("+15555550100", "Hello from the device", "text")
    index = emu.deliver_sms("+15555550199", "Hi device", timestamp=WHEN)
    assert index == PROFILES[emu.profile.name].first_sms_index
    cmti = f'\r\n+CMTI: "ME",{index}\r\n'.encode()
    assert read_until(port, cmti) == cmti
    assert command(port, f"AT+CMGR={index}".encode()) == (
        b'\r\n+CMGR: "REC UNREAD","+15555550199",,"26/11/28,08:30:00+00"\r\n'
        b"Hi device\r\n\r\nOK\r\n")
    assert command(port, f"AT+CMGD={index}".encode()) == b"\r\nOK\r\n"
    assert emu.stored_sms == {}


def test_pdu_mode_both_ways(modem):
    emu, port = modem
    assert command(port, b"AT+CMGF=0") == b"\r\nOK\r\n"
    encoded = pdu.encode_submit("+15555550100", "Zürich €")
    assert command(port, f"AT+CMGS={encoded.tpdu_length}".encode()) == b"\r\n> "
    port.write(encoded.hex.encode() + b"\x1a")
    assert read_until(port) == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    assert (emu.sent_sms[-1].text, emu.sent_sms[-1].pdu) == ("Zürich €", encoded.hex)
    index = emu.deliver_sms("+15555550199", "pdu in", timestamp=WHEN)
    answer = command(port, f"AT+CMGR={index}".encode())
    header, hex_pdu = answer.split(b"\r\n")[1:3]
    assert header.startswith(b"+CMGR: 0,,")
    deliver = pdu.decode_deliver(hex_pdu.decode())
    assert (deliver.sender, deliver.text) == ("+15555550199", "pdu in")


def test_sms_fault_and_no_network(modem):
    emu, port = modem
    command(port, b"AT+CMGF=1")
    emu.faults.sms_error = 500
    assert command(port, b'AT+CMGS="5550100"') == b"\r\n> "
    port.write(b"x\x1a")
    assert read_until(port) == b"\r\n+CMS ERROR: 500\r\n"
    emu.faults.sms_error = None
    emu.set(registration="denied")
    command(port, b'AT+CMGS="5550100"')
    port.write(b"x\x1a")
    assert read_until(port) == b"\r\n+CMS ERROR: 331\r\n"
    emu.set(sim="absent")
    assert command(port, b"AT+CMGL") == b"\r\n+CMS ERROR: 310\r\n"
