"""Property test: random bytes never crash or hang the AT parser."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hologram_sdk.modem.at import ATChannel, _Pending
from hologram_sdk.modem.at_codec import LineKind, LineRouter, parse_final
from tests.support.fuzz import FUZZ

COMMANDS = [None, "AT", "AT+CSQ", "AT+CREG?", "AT+CMGS=19", "AT+CGSN", "AT^ICCID?"]
KNOWN = [
    b"OK",
    b"ERROR",
    b"+CME ERROR: 10",
    b"+CREG: 1",
    b"+CREG: 0,1",
    b"> ",
    b"^RSSI:9",
    b'+CMTI: "ME",1',
    b"CONNECT 7200000",
    b"+CMS ERROR: SIM busy",
    b"+CMT: ,26",
    b"\r\n",
]


@pytest.mark.fuzz
@FUZZ
@given(raw=st.binary(min_size=2, max_size=160))
def test_any_bytes(raw):
    # one strategy keeps hypothesis fast; the first bytes pick the scenario
    command = COMMANDS[raw[0] % len(COMMANDS)]
    prompt = bool(raw[0] & 0x80)
    cut = 1 + raw[1] % 16
    data = KNOWN[raw[1] % len(KNOWN)] + raw[2:] + KNOWN[raw[0] % len(KNOWN)]
    channel = ATChannel("loop://")  # never opened: feed() is the parser's entry point
    if command is not None:
        channel._pending = _Pending(command, prompt)
    for start in range(0, len(data), cut):
        channel.feed(data[start : start + cut])
    router = LineRouter(command)
    for line in re.split(r"[\r\n]+", data.decode("latin-1")):
        assert isinstance(router.classify(line), LineKind)
        final = parse_final(line)
        assert final is None or final.line == line.strip()
    pending = channel._pending
    if pending is not None:
        assert all("\r" not in line and "\n" not in line for line in pending.lines)
        assert pending.final is None or not pending.final.line.startswith(">")
