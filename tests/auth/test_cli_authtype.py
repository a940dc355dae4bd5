"""``hologram send/sms --authtype totp`` as a real process, the SIM on the emulator's pty."""

from __future__ import annotations

import pytest

from hologram_sdk.emulator.cloud import LocalCloud
from hologram_sdk.emulator.modem import ModemEmulator
from tests.auth.support import ICCID, IMSI, devices_file
from tests.cli.util import HOLOGRAM, clean_env, run


@pytest.fixture
def setup(tmp_path):
    path = devices_file(tmp_path, [{"name": "cli-totp", "iccid": ICCID, "imsi": IMSI}])
    with LocalCloud(port=0, db=tmp_path / "c.db", devices=path) as cloud:
        with ModemEmulator("e303", iccid=ICCID, imsi=IMSI) as emu:
            yield cloud, emu.start(), clean_env(tmp_path)


def test_send_and_sms_with_authtype_totp(setup):
    cloud, pty, env = setup
    where = ["--host", "127.0.0.1", "--port", str(cloud.port), "--modem-port", pty]
    result = run([*HOLOGRAM, "send", "--authtype", "totp", *where, "-t", "T", "--", "by cli"], env)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "RESPONSE FROM CLOUD: 0 (Message sent successfully)\n"
    sms = [*HOLOGRAM, "sms", "--authtype", "totp", *where, "--destination", "+15551234567"]
    result = run([*sms, "sms by cli"], env)
    assert result.returncode == 0, result.stderr
    [message] = cloud.messages()
    assert (message.device, message.topics, message.data) == ("cli-totp", ["T"], "by cli")
    assert [s.text for s in cloud.sms()] == ["sms by cli"]


def test_authtype_totp_without_a_usable_modem_is_one_line(setup, tmp_path):
    cloud, _pty, env = setup
    where = ["--host", "127.0.0.1", "--port", str(cloud.port)]
    missing = str(tmp_path / "no-such-tty")
    result = run(
        [*HOLOGRAM, "send", "--authtype", "totp", *where, "--modem-port", missing, "x"], env
    )
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "authenication" in result.stderr and "no-such-tty" in result.stderr
    assert cloud.messages() == []
