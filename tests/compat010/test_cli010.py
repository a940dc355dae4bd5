"""hologram-python 0.10's ``hologram`` subcommands and flags, run as real processes
against a local cloud, the modem emulator and a loopback REST API."""

from __future__ import annotations

import datetime
import subprocess

import pytest

from hologram_sdk.emulator.cloud import LocalCloud
from hologram_sdk.emulator.modem import ModemEmulator
from tests.cli.util import HOLOGRAM, clean_env, run
from tests.compat010.test_api import FakeRestApi

KEY = "12345678"


@pytest.fixture
def env(tmp_path):
    return clean_env(tmp_path)


@pytest.fixture
def cloud(tmp_path):
    with LocalCloud(port=0, db=tmp_path / "cloud.db") as server:
        yield server


def test_version_both_spellings(env):
    from hologram_sdk import __version__

    for argv in (["version"], ["--version"]):
        done = run([*HOLOGRAM, *argv], env)
        assert done.returncode == 0 and done.stdout.strip().endswith(__version__)


def test_send_sms_with_0_10_flags(env, cloud):
    done = run([*HOLOGRAM, "send", "--devicekey", KEY, "--host", "127.0.0.1", "-p",
                str(cloud.port), "--sms", "--destination", "+15551234567", "hello sms"], env)
    assert done.returncode == 0, done.stderr
    assert [s.text for s in cloud.sms()] == ["hello sms"]
    done = run([*HOLOGRAM, "send", "--devicekey", KEY, "--cloud", "--sms", "x"], env)
    assert done.returncode == 2 and "either one of --cloud or --sms" in done.stderr
    done = run([*HOLOGRAM, "send", "--devicekey", KEY, "--sms", "x"], env)
    assert done.returncode == 2 and "--destination" in done.stderr


def test_send_with_authtype_and_verbosity(env, cloud):
    done = run([*HOLOGRAM, "send", "--devicekey", KEY, "--authtype", "csrpsk", "-vv",
                "--host", "127.0.0.1", "-p", str(cloud.port), "-t", "a", "--", "hi"], env)
    assert done.returncode == 0, done.stderr
    assert "RESPONSE FROM CLOUD: 0" in done.stdout
    assert KEY not in done.stderr  # -vv logs, never the key
    assert [(m.data, m.topics) for m in cloud.messages()] == [("hi", ["a"])]
    done = run([*HOLOGRAM, "send", "--devicekey", KEY, "--authtype", "nope", "x"], env)
    assert done.returncode == 2 and "invalid choice" in done.stderr


@pytest.mark.parametrize("command", ["send", "heartbeat"])
def test_repeat_and_duration(env, cloud, command):
    done = run([*HOLOGRAM, command, "--devicekey", KEY, "--host", "127.0.0.1", "-p",
                str(cloud.port), "--repeat", "1", "--duration", "2.5", "beat"], env)
    assert done.returncode == 0, done.stderr
    count = len(cloud.messages())
    assert count >= 2 and f"Sent {count} periodic message(s)" in done.stdout


def test_repeat_under_one_second_is_refused(env, cloud):
    done = run([*HOLOGRAM, "send", "--devicekey", KEY, "--host", "127.0.0.1", "-p",
                str(cloud.port), "--repeat", "0.5", "x"], env)
    assert done.returncode == 2 and "Interval cannot be less than 1 seconds" in done.stderr


def test_receive_sms_from_the_modem(env):
    when = datetime.datetime(2017, 6, 24, 0, 26, 49, tzinfo=datetime.timezone.utc)
    with ModemEmulator("iota") as emu:
        emu.start()
        emu.deliver_sms("+447937405250", "Test 123", timestamp=when)
        done = run([*HOLOGRAM, "receive", "--sms", "-m", "iota", "--device", emu.device,
                    "-t", "1"], env)
        assert done.returncode == 0, done.stderr
        assert "Ready to receive sms" in done.stdout
        assert "Received SMS: +447937405250" in done.stdout and "Test 123" in done.stdout
        assert emu.stored_sms == {}
    done = run([*HOLOGRAM, "receive", "--data", "--sms"], env)
    assert done.returncode == 2 and "either one of --data or --sms" in done.stderr


def test_activate_against_a_rest_api(env):
    rest = FakeRestApi()
    try:
        rest.answers[("GET", "/api/1/plans")] = (200, {"success": True, "data": [
            {"id": 7, "name": "Flexible", "data": 0,
             "tiers": {"BASE": {"zones": {"1": {}}}}}]})
        rest.answers[("POST", "/api/1/links/cellular/sim_8910/claim")] = (
            200, {"success": True, "order_data": {"total_cost": 1.5}})
        rest.answers[("GET", "/api/1/links/cellular")] = (
            200, {"success": True, "data": [{"state": "LIVE"}]})
        done = subprocess.run(
            [*HOLOGRAM, "activate", "--apikey", "k", "--iccid", "8910", "--api-url", rest.url],
            input="7\ny\n", env=env, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        assert "for $1.50 (y/N)?" in done.stdout and "Activation successful!" in done.stdout
        claims = [r for r in rest.requests if r[0] == "POST"]
        assert [c[2].get("preview") for c in claims] == ["1", None]
    finally:
        rest.close()


def test_spacebridge_is_a_subcommand(env):
    done = run([*HOLOGRAM, "spacebridge", "--help"], env)
    assert done.returncode == 0 and "--timeout" in done.stdout and "--modem" in done.stdout
