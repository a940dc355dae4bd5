"""SIM-OTP end to end: the emulated USIM (real MILENAGE over AT+CSIM on a real pty)
answers AUTHENTICATE, the client sends over loopback TCP, the local cloud checks
the token from the device's Ki/OPc and stores the message and the SMS."""

from __future__ import annotations

import re
import time

import pytest

from hologram_sdk.cloud.hologram import ERR_AUTHINVALID, ERR_OK, HologramCloud
from hologram_sdk.emulator.cloud import LocalCloud
from hologram_sdk.errors import SIMAuthenticationError
from hologram_sdk.modem.simauth import sim_authenticate
from hologram_sdk.wire.auth import milenage
from tests.auth.support import (
    ICCID,
    IMSI,
    KI,
    OPC,
    all_logs_at_debug,
    assert_no_secret,
    devices_file,
    emulated,
    emulated_modem,
)

DEVICE = {"name": "sim-1", "auth": "sim-otp", "iccid": ICCID, "imsi": IMSI, "ki": KI, "opc": OPC}
OTHER_KI = "0396eb317b6d1c36f19c1c84cd6ffd16"  # TS 35.208 test set 2's K


def _client(cloud, modem, **kwargs):
    return HologramCloud(
        {},
        enable_inbound=False,
        authentication_type="sim-otp",
        modem=modem,
        send_host="127.0.0.1",
        send_port=cloud.port,
        outbox=False,
        **kwargs,
    )


@pytest.fixture
def local_cloud(tmp_path):
    with LocalCloud(port=0, db=tmp_path / "c.db", devices=devices_file(tmp_path, [DEVICE])) as c:
        yield c


def test_the_emulated_sim_answers_as_milenage_says():
    rand = bytes.fromhex("23553cbe9637a89d218ae64dae47bf35")  # TS 55.205 test set 1
    with emulated_modem(ki=KI, opc=OPC) as modem:
        sres, kc = sim_authenticate(modem, rand)
    assert (sres.hex(), kc.hex()) == ("46f8416a", "eae4be823af9a08b")
    expected = milenage.Milenage(bytes.fromhex(KI), opc=bytes.fromhex(OPC)).gsm(rand)
    assert (sres, kc) == expected


def test_sim_otp_device_sends_a_message_and_an_sms(local_cloud):
    with emulated_modem(ki=KI, opc=OPC) as modem:
        with _client(local_cloud, modem) as client:
            assert client.authentication_type == "sim-otp"
            assert client.sendMessage("hello sim", topics=["s"]) == ERR_OK
            assert client.sendSMS("+15551234567", "sms by sim-otp") == ERR_OK
            assert client.sendMessage("again") == ERR_OK
    assert [(m.device, m.data, m.topics) for m in local_cloud.messages()] == [
        ("sim-1", "hello sim", ["s"]),
        ("sim-1", "again", []),
    ]
    [sms] = local_cloud.sms()
    assert (sms.device, sms.destination, sms.text) == ("sim-1", "+15551234567", "sms by sim-otp")


def test_a_sim_with_another_ki_is_refused(local_cloud):
    with emulated_modem(ki=OTHER_KI, opc=OPC) as modem:
        with _client(local_cloud, modem) as client:
            assert client.sendMessage("forged") == ERR_AUTHINVALID
            assert client.sendSMS("+15551234567", "forged") == ERR_AUTHINVALID
    assert local_cloud.messages() == [] and local_cloud.sms() == []


def test_a_clock_two_windows_off_is_refused(local_cloud):
    with emulated_modem(ki=KI, opc=OPC) as modem:
        with _client(local_cloud, modem, clock=lambda: time.time() - 60) as client:
            assert client.sendMessage("late") == ERR_AUTHINVALID
    assert local_cloud.messages() == []


def test_a_sim_waiting_for_its_pin_refuses_with_6982(local_cloud):
    with emulated(ki=KI, opc=OPC) as (emu, modem):
        with _client(local_cloud, modem) as client:
            assert client.sendMessage("first") == ERR_OK  # ICCID/IMSI read while ready
            emu.set(sim="pin")
            with pytest.raises(SIMAuthenticationError, match="6982") as info:
                client.sendMessage("locked")
            assert info.value.status_word == "6982"
    assert [m.data for m in local_cloud.messages()] == ["first"]


def test_no_secret_in_any_log_line_or_in_the_database(tmp_path):
    db = tmp_path / "secrets.db"
    with all_logs_at_debug() as logs:
        with LocalCloud(port=0, db=db, devices=devices_file(tmp_path, [DEVICE])) as cloud:
            with emulated_modem(ki=KI, opc=OPC) as modem:
                with _client(cloud, modem) as client:
                    assert client.sendMessage("logged", topics=["t"]) == ERR_OK
                    assert client.sendSMS("+15551234567", "logged sms") == ERR_OK
            with emulated_modem(ki=OTHER_KI, opc=OPC) as modem:
                with _client(cloud, modem) as client:
                    assert client.sendMessage("refused") == ERR_AUTHINVALID
            assert len(cloud.messages()) == 1 and len(cloud.sms()) == 1
    assert any("refused: 3" in line for line in logs.lines)
    assert any("+CSIM" in line for line in logs.lines)  # the exchange was logged, masked
    assert_no_secret(logs.lines, db.read_bytes(), [KI, OPC, OTHER_KI, IMSI])
    text = "\n".join(logs.lines)
    assert not re.search(r"[0-9a-f]{64}", text), "a SIM-OTP token appears in the log"
    assert not re.search(r"04[0-9A-Fa-f]{8}08[0-9A-Fa-f]{16}", text), "SRES/Kc in the log"
    assert not re.search(rb"[0-9a-f]{64}", db.read_bytes()), "a token in the database"


def test_a_request_for_a_used_nonce_is_refused(local_cloud):
    """The SIM on the pty answers for a nonce; the request is accepted once, and
    refused when replayed on a connection that got another nonce, or none."""
    import socket

    from hologram_sdk.cloud.auth import SIMOTPAuthenticator, sim_authenticator
    from tests.auth.support import raw_request

    with emulated_modem(ki=KI, opc=OPC) as modem:
        device = SIMOTPAuthenticator(ICCID, IMSI, sim_authenticator(modem))
        with socket.create_connection(("127.0.0.1", local_cloud.port), timeout=5) as sock:
            sock.sendall(b"N")
            nonce = b""
            while len(nonce) < 16:
                nonce += sock.recv(16 - len(nonce))
            request = device.encode(nonce, "once", ["n"])
            sock.sendall(request)
            assert sock.recv(16) == b"0"
    reply, other_nonce = raw_request(local_cloud.port, request, nonce_first=True)
    assert other_nonce != nonce and reply == b"3"
    assert raw_request(local_cloud.port, request) == b"3"
    assert [m.data for m in local_cloud.messages()] == ["once"]
