"""The pure AT line parser: final codes, routing, URC forms, CME mapping, masking."""

import pytest

from hologram_sdk.base.errors import (
    ATCommandError,
    NoNetworkServiceError,
    SIMBusyError,
    SIMFailureError,
    SIMNotInsertedError,
    SIMPinRequiredError,
    SIMPukRequiredError,
)
from hologram_sdk.modem.at_codec import (
    FinalKind,
    LineKind,
    LineRouter,
    command_prefixes,
    error_for,
    is_registration_read_form,
    make_urc,
    mask_line,
    find_line_end,
    parse_final,
)


@pytest.mark.parametrize(
    ("line", "kind", "success"),
    [
        ("OK", FinalKind.OK, True),
        ("ERROR", FinalKind.ERROR, False),
        ("CONNECT", FinalKind.CONNECT, True),
        ("CONNECT 7200000", FinalKind.CONNECT, True),
        ("NO CARRIER", FinalKind.NO_CARRIER, False),
        ("BUSY", FinalKind.BUSY, False),
        ("NO DIALTONE", FinalKind.NO_DIALTONE, False),
        ("NO DIAL TONE", FinalKind.NO_DIALTONE, False),
        ("NO ANSWER", FinalKind.NO_ANSWER, False),
        ("+CME ERROR: 10", FinalKind.CME_ERROR, False),
        ("+CMS ERROR: 330", FinalKind.CMS_ERROR, False),
        ("COMMAND NOT SUPPORT", FinalKind.ERROR, False),
    ],
)
def test_final_codes(line, kind, success):
    result = parse_final(line)
    assert result is not None
    assert result.kind is kind
    assert result.success is success


def test_connect_rate_and_codes():
    assert parse_final("CONNECT 7200000").rate == "7200000"
    assert parse_final("CONNECT").rate is None
    assert parse_final("+CME ERROR: 10").code == 10
    assert parse_final("+CMS ERROR: 500").code == 500


def test_non_ascii_digits_are_text_not_a_crash():
    """'²' passes str.isdigit but not int() (found by the fuzz test)."""
    result = parse_final("+CME ERROR: 10\u00b2")
    assert result is not None and result.kind is FinalKind.CME_ERROR
    assert result.code is None and result.text == "10\u00b2"
    assert not is_registration_read_form("+CREG: 0,\u00b9")


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("+CME ERROR: SIM not inserted", 10),
        ("+CME ERROR: SIM PIN required", 11),
        ("+CME ERROR: SIM PUK required", 12),
        ("+CME ERROR: SIM failure", 13),
        ("+CME ERROR: SIM busy", 14),
        ("+CME ERROR: no network service", 30),
        ("+CME ERROR: operation not allowed", 3),
        ("+CMS ERROR: SMSC address unknown", 330),
    ],
)
def test_verbose_texts_map_to_codes(line, code):
    result = parse_final(line)
    assert result.code == code
    assert result.text == line.partition(": ")[2]


@pytest.mark.parametrize(
    "line", ["+CSQ: 17,99", "OKAY", "ERRORS", "+CMEERROR", "", "CONNECTED", "RING", "> "]
)
def test_not_final(line):
    assert parse_final(line) is None


@pytest.mark.parametrize(
    ("line", "cls"),
    [
        ("+CME ERROR: 10", SIMNotInsertedError),
        ("+CME ERROR: SIM PIN required", SIMPinRequiredError),
        ("+CME ERROR: 12", SIMPukRequiredError),
        ("+CME ERROR: 13", SIMFailureError),
        ("+CME ERROR: SIM busy", SIMBusyError),
        ("+CME ERROR: 30", NoNetworkServiceError),
        ("+CMS ERROR: 310", SIMNotInsertedError),
    ],
)
def test_typed_errors(line, cls):
    error = error_for("AT+CIMI", parse_final(line))
    assert type(error) is cls
    assert error.command == "AT+CIMI"
    assert error.result == line


def test_generic_error_keeps_code_and_text():
    error = error_for("AT+FOO", parse_final("+CME ERROR: operation not allowed"))
    assert type(error) is ATCommandError
    assert (error.cme_code, error.text) == (3, "operation not allowed")
    plain = error_for("AT+FOO", parse_final("ERROR"))
    assert type(plain) is ATCommandError
    assert plain.cme_code is None


