"""HologramCloud over real loopback sockets: wire bytes, result codes, SMS, logging."""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest

import hologram_sdk
from hologram_sdk.base.errors import (
    CloudConnectionError,
    CloudTimeoutError,
    CredentialsError,
    HologramError,
    InboundBindError,
    InvalidPhoneNumberError,
    MessageTooLongError,
)
from hologram_sdk.cloud.hologram import (
    DEFAULT_RECEIVE_HOST,
    ERR_AUTHINVALID,
    ERR_CONNCLOSED,
    ERR_OK,
    ERR_UNKNOWN,
    HologramCloud,
    mask_credentials,
)
from hologram_sdk.wire.protocol import ResultCode
from tests.support.net import HOST, closed_port, free_port, send_raw, wait_for
from tests.support.servers import ReplyServer

SEED = {"cloud_id": "Q7zX", "cloud_key": "K9wV"}
DEVICEKEY = {"devicekey": "Zq8Lm3Vx"}
SECRETS = ("Q7zX", "K9wV", "Zq8Lm3Vx")


def _cloud(server, credentials=SEED, **kwargs):
    return HologramCloud(credentials, enable_inbound=False, send_host=HOST,
                         send_port=server.port, **kwargs)


def _body(request: bytes) -> dict:
    assert request.endswith(b"\r\r")
    return json.loads(request[:-2])


def test_reference_defaults():
    cloud = HologramCloud(SEED, enable_inbound=False)
    assert cloud.send_host == "cloudsocket.hologram.io"
    assert cloud.send_port == 9999
    assert cloud.receive_host == DEFAULT_RECEIVE_HOST == "0.0.0.0"
    assert cloud.receive_port == 4010
    assert cloud.credentials == SEED
    assert cloud.network.listAvailableInterfaces() == [
        "", "cellular-e303", "cellular-iota", "cellular-ms2131"]


def test_seed_credentials_wire_bytes_with_topics():
    with ReplyServer() as server:
        cloud = _cloud(server)
        assert cloud.sendMessage("hi there!", topics=["TOPIC 1", "TOPIC 2"]) == ERR_OK
        assert cloud.sendMessage("21.5", topics="TEMP") == ERR_OK
        assert cloud.sendMessage("plain") == ERR_OK
    assert server.requests[0] == (
        b'{"s":"Q7zX","c":"K9wV","t":["TOPIC 1","TOPIC 2"],"d":"hi there!"}\r\r')
    assert _body(server.requests[1]) == {"s": "Q7zX", "c": "K9wV", "t": ["TEMP"], "d": "21.5"}
    # no topic carried over from the message before
    assert _body(server.requests[2]) == {"s": "Q7zX", "c": "K9wV", "d": "plain"}


def test_devicekey_wire_bytes_carry_metadata():
    with ReplyServer() as server:
        assert _cloud(server, DEVICEKEY).sendMessage("x", topics=["a"]) == ERR_OK
    body = _body(server.requests[0])
    assert body == {"k": "Zq8Lm3Vx", "m": f"\x01agnostic-{hologram_sdk.__version__}",
                    "t": ["a"], "d": "x"}


def test_metadata_names_the_modem_when_one_is_given():
    with ReplyServer() as server:
        _cloud(server, DEVICEKEY, modem="e303").sendMessage("x")
    assert _body(server.requests[0])["m"] == f"\x01e303-{hologram_sdk.__version__}"


def test_result_code_compares_and_prints_like_the_reference():
    with ReplyServer(reply=b"[0,0]") as server:
        result = _cloud(server).sendMessage("x")
    assert result == ERR_OK
    assert result == 0
    assert str(result) == "0"
    assert isinstance(result, ResultCode)


@pytest.mark.parametrize(
    ("reply", "code"),
    [(b"[3,0]", ERR_AUTHINVALID), (b"[1,0]", ERR_CONNCLOSED), (b"", ERR_UNKNOWN),
     (b"garbage", ERR_UNKNOWN), (b"[42,0]", ERR_UNKNOWN)],
)
def test_result_codes_from_the_reply(reply, code):
    # outbox=False: with the outbox a close with no answer is queued and sent again
    # (tests/outbox/test_cloud_outbox.py), not given up as unknown
    with ReplyServer(reply=reply) as server:
        assert _cloud(server, outbox=False).sendMessage("x") == code


def test_message_sent_only_on_success():
    sent = []
    with ReplyServer(reply=b"[3,0]") as server:
        cloud = _cloud(server)
        cloud.event.subscribe("message.sent", sent.append)
        assert cloud.sendMessage("refused") == ERR_AUTHINVALID
        server.reply = b"[0,0]"
        assert cloud.sendMessage("accepted") == ERR_OK
    assert sent == ["accepted"]


def test_a_reply_on_an_open_line_does_not_cost_the_timeout():
    with ReplyServer(reply=b"[0,0]", keep_open=True) as server:
        start = time.monotonic()
        assert _cloud(server).sendMessage("fast", timeout=5) == ERR_OK
    assert time.monotonic() - start < 1.5


def test_transport_failures_are_typed():
    with ReplyServer(reply=None) as server:
        with pytest.raises(CloudTimeoutError):
            _cloud(server, outbox=False).sendMessage("x", timeout=0.3)
    cloud = HologramCloud(SEED, enable_inbound=False, send_host=HOST, send_port=closed_port(),
                          outbox=False)
    with pytest.raises(CloudConnectionError):
        cloud.sendMessage("x", timeout=1)


