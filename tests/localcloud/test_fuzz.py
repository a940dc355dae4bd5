"""Random input: the request handler never fails, and the running server keeps serving."""

import random
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hologram_sdk.emulator.cloud import CloudStore, DeviceTable, RequestHandler
from tests.support.fuzz import FUZZ
from tests.localcloud.util import SEED, exchange, message

#: Every reply the cloud may give: codes 0-8 as a JSON list or as SMS digits.
VALID_REPLIES = {f"[{c},0]".encode() for c in range(9)} | {str(c).encode() for c in range(9)}
INTERNAL = {b"[6,0]", b"6"}

# Requests are assembled from fragments that matter to the decoder (cheap to draw).
_VALUES = [
    '"1d3g"', '"5a7b"', '"abcd1234"', '""', '"x"', '"\\u0001agnostic-1.0"', '"\\ud800"',
    "0", "1.5", "-1e999", "null", "true", "[]", '["A"]', '["A",""]', "[1]", '{"a":1}',
    '"' + "T" * 300 + '"',
]
_KEYS = ["s", "c", "k", "m", "t", "d", "devicekey", "data", "tags", "cloud_id", "x", ""]
_AUTHS = ["1d3g5a7b", "abcd1234", "1d3gzzzz", "short", "", "+0000000", "\u00e9" * 8]
_NUMBERS = ["+15551234567", "+1", "15551234567", "+" + "9" * 16, "", "+4915112345678"]


def _shape(raw: bytes) -> bytes:
    """Turn random bytes into a request: raw, a JSON object built from fragments that
    matter to the decoder, or an SMS. One cheap draw per example (10,000 of them)."""
    if not raw or raw[0] % 3 == 0:
        return raw
    pick = raw[1:]
    if raw[0] % 3 == 1:
        pairs = zip(pick[::2], pick[1::2])
        fields = [(_KEYS[a % len(_KEYS)], _VALUES[b % len(_VALUES)]) for a, b in pairs][:6]
        return ("{" + ",".join(f'"{k}":{v}' for k, v in fields) + "}").encode()
    auth = _AUTHS[pick[0] % len(_AUTHS)] if pick else ""
    number = _NUMBERS[pick[1] % len(_NUMBERS)] if len(pick) > 1 else ""
    text = pick[2:].decode("utf-8", "replace") if len(pick) < 100 else "x" * (150 + len(pick) % 20)
    return f"S{auth}{number} {text}".encode("utf-8", "surrogatepass")


REQUESTS = st.binary(max_size=512).map(_shape)


@pytest.fixture
def handler():
    store = CloudStore(":memory:")
    try:
        yield RequestHandler(store, DeviceTable(open_registration=True))
    finally:
        store.close()


@pytest.mark.fuzz
@FUZZ
@given(body=REQUESTS)
def test_handler_answers_everything_without_internal_errors(handler, body):
    reply = handler.handle(body)
    assert reply in VALID_REPLIES
    assert reply not in INTERNAL
    assert reply.startswith(b"[") == (body[:1] != b"S")


def _random_payload(rng):
    kind = rng.randrange(4)
    if kind == 0:
        return rng.randbytes(rng.randrange(0, 2000))
    if kind == 1:  # random bytes with terminators sprinkled in
        parts = [rng.randbytes(rng.randrange(0, 50)) for _ in range(rng.randrange(1, 5))]
        return rng.choice([b"\r\r", b"\n\n", b"\r\n\r\n"]).join(parts)
    if kind == 2:  # a good request, mangled
        data = bytearray(message(SEED + b',"t":["A"],"d":"fine"'))
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    return b"S" + rng.randbytes(rng.randrange(0, 40))


def test_running_server_survives_random_payloads_and_keeps_serving_good_clients(cloud):
    rng = random.Random(20171207)
    stop = threading.Event()
    good_replies = []

    def good_client():
        while not stop.is_set():
            good_replies.append(exchange(cloud.port, message(SEED + b',"d":"good"')))

    thread = threading.Thread(target=good_client)
    thread.start()
    try:
        for _ in range(300):
            reply = exchange(cloud.port, _random_payload(rng), half_close=True)
            assert reply in VALID_REPLIES | {b""}
            assert reply not in INTERNAL
    finally:
        stop.set()
        thread.join(10)
    assert good_replies and set(good_replies) == {b"[0,0]"}
    assert exchange(cloud.port, message(SEED + b',"d":"after"')) == b"[0,0]"
    assert cloud.messages()[-1].data == "after"
