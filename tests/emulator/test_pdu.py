"""The SMS PDU codec: the worked example of the modem facts, limits, and round trips."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hologram_sdk.base.errors import (
    ConfigurationError,
    InvalidPhoneNumberError,
    MessageTooLongError,
)
from hologram_sdk.modem import pdu
from tests.support.fuzz import FUZZ

WHEN = dt.datetime(2024, 1, 13, 12, 34, 56, tzinfo=dt.timezone.utc)
SUBMIT_HELLO = "0011000B915155550501F00000AA05C8329BFD06"
DELIVER_HI = "07915155550500F0040B915155550591F900004210312143650008C834888E2ECBCB"


def test_submit_worked_example():
    encoded = pdu.encode_submit("+15555550100", "Hello")
    assert encoded == pdu.EncodedPdu(SUBMIT_HELLO, 19)
    decoded = pdu.decode_submit(SUBMIT_HELLO)
    assert (decoded.destination, decoded.text, decoded.validity, decoded.smsc) == (
        "+15555550100", "Hello", 0xAA, None)


def test_submit_without_smsc_field_and_national_number():
    encoded = pdu.encode_submit("5550100", "Hi", include_smsc=False, validity=None)
    assert encoded.hex == "01000781550501F0000002C834"
    assert encoded.tpdu_length == len(encoded.hex) // 2
    decoded = pdu.decode_submit(encoded.hex, has_smsc=False)
    assert (decoded.destination, decoded.text, decoded.validity) == ("5550100", "Hi", None)


def test_deliver_worked_example():
    encoded = pdu.encode_deliver("+15555550199", "Hi there", WHEN, smsc="+15555550000")
    assert encoded == pdu.EncodedPdu(DELIVER_HI, 26)
    decoded = pdu.decode_deliver(DELIVER_HI)
    assert decoded.sender == "+15555550199"
    assert decoded.text == "Hi there"
    assert decoded.timestamp == WHEN
    assert decoded.smsc == "+15555550000"
    assert decoded.more_messages is False
    assert pdu.decode(DELIVER_HI) == decoded


def test_timestamp_time_zones():
    minus = dt.datetime(2024, 1, 13, 12, 34, 56, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    octets = pdu.encode_timestamp(minus)
    assert octets[-1] == 0x0A  # 20 quarters: digits 2,0 swapped, sign bit 0x08
    assert pdu.decode_timestamp(octets) == minus
    plus = minus.replace(tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=45)))
    assert pdu.encode_timestamp(plus)[-1] == 0x32
    assert pdu.format_scts(minus) == "24/01/13,12:34:56-20"
    assert pdu.parse_scts('"24/01/13,12:34:56-20"') == minus


def test_gsm7_alphabet_and_extension():
    assert pdu.gsm7_encodable("@£$¥ èé Ä ü à {[~]}|€^\\")
    assert not pdu.gsm7_encodable("日本")
    assert not pdu.gsm7_encodable("`")
    assert pdu.encode_gsm7("@") == [0]
    assert pdu.encode_gsm7("€") == [0x1B, 0x65]
    assert pdu.gsm7_length("[x]") == 5
    assert pdu.decode_gsm7([0x1B, 0x41]) == "A"  # unknown escape: the basic character


def test_limits():
    assert pdu.check_length("a" * 160) is pdu.Encoding.GSM7
    with pytest.raises(MessageTooLongError, match="161"):
        pdu.encode_submit("+15555550100", "a" * 161)
    with pytest.raises(MessageTooLongError):
        pdu.encode_submit("+15555550100", "€" * 81)
    assert pdu.check_length("日" * 70) is pdu.Encoding.UCS2
    with pytest.raises(MessageTooLongError, match="71 UCS-2"):
        pdu.encode_submit("+15555550100", "日" * 71)
    encoded = pdu.encode_submit("+15555550100", "a" * 160)
    assert pdu.decode_submit(encoded.hex).text == "a" * 160


def test_bad_input_is_typed():
    with pytest.raises(InvalidPhoneNumberError):
        pdu.encode_submit("+1555x", "hi")
    with pytest.raises(ConfigurationError):
        pdu.decode_submit("zz")
    with pytest.raises(ConfigurationError):
        pdu.decode_submit(DELIVER_HI)
    with pytest.raises(ConfigurationError):
        pdu.decode_deliver(SUBMIT_HELLO)
    with pytest.raises(ConfigurationError):
        pdu.decode_submit(SUBMIT_HELLO[:-4])
    with pytest.raises(ConfigurationError):
        pdu.encode_submit("+15555550100", "x", reference=300)


def test_user_data_header_is_skipped():
    # concatenated part 1/2, GSM 7-bit: UDH 05 00 03 2A 02 01, then "Hi"
    udh = bytes.fromhex("050003 2A0201".replace(" ", ""))
    header_septets = 7
    body = pdu.pack_septets([0] * header_septets + pdu.encode_gsm7("Hi"))
    ud = udh + body[len(udh):]
    tpdu = bytes([0x41, 0x00, 0x0B, 0x91]) + bytes.fromhex("5155550501F0") + b"\x00\x00"
    tpdu += bytes([header_septets + 2]) + ud
    decoded = pdu.decode_submit("00" + tpdu.hex())
    assert decoded.udh == bytes.fromhex("0003 2A0201".replace(" ", ""))
    assert decoded.text == "Hi"


GSM_CHARS = sorted(set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà\f^{}\\[~]|€"))
OTHER_CHARS = list("日本語のテキストПриветçÇ`Łœẞ\u00a0\u200b\t\x00\U0001F600\U00010348")
ZONES = [dt.timezone.utc, dt.timezone(dt.timedelta(hours=-11)),
         dt.timezone(dt.timedelta(hours=9, minutes=30))]


# Cheap strategies on purpose: 10,000 examples each must stay within seconds.
@pytest.mark.fuzz
@FUZZ
@given(digits=st.text(alphabet="0123456789", min_size=1, max_size=20),
       text=st.text(alphabet=GSM_CHARS + OTHER_CHARS, max_size=90),
       knobs=st.integers(0, 2**40))
def test_submit_and_deliver_round_trip(digits, text, knobs):
    number = ("+" if knobs & 1 else "") + digits
    smsc = None if knobs & 2 else "+" + digits[:12]
    reference = (knobs >> 2) & 0xFF
    gsm = pdu.gsm7_encodable(text)
    too_long = pdu.gsm7_length(text) > 160 if gsm else len(text.encode("utf-16-be")) > 140
    if too_long:
        with pytest.raises(MessageTooLongError):
            pdu.encode_submit(number, text)
        return
    encoded = pdu.encode_submit(number, text, smsc=smsc, reference=reference)
    decoded = pdu.decode_submit(encoded.hex)
    assert (decoded.destination, decoded.text, decoded.reference) == (number, text, reference)
    assert decoded.smsc == smsc
    assert decoded.encoding is (pdu.Encoding.GSM7 if gsm else pdu.Encoding.UCS2)
    assert len(encoded.hex) // 2 - int(encoded.hex[:2], 16) - 1 == encoded.tpdu_length
    when = dt.datetime(2000, 1, 1, tzinfo=ZONES[(knobs >> 10) % 3]) + dt.timedelta(
        seconds=(knobs >> 12) % 3_155_000_000)
    sender = number if knobs & 0x400 else "Sender" + digits[:5]
    delivered = pdu.decode(pdu.encode_deliver(sender, text, when, smsc=smsc).hex)
    assert isinstance(delivered, pdu.SmsDeliver)
    assert (delivered.sender, delivered.text, delivered.timestamp) == (sender, text, when)


@pytest.mark.fuzz
@FUZZ
@given(data=st.binary(max_size=200))
def test_decode_random_bytes_raises_only_typed_errors(data):
    for has_smsc in (True, False):
        try:
            pdu.decode(data.hex(), has_smsc=has_smsc)
        except ConfigurationError:
            pass
