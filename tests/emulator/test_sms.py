"""27.005 SMS in the emulator: text and PDU mode, both directions, +CMTI."""

from __future__ import annotations

import datetime as dt

import pytest
import serial

from hologram_sdk.emulator.modem import Faults, ModemEmulator
from hologram_sdk.modem import pdu

from .helpers import command, read_until

WHEN = dt.datetime(2024, 1, 13, 12, 34, 56, tzinfo=dt.timezone.utc)


@pytest.fixture
def emu():
    with ModemEmulator("e303") as modem:
        modem.feed(b"ATE0;+CMEE=2\r")
        yield modem


def test_text_mode_send_exact_exchange(emu):
    assert emu.feed(b"ATE1;+CMGF=1\r") == b"\r\nOK\r\n"  # echo back on from here
    assert emu.feed(b'AT+CMGS="+15555550100"\r\n') == b'AT+CMGS="+15555550100"\r\r\n> '
    assert emu.feed(b"Hello world\x1a") == b"Hello world\r\n+CMGS: 0\r\n\r\nOK\r\n"
    sent = emu.sent_sms[-1]
    assert (sent.number, sent.text, sent.mode, sent.reference) == (
        "+15555550100", "Hello world", "text", 0)


def test_text_mode_cr_gives_another_prompt_and_stays_in_the_text(emu):
    emu.feed(b"AT+CMGF=1\r")
    emu.feed(b'AT+CMGS="5550100"\r')
    assert emu.feed(b"Hi\r") == b"\r\n> "
    assert emu.feed(b"\x1a") == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    assert emu.sent_sms[-1].text == "Hi\r"
    assert emu.sent_sms[-1].number == "5550100"


def test_escape_cancels_the_message(emu):
    emu.feed(b"AT+CMGF=1\r")
    emu.feed(b'AT+CMGS="+15555550100"\r')
    assert emu.feed(b"never\x1b") == b"\r\nOK\r\n"
    assert emu.sent_sms == []


def test_ucs2_text_mode(emu):
    emu.feed(b'AT+CMGF=1;+CSCS="UCS2"\r')
    number = pdu.encode_ucs2_hex("+15555550100").encode()
    assert emu.feed(b'AT+CMGS="' + number + b'"\r') == b"\r\n> "
    emu.feed(pdu.encode_ucs2_hex("Привет €").encode() + b"\x1a")
    sent = emu.sent_sms[-1]
    assert (sent.number, sent.text, sent.encoding) == ("+15555550100", "Привет €",
                                                      pdu.Encoding.UCS2)


def test_pdu_mode_send(emu):
    encoded = pdu.encode_submit("+15555550100", "Hello")
    assert emu.feed(f"AT+CMGS={encoded.tpdu_length}\r".encode()) == b"\r\n> "
    answer = emu.feed(encoded.hex.encode() + b"\x1a")
    assert answer == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    sent = emu.sent_sms[-1]
    assert (sent.number, sent.text, sent.mode, sent.pdu) == (
        "+15555550100", "Hello", "pdu", encoded.hex)
    ucs2 = pdu.encode_submit("+447700900123", "日本語のテキスト", smsc="+447700900000")
    emu.feed(f"AT+CMGS={ucs2.tpdu_length}\r".encode())
    assert emu.feed(ucs2.hex.encode() + b"\x1a").endswith(b"+CMGS: 1\r\n\r\nOK\r\n")
    assert emu.sent_sms[-1].text == "日本語のテキスト"


def test_pdu_length_mismatch_and_garbage_are_cms_304(emu):
    encoded = pdu.encode_submit("+15555550100", "Hello")
    emu.feed(f"AT+CMGS={encoded.tpdu_length + 1}\r".encode())
    assert emu.feed(encoded.hex.encode() + b"\x1a").endswith(b"\r\n+CMS ERROR: 304\r\n")
    emu.feed(b"AT+CMGS=5\r")
    assert emu.feed(b"ZZ\x1a").endswith(b"\r\n+CMS ERROR: 304\r\n")
    assert emu.sent_sms == []


def test_send_failures():
    with ModemEmulator("e303", registration="searching") as emu:
        emu.feed(b"ATE0;+CMGF=1\r")
        emu.feed(b'AT+CMGS="+15555550100"\r')
        assert emu.feed(b"x\x1a") == b"\r\n+CMS ERROR: 331\r\n"
    with ModemEmulator("e303", faults=Faults(sms_error=500)) as emu:
        emu.feed(b"ATE0;+CMGF=1\r")
        emu.feed(b'AT+CMGS="+15555550100"\r')
        assert emu.feed(b"x\x1a") == b"\r\n+CMS ERROR: 500\r\n"
    with ModemEmulator("e303", sim="absent") as emu:
        emu.feed(b"ATE0;+CMGF=1\r")
        assert emu.feed(b'AT+CMGS="+15555550100"\r') == b"\r\n+CMS ERROR: 310\r\n"
        assert emu.feed(b"AT+CMGL\r") == b"\r\n+CMS ERROR: 310\r\n"