def test_command_prefixes():
    assert command_prefixes("AT+CSQ") == ("+CSQ",)
    assert command_prefixes("AT+CREG?") == ("+CREG",)
    assert command_prefixes("AT^ICCID?") == ("^ICCID",)
    assert command_prefixes('AT+CMGS="+15555550100"') == ("+CMGS",)
    assert command_prefixes("AT+CMEE=2;+CREG=2") == ("+CMEE", "+CREG")
    assert command_prefixes("ATE0") == ()
    assert command_prefixes("at+csq") == ("+CSQ",)


def test_registration_read_form_vs_urc():
    # facts §3.2: the read answer has <n> first, the URC does not
    assert is_registration_read_form("+CREG: 0,1")
    assert is_registration_read_form('+CREG: 2,1,"00C3","0000A1B2",2')
    assert is_registration_read_form('+CREG: 2,1,"00C3","0000A1B2"')
    assert is_registration_read_form("+CREG: 2,1,8BE3,2BAF")
    assert not is_registration_read_form("+CREG: 1")
    assert not is_registration_read_form('+CREG: 1,"00C3","0000A1B2",2')
    assert not is_registration_read_form('+CREG: 5,"00C3","0000A1B2"')


def test_router_separates_answer_from_urcs():
    router = LineRouter("AT+CREG?")
    assert router.classify("AT+CREG?") is LineKind.ECHO
    assert router.classify("+CREG: 1") is LineKind.URC
    assert router.classify('+CREG: 1,"00C3","0000A1B2",2') is LineKind.URC
    assert router.classify("+CREG: 2,1") is LineKind.INFO
    assert router.classify("^RSSI:17") is LineKind.URC
    assert router.classify('+CMTI: "ME",3') is LineKind.URC
    assert router.classify("OK") is LineKind.FINAL
    assert router.classify("") is LineKind.EMPTY
    assert router.classify("\r") is LineKind.EMPTY


def test_router_set_command_never_takes_a_registration_urc():
    assert LineRouter("AT+CREG=2").classify("+CREG: 1") is LineKind.URC
    assert LineRouter("AT+CSQ").classify("+CSQ: 17,99") is LineKind.INFO
    assert LineRouter("AT+CSQ").classify("+UUSORD: 0,9") is LineKind.URC


def test_router_bare_info_lines_and_garbage():
    router = LineRouter("AT+CGSN")
    assert router.classify("351234567890123") is LineKind.INFO
    assert router.classify("RING") is LineKind.URC
    assert router.classify("\x00\x01\xff\x7f") is LineKind.GARBAGE
    idle = LineRouter(None)
    assert idle.classify("NO CARRIER") is LineKind.URC
    assert idle.classify("^BOOT:20952548,0,0,0,72") is LineKind.URC
    assert idle.classify("\x00\x02") is LineKind.GARBAGE


def test_router_prompt_and_payload_echo():
    router = LineRouter('AT+CMGS="+15555550100"')
    assert router.classify(">") is LineKind.PROMPT
    assert router.classify("> ") is LineKind.PROMPT
    assert router.classify("> Hello world\x1a") is LineKind.ECHO
    router.payload = "Hello world"
    assert router.classify("Hello world\x1a") is LineKind.ECHO
    assert router.classify("+CMGS: 42") is LineKind.INFO


def test_urc_object():
    urc = make_urc('+CMTI: "ME",3')
    assert (urc.name, urc.args, urc.fields) == ("+CMTI", '"ME",3', ["ME", "3"])
    assert make_urc("^RSSI:9").fields == ["9"]
    assert make_urc("RING").name == "RING"


def test_masking_imsi_and_iccid():
    masked = mask_line("310260123456789", "AT+CIMI")
    assert "123456789" not in masked and masked.startswith("31")
    masked = mask_line("+CCID: 8944501234567890123F", "AT+CCID")
    assert "4501234567890123" not in masked
    masked = mask_line("^ICCID: 89014103211118510720", "AT^ICCID?")
    assert "014103211118510720" not in masked
    # an ICCID-looking value is masked whatever the command
    assert "4501234567890123" not in mask_line("8944501234567890123", "AT+FOO")
    assert mask_line("+CSQ: 17,99", "AT+CSQ") == "+CSQ: 17,99"


def test_line_ends_on_echo_shapes():
    # facts §2.2: echo glued to the first CRLF
    buffer = "AT+CSQ\r\r\n+CSQ: 17,99\r\n\r\nOK\r\n+CM"
    lines = []
    while (cut := find_line_end(buffer)) is not None:
        lines.append(buffer[: cut[0]])
        buffer = buffer[cut[1]:]
    assert (lines, buffer) == (["AT+CSQ", "+CSQ: 17,99", "OK"], "+CM")
    assert find_line_end("no end yet") is None
