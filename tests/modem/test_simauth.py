"""The +CSIM AUTHENTICATE primitive: APDU, answer parsing, status words and chaining,
then on the emulator's USIM through every driver."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hologram_sdk.base.errors import ConfigurationError, ModemError, SIMAuthenticationError
from hologram_sdk.modem import simauth
from tests.support.fuzz import FUZZ

RAND = bytes.fromhex("23553cbe9637a89d218ae64dae47bf35")
SRES = "46F8416A"
KC = "EAE4BE823AF9A08B"  # TS 35.208 test set 1: SRES and Kc of the GSM context
OK_DATA = "04" + SRES + "08" + KC


def test_command_line_is_the_one_modem_facts_gives():
    sent = []

    def exchange(apdu):
        sent.append(simauth.csim_command(apdu))
        return OK_DATA, "9000"

    assert simauth.run_authenticate(exchange, RAND) == (bytes.fromhex(SRES), bytes.fromhex(KC))
    assert sent == ['AT+CSIM=46,"008800801110' + RAND.hex().upper() + '00"']


def test_bad_rand_is_a_configuration_error():
    for bad in (b"short", "23553cbe9637a89d218ae64dae47bf35", RAND + b"x"):
        with pytest.raises(ConfigurationError):
            simauth.run_authenticate(lambda apdu: (OK_DATA, "9000"), bad)


@pytest.mark.parametrize(("first", "then"), [
    ("610E", "00C000000E"), ("9F0E", "A0C000000E")])
def test_response_bytes_waiting_are_fetched(first, then):
    replies = iter([("", first), (OK_DATA, "9000")])
    sent = []

    def exchange(apdu):
        sent.append(apdu)
        return next(replies)

    assert simauth.run_authenticate(exchange, RAND) == (bytes.fromhex(SRES), bytes.fromhex(KC))
    assert sent[1] == then


def test_6cxx_repeats_with_the_right_le():
    replies = iter([("", "6C0E"), (OK_DATA, "9000")])
    sent = []

    def exchange(apdu):
        sent.append(apdu)
        return next(replies)

    simauth.run_authenticate(exchange, RAND)
    assert sent[1] == sent[0][:-2] + "0E"


@pytest.mark.parametrize(("sw", "text"), [
    ("6982", "security status not satisfied"), ("9862", "authentication error"),
    ("63C2", "2 retries left")])
def test_refusal_names_the_status_word(sw, text):
    with pytest.raises(SIMAuthenticationError, match=f"status word {sw}") as info:
        simauth.run_authenticate(lambda apdu: ("", sw), RAND)
    assert info.value.status_word == sw
    assert text in str(info.value)


def test_endless_chaining_stops():
    with pytest.raises(ModemError, match="kept asking"):
        simauth.run_authenticate(lambda apdu: ("", "6110"), RAND)


def test_short_success_data_is_a_modem_error():
    with pytest.raises(ModemError, match="04 <SRES> 08 <Kc>"):
        simauth.run_authenticate(lambda apdu: ("0401", "9000"), RAND)


@pytest.mark.parametrize(
    "line",
    ["", '+CSIM: 32,"04"', '+CSIM: 4,"9000"x', '+CSIM: 6,"9000"', '+CSIM: 3,"900"',
     '+CSIM: 2,"90"', '+CSIM: x,"9000"', '+CSIM: 4,"90G0"', '+CSIM: \uff14,"9000"'],
)
def test_bad_csim_answers_are_modem_errors(line):
    with pytest.raises(ModemError):
        simauth.parse_csim(line)


@pytest.mark.fuzz
@FUZZ
@given(st.text(max_size=80))
def test_any_answer_text_is_hex_or_a_modem_error(text):
    try:
        data, status = simauth.parse_csim("+CSIM: " + text)
    except ModemError:
        return
    assert len(status) == 4 and len(data) % 2 == 0


@pytest.mark.fuzz
@FUZZ
@given(st.binary(min_size=2, max_size=40))
def test_any_response_is_a_result_or_a_typed_error(response):
    text = response.hex().upper()
    try:
        sres, kc = simauth.run_authenticate(lambda apdu: (text[:-4], text[-4:]), RAND)
    except (ModemError, SIMAuthenticationError):
        return
    assert len(sres) == 4 and len(kc) == 8


def test_against_the_emulated_usim_card():
    """The emulator's USIM card (MILENAGE, TS 35.208 test set 1) answers our APDU."""
    from hologram_sdk.emulator.usim import Usim
    from hologram_sdk.wire.auth import simotp

    card = Usim()
    sres, kc = simauth.run_authenticate(lambda apdu: simotp.split_status(card.transmit(apdu)), RAND)
    assert (sres.hex().upper(), kc.hex().upper()) == (SRES, KC)
    with pytest.raises(SIMAuthenticationError, match="6982") as info:
        simauth.run_authenticate(
            lambda apdu: simotp.split_status(card.transmit(apdu, pin_verified=False)), RAND)
    assert info.value.status_word == "6982"