def test_sms_wire_bytes_and_reply():
    with ReplyServer(reply=b"0") as server:
        assert _cloud(server).sendSMS("+15551234567", "hello") == ERR_OK
        assert _cloud(server, DEVICEKEY).sendSMS("+15551234567", "Hello, Python!") == ERR_OK
    assert server.requests == [b"SQ7zXK9wV+15551234567 hello\r\r",
                               b"SZq8Lm3Vx+15551234567 Hello, Python!\r\r"]


@pytest.mark.parametrize(
    ("number", "text", "error"),
    [("15551234567", "no plus", InvalidPhoneNumberError),
     ("+1555", "too short", InvalidPhoneNumberError),
     ("+1555123456789012", "too long", InvalidPhoneNumberError),
     ("+1555abc4567", "letters", InvalidPhoneNumberError),
     (None, "none", InvalidPhoneNumberError),
     ("+15551234567", "x" * 161, MessageTooLongError),
     ("+15551234567", "two\r\rrequests", MessageTooLongError)],
)
def test_sms_is_checked_before_anything_is_sent(number, text, error):
    with ReplyServer(reply=b"0") as server:
        with pytest.raises(error) as info:
            _cloud(server).sendSMS(number, text)
        assert isinstance(info.value, HologramError)
    assert server.connections == 0


def test_sms_of_exactly_160_characters_is_sent():
    with ReplyServer(reply=b"0") as server:
        assert _cloud(server).sendSMS("+15551234567", "y" * 160) == ERR_OK


@pytest.mark.parametrize(
    "bad",
    [{}, {"cloud_id": "abc", "cloud_key": "abcd"}, {"cloud_id": "abcd"},
     {"devicekey": "short"}, "Q7zXK9wV", ["Q7zX", "K9wV"]],
)
def test_bad_credentials_fail_at_construction(bad):
    with pytest.raises(CredentialsError):
        HologramCloud(bad, enable_inbound=False)


def test_no_credentials_can_receive_but_not_send():
    port = free_port()
    with HologramCloud(None, receive_host=HOST, receive_port=port) as cloud:
        send_raw(port, b"down to the device")
        assert wait_for(lambda: cloud.popReceivedMessage() == "down to the device")
        with pytest.raises(CredentialsError):
            cloud.sendMessage("x")
        with pytest.raises(CredentialsError):
            cloud.sendSMS("+15551234567", "x")


def test_inbound_is_on_by_default_and_a_bind_failure_says_how_to_turn_it_off():
    with socket.create_server((HOST, 0)) as holder:
        port = holder.getsockname()[1]
        with pytest.raises(InboundBindError) as info:
            HologramCloud(SEED, receive_host=HOST, receive_port=port)
    assert str(port) in str(info.value)
    assert "enable_inbound=False" in str(info.value)


def test_result_strings_and_success():
    cloud = HologramCloud(SEED, enable_inbound=False)
    assert cloud.getResultString(0) == "Message sent successfully"
    assert cloud.getResultString(ERR_AUTHINVALID) == "Auth section of the message was invalid"
    assert cloud.getResultString(99) == cloud.getResultString(ERR_UNKNOWN)
    assert cloud.resultWasSuccess(ERR_OK) and cloud.resultWasSuccess(1)
    assert not cloud.resultWasSuccess(ERR_AUTHINVALID)
    assert not cloud.resultWasSuccess(-1)


def test_credentials_never_reach_the_logs(caplog):
    caplog.set_level(logging.DEBUG)
    with ReplyServer(reply=b"[0,0]") as server:
        _cloud(server).sendMessage("the payload", topics=["t"])
        _cloud(server, DEVICEKEY).sendMessage("the payload")
        server.reply = b"0"
        _cloud(server).sendSMS("+15551234567", "sms text")
        _cloud(server, DEVICEKEY).sendSMS("+15551234567", "sms text")
        repr(_cloud(server)._auth)
    text = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    assert "Connecting to 127.0.0.1" in text
    assert "the payload" in text  # payloads are there, at DEBUG only
    assert all(r.levelno == logging.DEBUG for r in caplog.records if "payload" in r.getMessage())
    for secret in SECRETS:
        assert secret not in text


def test_log_lines_read_like_the_reference(caplog):
    caplog.set_level(logging.INFO)
    with ReplyServer() as server:
        _cloud(server).sendMessage("x")
    record = next(r for r in caplog.records if r.getMessage().startswith("Connecting to"))
    assert record.name.rsplit(".", 1)[-1] == "HologramCloud"
    assert record.levelno == logging.INFO


def test_masking_helper():
    assert mask_credentials(b'{"s":"Q7zX","c":"K9wV","d":"x"}') == '{"s":"***","c":"***","d":"x"}'
    assert mask_credentials('{"k":"Zq8Lm3Vx","m":"\\u0001agnostic-1","d":"k"}') == (
        '{"k":"***","m":"\\u0001agnostic-1","d":"k"}')
    assert mask_credentials(b"SQ7zXK9wV+15551234567 hi") == "S***+15551234567 hi"
    assert mask_credentials('{"devicekey":"a\\"bcdefg","data":"d"}') == (
        '{"devicekey":"***","data":"d"}')
