"""TOTP end to end: the modem emulator on a real pty gives ICCID and IMSI, the
client sends over loopback TCP, the local cloud verifies and stores."""

from __future__ import annotations

import datetime
import socket
import time

import pytest

from hologram_sdk.cloud.hologram import ERR_AUTHINVALID, ERR_OK, HologramCloud
from hologram_sdk.emulator.cloud import LocalCloud
from hologram_sdk.errors import (
    AuthenticationError,
    ClockNotSetError,
    CloudTimeoutError,
    ConfigurationError,
    HologramError,
)
from hologram_sdk.wire.auth import compact, otp
from tests.auth.support import (
    ICCID,
    IMSI,
    all_logs_at_debug,
    assert_no_secret,
    devices_file,
    emulated_modem,
    raw_request,
)

DEVICEKEY = "Zq8Lm3Vx"
DEVICES = [
    {"name": "totp-1", "auth": "totp", "iccid": ICCID, "imsi": IMSI},
    {"name": "keyed", "devicekey": DEVICEKEY},
]


@pytest.fixture
def local_cloud(tmp_path):
    path = devices_file(tmp_path, DEVICES)
    with LocalCloud(port=0, db=tmp_path / "cloud.db", devices=path) as cloud:
        yield cloud


def _client(cloud, modem, **kwargs):
    return HologramCloud(
        {},
        enable_inbound=False,
        authentication_type="totp",
        modem=modem,
        send_host="127.0.0.1",
        send_port=cloud.port,
        outbox=False,
        **kwargs,
    )


def test_totp_device_sends_a_message_and_an_sms(local_cloud, tmp_path):
    with emulated_modem() as modem:
        with _client(local_cloud, modem) as client:
            assert client.authentication_type == "totp"
            assert client.sendMessage("hello totp", topics=["t1", "t2"]) == ERR_OK
            assert client.sendSMS("+15551234567", "sms by totp") == ERR_OK
            assert client.sendMessage("second in the same second") == ERR_OK
    [first, second] = local_cloud.messages()
    assert (first.device, first.data, first.topics) == ("totp-1", "hello totp", ["t1", "t2"])
    assert second.data == "second in the same second"
    [sms] = local_cloud.sms()
    assert (sms.device, sms.destination, sms.text) == ("totp-1", "+15551234567", "sms by totp")


def test_a_burst_of_messages_and_repeats_within_one_time_step(local_cloud):
    """Many requests share a time step (and a second); the same request repeated
    gets the next second from the client, so none is taken for a replay."""
    with emulated_modem() as modem:
        with _client(local_cloud, modem) as client:
            codes = [client.sendMessage(f"burst {i}") for i in range(40)]
            codes += [client.sendMessage("ping") for _ in range(5)]
    assert codes == [ERR_OK] * 45
    assert len(local_cloud.messages()) == 45


def test_a_replayed_otp_is_refused_and_nothing_stored(local_cloud):
    now = int(time.time())
    request = compact.encode(
        compact.totp_auth(ICCID, now, otp.totp(IMSI.encode(), now)), "once only"
    )
    assert raw_request(local_cloud.port, request) == b"0"
    assert raw_request(local_cloud.port, request) == b"3"
    assert [m.data for m in local_cloud.messages()] == ["once only"]


def test_a_wrong_otp_and_an_unknown_device_are_refused(local_cloud):
    now = int(time.time())
    good = otp.totp(IMSI.encode(), now)
    wrong = compact.encode(compact.totp_auth(ICCID, now, (good + 1) % 10**6), "x")
    assert raw_request(local_cloud.port, wrong) == b"3"
    other = "8910010000000000000"
    unknown = compact.encode(compact.totp_auth(other, now, otp.totp(IMSI.encode(), now)), "x")
    assert raw_request(local_cloud.port, unknown) == b"3"
    assert local_cloud.messages() == []


def test_a_clock_two_windows_off_is_refused(local_cloud):
    with emulated_modem() as modem:
        with _client(local_cloud, modem, clock=lambda: time.time() - 60) as client:
            assert client.sendMessage("late") == ERR_AUTHINVALID
            assert client.sendSMS("+15551234567", "late") == ERR_AUTHINVALID
        with _client(local_cloud, modem, clock=lambda: time.time() + 60) as client:
            assert client.sendMessage("early") == ERR_AUTHINVALID
    assert local_cloud.messages() == [] and local_cloud.sms() == []


def test_a_clock_before_2020_is_a_typed_error_not_a_doomed_token(local_cloud):
    with emulated_modem() as modem:
        with _client(local_cloud, modem, clock=lambda: 86400.0) as client:
            with pytest.raises(ClockNotSetError, match="before 2020"):
                client.sendMessage("never sent")
    assert local_cloud.messages() == []


