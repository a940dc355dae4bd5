"""The local cloud's answer to every kind of request, over real sockets, byte for byte."""

import json

import pytest

from tests.localcloud.util import SEED, exchange, message

BAD_REQUESTS = [
    # unknown protocol -> 5
    ("plain text", b"hello\r\r", b"[5,0]"),
    ("JSON list", b"[1,2]\r\r", b"[5,0]"),
    # malformed -> 2
    ("broken JSON", b'{"s":"1d3g",\r\r', b"[2,0]"),
    ("not UTF-8", b'{"s":"1d3g","c":"5a7b","d":"\xff"}\r\r', b"[2,0]"),
    ("no data field", message(SEED), b"[2,0]"),
    ("long and short names mixed", message(b'"devicekey":"abcd1234","d":"x"'), b"[2,0]"),
    ("nested too deeply", b'{"d":' + b"[" * 60000 + b"\r\r", b"[2,0]"),
    ("SMS without a number", b"S1d3g5a7bhello\r\r", b"2"),
    ("SMS with short auth", b"S1d3g+15551234567 hi\r\r", b"2"),
    ("SMS number without space", b"S1d3g5a7b+15551234567\r\r", b"2"),
    # credentials -> 3
    ("no credentials", message(b'"d":"x"'), b"[3,0]"),
    ("short cloud_id", message(b'"s":"1d3","c":"5a7b","d":"x"'), b"[3,0]"),
    ("cloud_key not a string", message(b'"s":"1d3g","c":5,"d":"x"'), b"[3,0]"),
    ("device key of 7", message(b'"k":"abcd123","d":"x"'), b"[3,0]"),
    # payload type -> 4
    ("data is a number", message(SEED + b',"d":21.5'), b"[4,0]"),
    ("data is an object", message(SEED + b',"d":{"a":1}'), b"[4,0]"),
    ("data is null", message(SEED + b',"d":null'), b"[4,0]"),
    ("SMS of 161 characters", b"S1d3g5a7b+15551234567 " + b"x" * 161 + b"\r\r", b"4"),
    # metadata -> 7
    ("metadata without 0x01", message(b'"k":"abcd1234","m":"agnostic-1.0","d":"x"'), b"[7,0]"),
    # topics -> 8
    ("topic a number", message(SEED + b',"t":[1],"d":"x"'), b"[8,0]"),
    ("topic empty", message(SEED + b',"t":"","d":"x"'), b"[8,0]"),
    ("topics an object", message(SEED + b',"t":{"a":"b"},"d":"x"'), b"[8,0]"),
    ("topic too long", message(SEED + b',"t":["' + b"T" * 257 + b'"],"d":"x"'), b"[8,0]"),
]


@pytest.mark.parametrize(
    ("request_bytes", "reply"),
    [pytest.param(r, a, id=name) for name, r, a in BAD_REQUESTS],
)
def test_bad_request_gets_its_code_and_nothing_is_stored(cloud, request_bytes, reply):
    assert exchange(cloud.port, request_bytes) == reply
    assert cloud.messages() == []
    assert cloud.sms() == []


def test_wrong_key_for_a_known_cloud_id_is_refused(cloud):
    assert exchange(cloud.port, message(SEED + b',"d":"first"')) == b"[0,0]"
    assert exchange(cloud.port, message(b'"s":"1d3g","c":"zzzz","d":"x"')) == b"[3,0]"
    assert exchange(cloud.port, b"S1d3gzzzz+15551234567 hi\r\r") == b"3"
    assert [m.data for m in cloud.messages()] == ["first"]


GOOD_MESSAGES = [
    ("seed, topic list", message(SEED + b',"t":["TEMP","HUMIDITY"],"d":"21.5"'),
     ["TEMP", "HUMIDITY"], "21.5"),
    ("seed, one topic string", message(SEED + b',"t":"TEMP","d":"x"'), ["TEMP"], "x"),
    ("seed, no topics", message(SEED + b',"d":"no topics"'), [], "no topics"),
    ("device key with metadata", message(b'"k":"abcd1234","m":"\\u0001agnostic-1.0.0","d":"dk"'),
     [], "dk"),
    ("long field names", message(b'"devicekey":"abcd1234","tags":["A"],"data":"long"'),
     ["A"], "long"),
    ("two newlines", message(SEED + b',"d":"nl"', b"\n\n"), [], "nl"),
    ("CRLF CRLF", message(SEED + b',"d":"crlf"', b"\r\n\r\n"), [], "crlf"),
    ("unicode", message(SEED + ',"d":"21.5 \u00b0C \u2713"'.encode()), [], "21.5 \u00b0C \u2713"),
]


@pytest.mark.parametrize(
    ("request_bytes", "topics", "data"),
    [pytest.param(r, t, d, id=name) for name, r, t, d in GOOD_MESSAGES],
)
def test_good_message_is_stored_and_answered_0(cloud, request_bytes, topics, data):
    assert exchange(cloud.port, request_bytes) == b"[0,0]"
    [stored] = cloud.messages()
    assert (stored.topics, stored.data) == (topics, data)


def test_request_complete_at_half_close_without_terminator(cloud):
    assert exchange(cloud.port, message(SEED + b',"d":"half"', b""), half_close=True) == b"[0,0]"
    assert exchange(cloud.port, b"S1d3g5a7b+15551234567 sms half", half_close=True) == b"0"
    assert [m.data for m in cloud.messages()] == ["half"]
    assert [s.text for s in cloud.sms()] == ["sms half"]


def test_empty_connection_gets_no_reply(cloud):
    assert exchange(cloud.port, b"", half_close=True) == b""
    assert exchange(cloud.port, b"\r\r") == b"[5,0]"


def test_request_split_across_many_writes(cloud):
    import socket
    import time

    data = message(SEED + b',"t":["SPLIT"],"d":"in pieces"')
    with socket.create_connection(("127.0.0.1", cloud.port), timeout=5) as sock:
        for i in range(len(data)):
            sock.sendall(data[i : i + 1])
            if data[i : i + 1] == b"\r":
                time.sleep(0.01)  # the terminator itself is split across reads
        assert sock.recv(100) == b"[0,0]"
    assert cloud.messages()[0].topics == ["SPLIT"]


def test_sms_with_seed_auth_and_with_device_key(cloud):
    assert exchange(cloud.port, message(b'"k":"abcd1234","d":"hello"')) == b"[0,0]"
    assert exchange(cloud.port, message(SEED + b',"d":"hi"')) == b"[0,0]"
    assert exchange(cloud.port, b"Sabcd1234+15551234567 by device key\r\r") == b"0"
    assert exchange(cloud.port, b"S1d3g5a7b+4915112345678 by seed\r\r") == b"0"
    by_key, by_seed = cloud.sms()
    assert (by_key.device, by_key.destination, by_key.text) == (
        cloud.messages()[0].device, "+15551234567", "by device key"
    )
    assert (by_seed.device, by_seed.destination) == (cloud.messages()[1].device, "+4915112345678")


def test_client_sdk_and_server_agree(cloud):
    """What protocol.encode_message writes, the server stores unchanged."""
    from hologram_sdk.wire.protocol import Credentials, encode_message, encode_sms

    creds = Credentials(cloud_id="1d3g", cloud_key="5a7b")
    assert exchange(cloud.port, encode_message(creds, "a \"quoted\" {json}", ["X"])) == b"[0,0]"
    assert exchange(cloud.port, encode_sms(creds, "+15551234567", "text")) == b"0"
    assert cloud.messages()[0].data == 'a "quoted" {json}'
    assert json.loads(json.dumps(cloud.messages()[0].as_dict()))["topics"] == ["X"]
