"""Property tests for the framing the other suites do not drive: how the local cloud
splits requests out of a byte stream, and how the inbound listener turns a
connection's bytes, in any chunks, into exactly one message.

The pure ones run the Hypothesis profile's budget (``FUZZ``: quick in ``make
test``, ten times ``ci`` in ``make fuzz``); the ones over real sockets use a
fixed, small number of examples to stay fast.
"""

from __future__ import annotations

import socket

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from Hologram.CustomCloud import CustomCloud
from hologram_sdk.emulator.cloud import LocalCloud, find_terminator, request_kind
from hologram_sdk.wire.protocol import TERMINATORS, ResultCode, encode_reply, parse_reply
from tests.support.fuzz import FUZZ
from tests.support.net import HOST, connect, free_port, wait_for

SOCKETS = settings(max_examples=100, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow,
                                          HealthCheck.function_scoped_fixture])

# bytes rich in CR, LF and the other characters that matter to the framing
FRAMING = b"\r\n\r\nS{a\x00"
framing_bytes = st.lists(
    st.sampled_from([b"\r", b"\n", b"\r\r", b"\r\n", b"S", b"{", b"}", b"\x00", b"\xff", b"a"])
    | st.binary(max_size=8),
    max_size=40,
).map(b"".join)


def _shape(raw: bytes) -> tuple[bytes, list[int]]:
    """One cheap binary draw as (a stream rich in CR/LF, chunk boundaries):
    bytes below 0x80 become framing characters, the rest stay as they are."""
    cuts = [b % (len(raw) + 1) for b in raw[:3]]
    stream = bytes(FRAMING[b % len(FRAMING)] if b < 0x80 else b for b in raw[3:])
    return stream, cuts


def _first_terminator(buffer: bytes):
    """The reference answer, found another way: walk the buffer position by
    position; at the first position where a terminator starts, the shortest one."""
    for index in range(len(buffer)):
        starting = [t for t in TERMINATORS if buffer.startswith(t, index)]
        if starting:
            return index, min(len(t) for t in starting)
    return None


@pytest.mark.fuzz
@FUZZ
@given(raw=st.binary(max_size=120))
@example(raw=b"\x00\x01\x02" + b"\x00\x01\x00\x01")  # \r\n\r\n across chunks
@example(raw=b"\x05\x06\x07" + b"\x07\x00\x02\x00")
def test_request_splitting_finds_the_first_terminator_whatever_the_chunks(raw):
    """What the local cloud does with a byte stream: find the first complete
    terminator, scanning only each new chunk plus 3 bytes before it."""
    buffer, cuts = _shape(raw)
    whole = find_terminator(buffer)
    assert whole == _first_terminator(buffer)
    if whole is not None:
        index, length = whole
        assert buffer[index:index + length] in TERMINATORS
        assert find_terminator(buffer[:index + length - 1]) is None  # none complete earlier
    points = sorted({min(c, len(buffer)) for c in cuts} | {len(buffer)})
    seen = 0
    found = None
    for point in points:
        if point <= seen:
            continue
        found = find_terminator(buffer[:point], max(0, seen - 3))
        seen = point
        if found is not None:
            break
    assert found == whole
    assert request_kind(buffer) == ("sms" if buffer[:1] == b"S" else "message")


@pytest.mark.fuzz
@FUZZ
@given(raw=st.binary(max_size=24))
def test_a_reply_is_never_complete_before_its_last_byte(raw):
    """The client stops reading at the first complete reply: never on a prefix
    (a cut reply would be read as the wrong code), and bytes after it change nothing."""
    codes = [c for c in ResultCode if c >= 0]
    code = codes[raw[0] % len(codes)] if raw else ResultCode.ERR_OK
    wire = encode_reply("message", code)
    for end in range(len(wire)):
        assert not parse_reply(wire[:end]).complete, wire[:end]
    assert parse_reply(wire).complete
    assert parse_reply(wire + raw[1:]).code == code
    sms = encode_reply("sms", code)
    assert not parse_reply(sms).complete  # digits: complete at the close or a terminator
    assert parse_reply(sms, closed=True).code == code


@given(
    data=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=60),
    cuts=st.lists(st.integers(min_value=1, max_value=200), max_size=5),
    terminator=st.sampled_from(TERMINATORS),
)
@SOCKETS
def test_local_cloud_answers_a_request_split_anywhere_once(data, cuts, terminator):
    import json

    request = json.dumps({"k": "abcd1234", "d": data}).encode() + terminator
    with LocalCloud(port=0, idle_timeout=5) as cloud:
        with connect(cloud.port) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            last = 0
            for cut in sorted({min(c, len(request)) for c in cuts}):
                sock.sendall(request[last:cut])
                last = cut
            sock.sendall(request[last:])
            reply = b""
            while chunk := sock.recv(64):
                reply += chunk
        assert reply == b"[0,0]"
        assert [m.data for m in cloud.messages()] == [data]


@given(
    payload=framing_bytes.filter(bool),
    cuts=st.lists(st.integers(min_value=1, max_value=400), max_size=5),
)
@SOCKETS
def test_listener_delivers_a_connection_as_one_exact_message_whatever_the_chunks(payload, cuts):
    port = free_port()
    with CustomCloud(None, receive_host=HOST, receive_port=port, enable_inbound=True,
                     outbox=False) as cloud:
        with connect(port) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            last = 0
            for cut in sorted({min(c, len(payload)) for c in cuts}):
                sock.sendall(payload[last:cut])
                last = cut
            sock.sendall(payload[last:])
        got = []
        assert wait_for(lambda: got.append(cloud.popReceivedMessage(raw=True)) or got[-1], 5)
        assert got[-1] == payload
        assert cloud.popReceivedMessage(raw=True) is None
        # the text view replaces what is not UTF-8 instead of failing
        assert isinstance(payload.decode("utf-8", errors="replace"), str)