def test_cmti_only_when_cnmi_asks(emu):
    assert emu.deliver_sms("+15555550199", "quiet", timestamp=WHEN) == 0
    assert emu.feed(b"") == b""
    emu.feed(b"AT+CNMI=2,1\r")
    assert emu.deliver_sms("+15555550199", "loud", timestamp=WHEN) == 1
    assert emu.feed(b"") == b'\r\n+CMTI: "ME",1\r\n'
    emu.feed(b'AT+CPMS="SM","SM","SM"\r')
    emu.deliver_sms("+15555550199", "sim", timestamp=WHEN)
    assert emu.feed(b"") == b'\r\n+CMTI: "SM",2\r\n'


def test_iota_indexes_start_at_one():
    with ModemEmulator("iota") as emu:
        emu.feed(b"ATE0;+CNMI=2,1\r")
        emu.deliver_sms("+15555550199", "hi", timestamp=WHEN)
        assert emu.feed(b"") == b'\r\n+CMTI: "ME",1\r\n'


def test_read_in_text_mode_marks_read(emu):
    emu.deliver_sms("+15555550199", "Hi there", timestamp=WHEN)
    emu.feed(b"AT+CMGF=1\r")
    assert emu.feed(b"AT+CMGR=0\r") == (
        b'\r\n+CMGR: "REC UNREAD","+15555550199",,"24/01/13,12:34:56+00"\r\nHi there\r\n'
        b"\r\nOK\r\n"
    )
    assert emu.feed(b"AT+CMGR=0\r").startswith(b'\r\n+CMGR: "REC READ"')
    assert emu.feed(b"AT+CMGR=5\r") == b"\r\n+CMS ERROR: 321\r\n"
    assert emu.feed(b"AT+CMGR=99\r") == b"\r\n+CMS ERROR: 321\r\n"


def test_read_in_text_mode_with_csdh(emu):
    emu.deliver_sms("+15555550199", "Hi", timestamp=WHEN)
    assert emu.feed(b"AT+CMGF=1;+CSDH=1;+CMGR=0\r") == (
        b'\r\n+CMGR: "REC UNREAD","+15555550199",,"24/01/13,12:34:56+00",145,4,0,0,'
        b'"+15555550000",145,2\r\nHi\r\n\r\nOK\r\n'
    )


def test_read_in_pdu_mode_is_the_facts_worked_example(emu):
    emu.deliver_sms("+15555550199", "Hi there", timestamp=WHEN)
    assert emu.feed(b"AT+CMGR=0\r") == (
        b"\r\n+CMGR: 0,,26\r\n"
        b"07915155550500F0040B915155550591F900004210312143650008C834888E2ECBCB\r\n\r\nOK\r\n"
    )


def test_list_text_and_pdu_then_delete(emu):
    emu.deliver_sms("+15555550199", "one", timestamp=WHEN)
    emu.deliver_sms("Hologram", "two €", timestamp=WHEN)
    listing = emu.feed(b"AT+CMGL=4\r").decode()
    lines = listing.split("\r\n")
    assert lines[1].startswith("+CMGL: 0,0,,") and lines[3].startswith("+CMGL: 1,0,,")
    decoded = [pdu.decode_deliver(lines[2]), pdu.decode_deliver(lines[4])]
    assert [(d.sender, d.text) for d in decoded] == [("+15555550199", "one"),
                                                     ("Hologram", "two €")]
    assert emu.feed(b"AT+CMGL\r") == b"\r\nOK\r\n"  # default: unread only, all read now
    emu.feed(b"AT+CMGF=1\r")
    assert emu.feed(b'AT+CMGL="REC READ"\r') == (
        b'\r\n+CMGL: 0,"REC READ","+15555550199",,"24/01/13,12:34:56+00"\r\none\r\n'
        b'+CMGL: 1,"REC READ","Hologram",,"24/01/13,12:34:56+00"\r\ntwo ?\r\n\r\nOK\r\n'
    )
    assert emu.feed(b"AT+CMGL=4\r") == b"\r\nERROR\r\n"
    assert emu.feed(b"AT+CMGD=0\r") == b"\r\nOK\r\n"
    assert emu.feed(b"AT+CMGD=40\r") == b"\r\n+CMS ERROR: 321\r\n"
    assert list(emu.stored_sms) == [1]
    assert emu.feed(b"AT+CMGD=0,4\r") == b"\r\nOK\r\n"
    assert emu.stored_sms == {}


