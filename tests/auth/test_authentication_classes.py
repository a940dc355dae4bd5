"""The 0.10 ``Authentication`` classes: 0.10's payload bytes and messages, and
TOTP/SIM-OTP payloads the local cloud's decoder accepts."""

from __future__ import annotations

import time

import pytest

from hologram_sdk.cloud.authentication import (
    Authentication,
    CSRPSKAuthentication,
    HologramAuthentication,
    SIMOTPAuthentication,
    TOTPAuthentication,
)
from hologram_sdk.emulator.usim import Usim
from hologram_sdk.errors import AuthenticationError
from hologram_sdk.wire.auth import compact, milenage, otp, simotp
from tests.auth.support import ICCID, IMSI, KI, OPC

KEY = {"devicekey": "12345678"}


def test_authentication_holds_credentials():
    auth = Authentication(KEY)
    assert auth.credentials is KEY
    auth.credentials = {"devicekey": "87654321"}
    assert auth.credentials["devicekey"] == "87654321"
    assert "1234" not in repr(CSRPSKAuthentication(KEY))


@pytest.mark.parametrize(
    "call",
    [
        lambda a: a.buildPayloadString("msg", "topic"),
        lambda a: a.buildTopicString("topic"),
        lambda a: a.buildMessageString("msg"),
        lambda a: a.buildAuthString(),
    ],
)
def test_the_template_is_abstract(call):
    with pytest.raises(
        NotImplementedError, match="Must instantiate a subclass of HologramAuthentication"
    ):
        call(HologramAuthentication(KEY))


def test_modem_type_id_strings():
    auth = HologramAuthentication(KEY)
    assert auth.build_modem_type_id_str("Nova", "TEST_SARA-1111") == "nova-TEST_SARA-1111"
    assert auth.build_modem_type_id_str("MS2131", "TEST_SARA-1111") == "ms2131"
    assert auth.build_modem_type_id_str(None, None) == "agnostic"
    assert auth.metadata_version == b"\x01"


def test_csrpsk_payloads_are_010s_bytes():
    auth = CSRPSKAuthentication(dict(KEY))
    assert auth.buildPayloadString("test without topics", modem_type="E303") == (
        b'{"k": "12345678", "m": "\\u0001e303-None", "d": "test without topics"}\r\r'
    )
    with_topics = auth.buildPayloadString("m", topics=["a"], version="1.0")
    assert with_topics == b'{"k": "12345678", "m": "\\u0001agnostic-1.0", "t": ["a"], "d": "m"}\r\r'
    # nothing carries over: the next payload has no topics
    assert b'"t"' not in auth.buildPayloadString("next")
    assert auth.buildSMSPayloadString("+15551234567", "hi") == b"S12345678+15551234567 hi\r\r"


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ("not a dict", "Credentials is not a dictionary"),
        ({"devicekey": ""}, "Must set devicekey to use CSRPSKAuthentication"),
        ({"devicekey": "12345"}, "Device key must be 8 characters long"),
    ],
)
def test_csrpsk_bad_keys(credentials, message):
    with pytest.raises(AuthenticationError, match=message):
        CSRPSKAuthentication(credentials).buildPayloadString("x")


def test_totp_payload_decodes_and_verifies():
    auth = TOTPAuthentication({"device_id": ICCID, "private_key": IMSI})
    payload = auth.buildPayloadString(["one", "two"], topics="t", modem_type="E303", version="1.0")
    request = compact.decode(payload.encode())
    assert (request.method, request.device_id) == ("totp", ICCID)
    assert abs(request.timestamp - time.time()) < 60
    assert request.messages == ["one", "two"] and request.topics == ["t"]
    assert request.metadata == "\x01e303-1.0"
    assert request.credential == str(otp.totp(IMSI.encode(), request.timestamp))


def test_simotp_round_trip_with_the_emulated_card():
    auth = SIMOTPAuthentication({})
    assert auth.buildNonceRequestPayloadString() == "N"
    nonce = "00112233445566778899aabbccddeeff"
    rand = auth.generate_sim_otp_command(
        imsi=IMSI, iccid=ICCID, nonce=nonce, timestamp=1_700_000_000
    )
    answer = Usim(KI, OPC).transmit(simotp.AUTHENTICATE_GSM_HEADER + rand + "00")
    auth.generate_sim_otp_token(answer)
    request = compact.decode(auth.buildPayloadString("hi").encode())
    assert request.method == "sim-otp" and request.device_id == ICCID
    sres, kc = milenage.Milenage(bytes.fromhex(KI), opc=bytes.fromhex(OPC)).gsm(bytes.fromhex(rand))
    assert request.credential == simotp.token(sres, kc, 1_700_000_000)
    with pytest.raises(AuthenticationError, match="6982"):
        auth.generate_sim_otp_token("6982")
    with pytest.raises(AuthenticationError, match="first"):
        SIMOTPAuthentication({}).buildAuthString()
