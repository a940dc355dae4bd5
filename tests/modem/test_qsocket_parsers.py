"""Quectel socket URCs and +QIRD, and the AT channel's raw data after a header line."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hologram_sdk.base.errors import ModemError
from hologram_sdk.modem.at import ATChannel, _Pending
from hologram_sdk.modem.qsocket import (
    QiUrc,
    parse_qiopen,
    parse_qird_header,
    parse_qiurc,
    qi_error,
)
from tests.support.fuzz import FUZZ


def test_qiopen():
    assert parse_qiopen("0,0") == QiUrc("open", 0, 0)
    assert parse_qiopen(" 3 , 566") == QiUrc("open", 3, 566)
    for bad in ("", "0", "0,0,0", "a,0", "0,-1"):
        with pytest.raises(ModemError):
            parse_qiopen(bad)


def test_qiurc_kinds():
    assert parse_qiurc('"recv",2') == QiUrc("recv", 2, None)
    assert parse_qiurc('"recv",2,17') == QiUrc("recv", 2, 17)  # direct-push form
    assert parse_qiurc('"closed",0') == QiUrc("closed", 0)
    assert parse_qiurc('"incoming",11,1,"10.1.2.3",45321') == QiUrc(
        "incoming", 11, 1, "10.1.2.3", 45321
    )
    assert parse_qiurc('"pdpdeact",1') == QiUrc("pdpdeact", None, 1)
    assert parse_qiurc('"incoming full"') == QiUrc("incoming full")
    for bad in ('"recv"', '"closed",x', '"incoming",1,2'):
        with pytest.raises(ModemError):
            parse_qiurc(bad)


def test_qird_header():
    assert parse_qird_header("+QIRD: 5") == 5
    assert parse_qird_header("+QIRD: 0") == 0
    assert parse_qird_header("+QIRD: 10,5,5") is None  # the totals answer of +QIRD=<id>,0
    assert parse_qird_header("+QIRD: x") is None
    assert parse_qird_header("+CSQ: 5") is None


def test_qi_error_names_command_and_code():
    error = qi_error('AT+QIOPEN=1,0,"TCP","h",1,0,0', 566, "+QIOPEN: 0,566")
    assert error.cme_code == 566 and error.text == "socket connect failed"
    assert "AT+QIOPEN" in str(error) and "566" in str(error)


def feed_in_pieces(channel, data, size):
    for start in range(0, len(data), size):
        channel.feed(data[start : start + size])


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
@pytest.mark.parametrize(
    "payload", [b"[0,0]", b"\r\nOK\r\n+QIURC: x\r\n", b"\r", b" spaced ", bytes(range(256))]
)
def test_raw_data_after_a_header_survives_any_bytes_and_any_split(size, payload):
    channel = ATChannel("loop://")  # never opened: feed() is the parser's entry point
    pending = _Pending("AT+QIRD=0,1500", False, parse_qird_header)
    channel._pending = pending
    data = b"\r\n+QIRD: %d\r\n" % len(payload) + payload + b"\r\nOK\r\n"
    feed_in_pieces(channel, data, size)
    assert pending.final is not None and pending.final.success
    assert pending.lines == [f"+QIRD: {len(payload)}", payload.decode("latin-1")]


def test_lines_after_the_final_result_are_unsolicited():
    channel = ATChannel("loop://")
    seen = []
    channel._urcs.put = seen.append  # the dispatcher queue, observed directly
    pending = _Pending('AT+QIOPEN=1,0,"TCP","h",1,0,0', False)
    channel._pending = pending
    channel.feed(b"\r\nOK\r\n\r\n+QIOPEN: 0,0\r\n")
    assert pending.lines == []
    assert [urc.name for urc in seen] == ["+QIOPEN"]


@pytest.mark.fuzz
@FUZZ
@given(st.text(max_size=60))
def test_any_qiurc_text_parses_or_is_a_modem_error(text):
    try:
        event = parse_qiurc(text)
    except ModemError:
        return
    assert event.socket is None or event.socket >= 0


@pytest.mark.fuzz
@FUZZ
@given(st.binary(max_size=300), st.integers(1, 9))
def test_any_payload_round_trips(payload, size):
    channel = ATChannel("loop://")
    pending = _Pending("AT+QIRD=1,1500", False, parse_qird_header)
    channel._pending = pending
    feed_in_pieces(channel, b"\r\n+QIRD: %d\r\n" % len(payload) + payload + b"\r\nOK\r\n", size)
    if payload:
        assert pending.lines[1].encode("latin-1") == payload
    assert pending.final is not None
