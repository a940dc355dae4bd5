"""Property tests of the pure cloud codec: round trips, and garbage never crashes it.

Each example is one cheap ``binary`` draw shaped into inputs (10,000 examples
per test must stay fast): UTF-16 decoding gives any code point, lone
surrogates included; a unit separator splits fields.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.wire import protocol
from hologram_sdk.wire.protocol import (
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
from tests.support.fuzz import FUZZ

pytestmark = pytest.mark.fuzz

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
NON_NEGATIVE = [c for c in ResultCode if c >= 0]


def _fields(raw: bytes) -> list[str]:
    text = raw[: len(raw) // 2 * 2].decode("utf-16-le", "surrogatepass")
    return text.split("\x1f")


def _key(raw: bytes, size: int, alphabet: str | None = None) -> str:
    if alphabet is None:
        chunk = raw[: size * 2]
        text = (chunk[: len(chunk) // 2 * 2] + b"a\x00" * size).decode("utf-16-le", "surrogatepass")
        return text[:size]
    return "".join(alphabet[b % len(alphabet)] for b in (raw + b"\x00" * size)[:size])


def _message_round_trip(selector: int, raw: bytes) -> None:
    key_bytes, rest = raw[:16], raw[16:]
    if selector % 2:
        credentials = Credentials(devicekey=_key(key_bytes, 8))
    else:
        credentials = Credentials(cloud_id=_key(key_bytes, 4), cloud_key=_key(key_bytes[8:], 4))
    message, *topic_fields = _fields(rest)
    topics: object = [t[:256] for t in topic_fields if t]
    if selector % 3 == 0:
        topics = topic_fields[0][:256] if topic_fields and topic_fields[0] else None
    metadata = "\x01" + message[:10] if selector % 5 == 0 else None
    wire = encode_message(credentials, message, topics, metadata)
    assert wire.endswith(b"\r\r")
    wire.decode("ascii")  # ensure_ascii: one byte per character
    request = decode_request(strip_terminator(wire))
    assert request.kind == "message"
    assert request.credentials == credentials
    assert request.data == message
    assert request.topics == (protocol.normalize_topics(topics) or [])
    assert request.metadata == (metadata if credentials.devicekey else None)


def _sms_round_trip(selector: int, raw: bytes) -> None:
    auth = _key(raw[:8], 8, ALNUM)
    if selector % 2:
        credentials = Credentials(devicekey=auth)
    else:
        credentials = Credentials(cloud_id=auth[:4], cloud_key=auth[4:])
    digits = "".join(str(b % 10) for b in (raw[8:] + b"\x00" * 15)[: 7 + selector % 9])
    number = "+" + digits
    text = _fields(raw[8:])[0].replace("\r", "").replace("\n", "")[:160]
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        with pytest.raises(ConfigurationError, match="UTF-8"):
            encode_sms(credentials, number, text)
        text = "".join(ch for ch in text if not "\ud800" <= ch <= "\udfff")
    request = decode_request(strip_terminator(encode_sms(credentials, number, text)))
    assert request.kind == "sms"
    assert request.credentials.auth_prefix == credentials.auth_prefix
    assert (request.destination, request.data) == (number, text)


def _reply_round_trip(selector: int) -> None:
    code = NON_NEGATIVE[selector % len(NON_NEGATIVE)]
    kind = "sms" if selector % 2 else "message"
    wire = encode_reply(kind, code)
    reply = parse_reply(wire, closed=True)
    assert reply.complete and reply.code == code
    if kind == "message":  # a JSON reply is complete before the close
        assert parse_reply(wire).complete
        assert parse_reply(wire + b"\r\n").code == code
    else:
        assert not parse_reply(wire).complete  # digits: wait for the close
        assert parse_reply(wire + b"\r\r").code == code


@FUZZ
@given(raw=st.binary(max_size=200))
@example(raw=b"\x00" * 40)
@example(raw=b"\x01" + b"\x00\xd8" * 30)  # lone surrogates
def test_round_trips(raw):
    selector, rest = (raw[0], raw[1:]) if raw else (0, b"")
    _message_round_trip(selector, rest)
    _sms_round_trip(selector, rest)
    _reply_round_trip(selector)


_KEYS = ["s", "c", "k", "d", "t", "m", "devicekey", "data", "tags", "x"]
_VALUES = ['"1d3g"', '"5a7b"', '"abcd1234"', '""', '"\\u0001m"', "0", "-1e999", "null",
           "true", "[]", '["A"]', '["A",""]', "[1]", '{"a":1}', '"' + "T" * 300 + '"']


def _shape(raw: bytes) -> bytes:
    """Raw bytes, a JSON object from fragments that matter to the decoder, or an SMS."""
    if not raw or raw[0] % 3 == 0:
        return raw
    pick = raw[1:]
    if raw[0] % 3 == 1:
        pairs = list(zip(pick[::2], pick[1::2]))[:6]
        fields = [f'"{_KEYS[a % len(_KEYS)]}":{_VALUES[b % len(_VALUES)]}' for a, b in pairs]
        return ("{" + ",".join(fields) + "}").encode()
    return b"S" + pick


@FUZZ
@given(raw=st.binary(max_size=300))
@example(raw=b"[" * 100_000 + b"]")
@example(raw=b"-" + b"1" * 5000 + b"\r\r")
@example(raw=b"[true,0]")
@example(raw=b'{"d":' + b"[" * 100_000 + b"]" * 100_000 + b"}")
@example(raw=b"{\xff}")
@example(raw=json.dumps({"s": "1d3g", "c": "5a7b", "d": "x", "t": [""]}).encode())
def test_garbage_never_crashes_the_parsers(raw):
    for closed in (False, True):
        reply = parse_reply(raw, closed)
        assert isinstance(reply.code, ResultCode)
        assert reply.complete or not closed
    for data in (raw, _shape(raw)):
        try:
            request = decode_request(data)
        except RequestError as exc:
            assert isinstance(exc.code, ResultCode)
        else:
            assert request.kind in ("message", "sms")


def _json_oracle(data: bytes) -> protocol.ResultCode:
    """What a reply's code is by the JSON decoder alone (the slow, obvious way)."""
    stripped = data.strip()
    try:
        parsed = json.loads(stripped[: stripped.find(b"]") + 1])
    except (ValueError, RecursionError):
        return protocol.ResultCode.ERR_UNKNOWN
    if isinstance(parsed, list) and parsed and type(parsed[0]) is int:
        return protocol.to_result_code(parsed[0])
    return protocol.ResultCode.ERR_UNKNOWN


@pytest.mark.fuzz
@FUZZ
@given(
    raw=st.one_of(
        st.lists(st.integers(-(10**20), 10**20), max_size=4).map(
            lambda xs: json.dumps(xs).encode()
        ),
        st.lists(st.sampled_from([b"[", b"]", b",", b" ", b"0", b"1", b"-", b"01", b"9"]),
                 max_size=12).map(lambda parts: b"[" + b"".join(parts) + b"]"),
    )
)
def test_the_integer_list_fast_path_agrees_with_the_json_decoder(raw):
    assert protocol.parse_reply(raw, closed=True).code == _json_oracle(raw)
