"""The local cloud's SIM-OTP checks over raw loopback sockets: nonces issued on the
connection, used once, expiring; tokens recomputed from the device's Ki/OPc."""

from __future__ import annotations

import time

import pytest

from hologram_sdk.emulator.cloud import LocalCloud
from hologram_sdk.errors import ConfigurationError
from hologram_sdk.wire.auth import compact, milenage, simotp
from tests.auth.support import ICCID, IMSI, KI, OPC, devices_file, raw_request

H = bytes.fromhex
DEVICE = {"name": "sim-1", "auth": "sim-otp", "iccid": ICCID, "imsi": IMSI, "ki": KI, "opc": OPC}


def _request(nonce: bytes, message: str, ki: str = KI, timestamp: int = 0) -> bytes:
    """What a SIM-OTP device sends for ``nonce`` (the SIM computed with ``ki``)."""
    timestamp = timestamp or int(time.time())
    rand = simotp.derive_rand(IMSI, ICCID, nonce, timestamp)
    sres, kc = milenage.Milenage(H(ki), opc=H(OPC)).gsm(rand)
    auth = compact.simotp_auth(ICCID, timestamp, simotp.token(sres, kc, timestamp))
    return compact.encode(auth, message, ["sim"])


class _Device:
    """Sends on a connection that asked for a nonce first (the request built from it)."""

    def __init__(self, port: int) -> None:
        self.port = port

    def send(self, message: str, **kwargs) -> tuple[bytes, bytes]:
        import socket

        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"N")
            nonce = b""
            while len(nonce) < compact.NONCE_SIZE:
                nonce += sock.recv(compact.NONCE_SIZE - len(nonce))
            request = _request(nonce, message, **kwargs)
            sock.sendall(request)
            reply = b""
            while chunk := sock.recv(16):
                reply += chunk
        return reply, request


@pytest.fixture
def cloud(tmp_path):
    with LocalCloud(port=0, db=tmp_path / "c.db", devices=devices_file(tmp_path, [DEVICE])) as c:
        yield c


def test_a_token_from_the_right_key_is_accepted(cloud):
    reply, _ = _Device(cloud.port).send("from the SIM")
    assert reply == b"0"
    [stored] = cloud.messages()
    assert (stored.device, stored.topics, stored.data) == ("sim-1", ["sim"], "from the SIM")


def test_a_reused_nonce_is_refused(cloud):
    reply, request = _Device(cloud.port).send("first")
    assert reply == b"0"
    # the same request again: on a connection without a nonce, and after a new one
    assert raw_request(cloud.port, request) == b"3"
    again, _nonce = raw_request(cloud.port, request, nonce_first=True)
    assert again == b"3"
    assert [m.data for m in cloud.messages()] == ["first"]


def test_a_wrong_ki_is_refused(cloud):
    reply, _ = _Device(cloud.port).send("forged", ki="00" * 16)
    assert reply == b"3"
    assert cloud.messages() == []


def test_a_nonce_expires(tmp_path):
    path = devices_file(tmp_path, [DEVICE])
    with LocalCloud(port=0, db=tmp_path / "c.db", devices=path, nonce_ttl=0.05) as cloud:
        import socket

        with socket.create_connection(("127.0.0.1", cloud.port), timeout=5) as sock:
            sock.sendall(b"N")
            nonce = b""
            while len(nonce) < compact.NONCE_SIZE:
                nonce += sock.recv(compact.NONCE_SIZE - len(nonce))
            time.sleep(0.3)  # well past the nonce's 0.05 s
            sock.sendall(_request(nonce, "too late"))
            assert sock.recv(16) == b"3"
        assert cloud.messages() == []


def test_op_instead_of_opc_and_bad_entries(tmp_path):
    op_entry = dict(DEVICE, opc=None, op="cdc202d5123e20f62b6d676ac72cb318")
    del op_entry["opc"]
    path = devices_file(tmp_path, [op_entry])
    with LocalCloud(port=0, db=tmp_path / "c.db", devices=path) as cloud:
        assert _Device(cloud.port).send("op works")[0] == b"0"
    for bad, fragment in [
        (dict(DEVICE, ki="xyz"), "'ki' must be 32 hex digits"),
        (dict(DEVICE, auth="otp"), "'auth' must be one of"),
        (dict(DEVICE, imsi=""), "needs 'imsi'"),
        ({"auth": "totp", "iccid": ICCID}, "needs 'imsi'"),
    ]:
        with pytest.raises(ConfigurationError, match=fragment):
            LocalCloud(port=0, devices=devices_file(tmp_path, [bad]))
