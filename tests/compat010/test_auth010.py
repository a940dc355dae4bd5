"""0.10's payload builders (``Hologram.Authentication``) over our request codec; the
payload they build is accepted by the local cloud."""

from __future__ import annotations

import socket

import pytest

from Exceptions.HologramError import AuthenticationError
from Hologram.Authentication import CSRPSKAuthentication, HologramAuthentication
from hologram_sdk.emulator.cloud import LocalCloud

KEY = {"devicekey": "12345678"}


def test_csrpsk_payload_bytes():
    auth = CSRPSKAuthentication(dict(KEY))
    assert auth.buildPayloadString("hi", modem_type="E303") == (
        b'{"k": "12345678", "m": "\\u0001e303-None", "d": "hi"}\r\r')
    assert auth.buildPayloadString("hi", topics=["a", "b"], modem_type="Nova",
                                   modem_id="SARA-U201", version="0.9.1") == (
        b'{"k": "12345678", "m": "\\u0001nova-SARA-U201-0.9.1", "t": ["a", "b"], '
        b'"d": "hi"}\r\r')
    assert auth.buildSMSPayloadString("+15551234567", "yo") == b"S12345678+15551234567 yo\r\r"


def test_csrpsk_refusals():
    auth = CSRPSKAuthentication(dict(KEY))
    auth.credentials["devicekey"] = "12345"
    with pytest.raises(AuthenticationError, match="Device key must be 8 characters long"):
        auth.buildPayloadString("x")
    with pytest.raises(AuthenticationError, match="Credentials is not a dictionary"):
        CSRPSKAuthentication("12345678").buildPayloadString("x")
    with pytest.raises(AuthenticationError, match="Must set devicekey"):
        CSRPSKAuthentication({"devicekey": ""}).buildSMSPayloadString("+15551234567", "x")
    base = HologramAuthentication(KEY)
    with pytest.raises(NotImplementedError, match="Must instantiate a subclass"):
        base.buildPayloadString("x")
    assert base.build_modem_type_id_str(None, None) == "agnostic"
    assert base.build_modem_type_id_str("MS2131", "x") == "ms2131"
    assert base.metadata_version == b"\x01"


def test_the_local_cloud_accepts_the_0_10_payload(tmp_path):
    payload = CSRPSKAuthentication(dict(KEY)).buildPayloadString("hello", topics=["t1"])
    with LocalCloud(port=0, db=tmp_path / "c.db", idle_timeout=2.0) as cloud:
        with socket.create_connection(("127.0.0.1", cloud.port), timeout=5) as sock:
            sock.sendall(payload)
            reply = sock.recv(64)
        stored = cloud.messages()
    assert reply.startswith(b"[0,0]")
    assert [(m.data, m.topics) for m in stored] == [("hello", ["t1"])]