def test_cpms_reports_usage(emu):
    emu.deliver_sms("+15555550199", "x", timestamp=WHEN)
    assert emu.feed(b'AT+CPMS="ME","ME","ME"\r') == b"\r\n+CPMS: 1,23,1,23,1,23\r\n\r\nOK\r\n"
    assert emu.feed(b"AT+CPMS?\r") == (
        b'\r\n+CPMS: "ME",1,23,"ME",1,23,"ME",1,23\r\n\r\nOK\r\n')
    assert emu.feed(b'AT+CPMS="XX"\r') == b"\r\n+CMS ERROR: 302\r\n"


def test_cmt_direct_delivery(emu):
    emu.feed(b"AT+CNMI=2,2\r")
    assert emu.deliver_sms("+15555550199", "Hi there", timestamp=WHEN) == -1
    assert emu.feed(b"") == (
        b"\r\n+CMT: ,26\r\n"
        b"07915155550500F0040B915155550591F900004210312143650008C834888E2ECBCB\r\n"
    )
    assert emu.stored_sms == {}


def test_sms_both_ways_over_the_pty():
    with ModemEmulator("ms2131") as emu:
        emu.start()
        with serial.Serial(emu.device, timeout=0.2) as port:
            assert command(port, b"ATE0;+CMGF=0;+CNMI=2,1") == b"ATE0;+CMGF=0;+CNMI=2,1\r\r\nOK\r\n"
            encoded = pdu.encode_submit("+15555550100", "over the pty")
            assert command(port, f"AT+CMGS={encoded.tpdu_length}".encode()) == b"\r\n> "
            port.write(encoded.hex.encode() + b"\x1a")
            assert read_until(port) == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
            assert emu.sent_sms[0].text == "over the pty"
            emu.deliver_sms("+15555550199", "back again")
            assert read_until(port, b'+CMTI: "ME",0\r\n') == b'\r\n+CMTI: "ME",0\r\n'
            answer = command(port, b"AT+CMGR=0").split(b"\r\n")
            assert pdu.decode_deliver(answer[2].decode()).text == "back again"


def test_sms_settings_read_back(emu):
    assert emu.feed(b"AT+CMGF?\r") == b"\r\n+CMGF: 0\r\n\r\nOK\r\n"
    assert emu.feed(b'AT+CSCS="GSM";+CSCS?\r') == b'\r\n+CSCS: "GSM"\r\n\r\nOK\r\n'
    assert emu.feed(b'AT+CSCS="KOI8"\r') == b"\r\nERROR\r\n"
    assert emu.feed(b"AT+CSMP=17,11,0,8;+CSMP?\r") == b"\r\n+CSMP: 17,11,0,8\r\n\r\nOK\r\n"
    assert emu.feed(b"AT+CSCA?\r") == b'\r\n+CSCA: "+15555550000",145\r\n\r\nOK\r\n'
    assert emu.feed(b'AT+CSCA="+447700900000",145;+CSCA?\r') == (
        b'\r\n+CSCA: "+447700900000",145\r\n\r\nOK\r\n')
    assert emu.feed(b"AT+CNMI=2,1,0,0,0;+CNMI?\r") == b"\r\n+CNMI: 2,1,0,0,0\r\n\r\nOK\r\n"
    assert emu.feed(b"AT+CNMI=9\r") == b"\r\nERROR\r\n"


def test_ucs2_text_mode_read(emu):
    emu.deliver_sms("+15555550199", "Привет", timestamp=WHEN)
    assert emu.feed(b'AT+CMGF=1;+CSCS="UCS2";+CMGR=0\r') == (
        b'\r\n+CMGR: "REC UNREAD","002B00310035003500350035003500350030003100390039",,'
        b'"24/01/13,12:34:56+00"\r\n041F04400438043204350442\r\n\r\nOK\r\n')


def test_deliver_rejects_what_cannot_be_one_sms(emu):
    from hologram_sdk.base.errors import MessageTooLongError

    with pytest.raises(MessageTooLongError):
        emu.deliver_sms("+15555550199", "x" * 161)
    for _ in range(23):
        emu.deliver_sms("+15555550199", "fill", timestamp=WHEN)
    with pytest.raises(ValueError, match="full"):
        emu.deliver_sms("+15555550199", "one too many", timestamp=WHEN)