def test_the_modem_clock_can_be_the_time_source(local_cloud):
    with emulated_modem() as modem:
        with _client(local_cloud, modem, clock="modem") as client:
            assert client.sendMessage("by +CCLK") == ERR_OK
    assert [m.data for m in local_cloud.messages()] == ["by +CCLK"]
    unset = datetime.datetime(2004, 1, 1, tzinfo=datetime.timezone.utc)  # an RTC never set
    with emulated_modem(clock=lambda: unset) as modem:
        with _client(local_cloud, modem, clock="modem") as client:
            with pytest.raises(ClockNotSetError):
                client.sendMessage("1970")


def test_totp_without_a_modem_is_the_010_error():
    with pytest.raises(AuthenticationError) as info:
        HologramCloud({"devicekey": "12345678"}, enable_inbound=False, authentication_type="totp")
    assert str(info.value) == "Unable to fetch device id or private key for TOTP authenication"
    with pytest.raises(AuthenticationError, match="authenication"):
        HologramCloud({}, enable_inbound=False)  # no key: totp, as 0.10's default


def test_unknown_authentication_type():
    with pytest.raises(HologramError) as info:
        HologramCloud({"devicekey": "12345678"}, enable_inbound=False, authentication_type="otp")
    assert str(info.value) == "Invalid authentication type: otp"


def test_credentials_with_a_key_keep_csrpsk_by_default():
    seed = HologramCloud({"cloud_id": "Q7zX", "cloud_key": "K9wV"}, enable_inbound=False)
    key = HologramCloud({"devicekey": "Zq8Lm3Vx"}, enable_inbound=False)
    receive_only = HologramCloud(None, enable_inbound=False)
    assert seed.authentication_type == key.authentication_type == "csrpsk"
    assert receive_only.authentication_type == "csrpsk"

    class Face010(HologramCloud):
        default_authentication_type = "totp"

    with pytest.raises(AuthenticationError):
        Face010({"devicekey": "12345678"}, enable_inbound=False)
    assert (
        Face010({"cloud_id": "Q7zX", "cloud_key": "K9wV"}, enable_inbound=False).authentication_type
        == "csrpsk"
    )


def test_a_nul_in_a_totp_message_is_refused_before_sending(local_cloud):
    with emulated_modem() as modem:
        with _client(local_cloud, modem) as client:
            with pytest.raises(ConfigurationError, match="NUL"):
                client.sendMessage("a\x00b")


def test_a_nonce_the_cloud_never_sends_is_a_timeout():
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        with emulated_modem() as modem:
            client = HologramCloud(
                {},
                enable_inbound=False,
                authentication_type="sim-otp",
                modem=modem,
                send_host="127.0.0.1",
                send_port=port,
                outbox=False,
            )
            with client:
                started = time.monotonic()
                with pytest.raises(CloudTimeoutError, match="no nonce"):
                    client.sendMessage("never", timeout=0.5)
                assert time.monotonic() - started < 5


def test_no_secret_in_any_log_line_or_in_the_database(tmp_path):
    db = tmp_path / "secrets.db"
    started = int(time.time())
    with all_logs_at_debug() as logs:
        with LocalCloud(port=0, db=db, devices=devices_file(tmp_path, DEVICES)) as cloud:
            with emulated_modem() as modem:
                with _client(cloud, modem) as client:
                    assert client.sendMessage("logged run", topics=["t"]) == ERR_OK
                    assert client.sendSMS("+15551234567", "logged sms") == ERR_OK
                with _client(cloud, modem, clock=lambda: time.time() - 60) as late:
                    assert late.sendMessage("refused") == ERR_AUTHINVALID
            keyed = HologramCloud(
                {"devicekey": DEVICEKEY},
                enable_inbound=False,
                send_host="127.0.0.1",
                send_port=cloud.port,
                outbox=False,
            )
            with keyed:
                assert keyed.sendMessage("by key") == ERR_OK
            assert len(cloud.messages()) == 2 and len(cloud.sms()) == 1
    ended = int(time.time()) + 2
    assert any("message from totp-1" in line for line in logs.lines)
    assert any("refused: 3" in line for line in logs.lines)
    otps = {str(otp.totp(IMSI.encode(), t)) for t in range(started - 90, ended + 30)}
    assert_no_secret(logs.lines, db.read_bytes(), [IMSI, DEVICEKEY])
    text = "\n".join(logs.lines)
    import re

    for value in otps:
        assert not re.search(rf"(?<![0-9]){value}(?![0-9])", text), "an OTP appears in the log"
