"""Property tests of the pure cloud codec: round trips, and garbage never crashes it."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hologram_sdk.cloud import protocol
from hologram_sdk.cloud.protocol import (
    Credentials,
    RequestError,
    ResultCode,
    decode_request,
    encode_message,
    encode_reply,
    encode_sms,
    parse_reply,
    strip_terminator,
)
from tests.fuzz_settings import FUZZ

pytestmark = pytest.mark.fuzz

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
seed_credentials = st.builds(
    Credentials,
    cloud_id=st.text(min_size=4, max_size=4),
    cloud_key=st.text(min_size=4, max_size=4),
)
devicekey_credentials = st.builds(Credentials, devicekey=st.text(min_size=8, max_size=8))
topic = st.text(min_size=1, max_size=256)
topics = st.one_of(st.none(), topic, st.lists(topic, max_size=5))
numbers = st.from_regex(r"\A\+[0-9]{7,15}\Z")
sms_text = st.text(max_size=160).filter(lambda t: "\r" not in t and "\n" not in t)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=4),
    max_leaves=10,
)
request_keys = st.sampled_from(["s", "c", "k", "d", "t", "m", "devicekey", "data", "tags", "x"])


@FUZZ
@given(credentials=st.one_of(seed_credentials, devicekey_credentials), message=st.text(),
       topics=topics, metadata=st.one_of(st.none(), st.text().map(lambda t: "\x01" + t)))
def test_message_round_trip(credentials, message, topics, metadata):
    wire = encode_message(credentials, message, topics, metadata)
    assert wire.endswith(b"\r\r")
    wire.decode("ascii")  # ensure_ascii: one byte per character on the wire
    body = strip_terminator(wire)
    assert body is not None
    request = decode_request(body)
    assert request.kind == "message"
    assert request.credentials == credentials
    assert request.data == message
    assert request.topics == (protocol.normalize_topics(topics) or [])
    assert request.metadata == (metadata if credentials.devicekey else None)


@FUZZ
@given(cloud_id=st.text(ALNUM, min_size=4, max_size=4),
       cloud_key=st.text(ALNUM, min_size=4, max_size=4), number=numbers, text=sms_text)
def test_sms_round_trip(cloud_id, cloud_key, number, text):
    credentials = Credentials(cloud_id=cloud_id, cloud_key=cloud_key)
    request = decode_request(strip_terminator(encode_sms(credentials, number, text)))
    assert request.kind == "sms"
    assert request.credentials.auth_prefix == credentials.auth_prefix
    assert (request.destination, request.data) == (number, text)


@FUZZ
@given(code=st.sampled_from([c for c in ResultCode if c >= 0]), kind=st.sampled_from(
    ["message", "sms"]))
def test_reply_round_trip(code, kind):
    wire = encode_reply(kind, code)
    reply = parse_reply(wire, closed=True)
    assert reply.complete and reply.code == code
    if kind == "message":  # a JSON reply is complete before the close
        assert parse_reply(wire).complete
        assert parse_reply(wire + b"\r\n").code == code


@FUZZ
@given(data=st.binary(max_size=300), closed=st.booleans())
@example(data=b"[" * 100_000 + b"]", closed=False)
@example(data=b"-" + b"1" * 5000 + b"\r\r", closed=True)
@example(data=b"[true,0]", closed=False)
def test_parse_reply_never_crashes(data, closed):
    reply = parse_reply(data, closed)
    assert isinstance(reply.code, ResultCode)
    if closed:
        assert reply.complete


@FUZZ
@given(data=st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=300).map(lambda b: b"S" + b),
    st.dictionaries(request_keys, json_values, max_size=6).map(
        lambda d: json.dumps(d).encode()),
))
@example(data=b'{"d":' + b"[" * 100_000 + b"]" * 100_000 + b"}")
@example(data=b"{\xff}")
def test_decode_request_only_raises_request_error(data):
    try:
        request = decode_request(data)
    except RequestError as exc:
        assert isinstance(exc.code, ResultCode)
    else:
        assert request.kind in ("message", "sms")
