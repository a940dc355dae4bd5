"""The +CSIM AUTHENTICATE primitive: APDU, answer parsing, status words and chaining."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hologram_sdk.base.errors import ConfigurationError, ModemError, SIMAuthenticationError
from hologram_sdk.modem import csim
from tests.fuzz_settings import FACTOR, FUZZ

#: parsers of short lines: a tenth of the shared budget keeps each test well inside its timeout
SOME = settings(FUZZ, max_examples=1_000 * FACTOR)

RAND = bytes.fromhex("23553cbe9637a89d218ae64dae47bf35")
SRES = bytes.fromhex("46f8416a")
KC = bytes.fromhex("a54211d5e3ba50bf")


def test_command_line_is_the_one_modem_facts_gives():
    line = csim.csim_command(csim.authenticate_apdu(RAND))
    assert line == 'AT+CSIM=46,"008800801110' + RAND.hex().upper() + '00"'


def test_bad_rand_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        csim.authenticate_apdu(b"short")
    with pytest.raises(ConfigurationError):
        csim.authenticate_apdu("23553cbe9637a89d218ae64dae47bf35")  # text, not bytes


def answer(payload: bytes) -> str:
    return f'{len(payload) * 2},"{payload.hex().upper()}"'


def test_successful_answer_gives_sres_and_kc():
    sent = []

    def exchange(line):
        sent.append(line)
        return csim.parse_csim(answer(b"\x04" + SRES + b"\x08" + KC + b"\x90\x00"))

    sres, kc = csim.run_authenticate(exchange, RAND)
    assert (sres, kc) == (SRES, KC)
    assert len(sent) == 1


def test_61xx_fetches_with_get_response():
    replies = iter([b"\x61\x0e", b"\x04" + SRES + b"\x08" + KC + b"\x90\x00"])
    sent = []

    def exchange(line):
        sent.append(line)
        return next(replies)

    assert tuple(csim.run_authenticate(exchange, RAND)) == (SRES, KC)
    assert sent[1] == 'AT+CSIM=10,"00C000000E"'


def test_9fxx_fetches_with_the_gsm_class():
    replies = iter([b"\x9f\x0e", b"\x04" + SRES + b"\x08" + KC + b"\x90\x00"])
    sent = []

    def exchange(line):
        sent.append(line)
        return next(replies)

    assert tuple(csim.run_authenticate(exchange, RAND)) == (SRES, KC)
    assert sent[1] == 'AT+CSIM=10,"A0C000000E"'


def test_6cxx_repeats_with_the_right_le():
    replies = iter([b"\x6c\x0e", b"\x04" + SRES + b"\x08" + KC + b"\x90\x00"])
    sent = []

    def exchange(line):
        sent.append(line)
        return next(replies)

    csim.run_authenticate(exchange, RAND)
    assert sent[1].endswith('0E"') and sent[1][:-4] == sent[0][:-4]


@pytest.mark.parametrize(
    ("sw", "text"),
    [(0x6982, "6982 (security status not satisfied)"), (0x9862, "9862 (authentication error")],
)
def test_refusal_names_the_status_word(sw, text):
    with pytest.raises(SIMAuthenticationError, match=re.escape("status word " + text)) as info:
        csim.run_authenticate(lambda line: sw.to_bytes(2, "big"), RAND)
    assert info.value.status_word == sw


def test_endless_chaining_stops():
    with pytest.raises(ModemError, match="kept asking"):
        csim.run_authenticate(lambda line: b"\x61\x10", RAND)


@pytest.mark.parametrize(
    "args",
    ['', '32,"04"', '4,"9000"x', '6,"9000"', '3,"900"', '2,"90"', 'x,"9000"', '4,"90G0"'],
)
def test_bad_csim_answers_are_modem_errors(args):
    with pytest.raises(ModemError):
        csim.parse_csim(args)


def test_short_success_data_is_a_modem_error():
    with pytest.raises(ModemError, match="04 <SRES> 08 <Kc>"):
        csim.run_authenticate(lambda line: b"\x04\x01\x90\x00", RAND)


def test_result_repr_hides_the_secrets():
    result = csim.parse_gsm_auth(b"\x04" + SRES + b"\x08" + KC)
    assert SRES.hex() not in repr(result) and KC.hex() not in repr(result)


@pytest.mark.fuzz
@SOME
@given(st.text(max_size=80))
def test_any_answer_text_is_bytes_or_a_modem_error(text):
    try:
        data = csim.parse_csim(text)
    except ModemError:
        return
    assert len(data) >= 2


@pytest.mark.fuzz
@SOME
@given(st.binary(min_size=0, max_size=40))
def test_any_response_is_a_result_or_a_typed_error(response):
    try:
        sres, kc = csim.run_authenticate(lambda line: response, RAND)
    except (ModemError, SIMAuthenticationError):
        return
    assert len(sres) == 4 and len(kc) == 8
