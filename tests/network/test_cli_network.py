"""``hologram network connect|disconnect|status`` through real subprocesses and the emulator."""

import json
import subprocess
import sys

import pytest

from tests.network.conftest import require_chat
from tests.support.net import wait_for


def hologram(*args, timeout=30):
    done = subprocess.run(
        [sys.executable, "-m", "hologram_sdk", "network", *args],
        capture_output=True, text=True, timeout=timeout, check=False,
    )
    return done


def test_status_at_a_glance(emulator, tmp_path):
    emu = emulator("e303", rssi=20, operator="Test Network")
    done = hologram("--interface", "cellular-e303", "--port", emu.device,
                    "--state-dir", str(tmp_path), "status")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"interface: cellular-e303 (ppp) on {emu.device}" in lines
    assert "SIM: ready" in lines
    assert "signal: -73 dBm (rssi 20)" in lines
    assert "registration: home" in lines
    assert "operator: Test Network" in lines
    assert "link: down" in lines
    assert "local IP: -" in lines


@pytest.mark.parametrize(("setting", "expected"), [
    ({"sim": "absent"}, {"sim": "absent"}),
    ({"rssi": 99}, {"sim": "ready", "rssi": 99, "signal_dbm": None}),
    ({"registration": "denied"}, {"registration": "denied"}),
])
def test_status_json_shows_the_problem(emulator, tmp_path, setting, expected):
    emu = emulator("iota", **setting)
    done = hologram("--interface", "cellular-iota", "--port", emu.device,
                    "--state-dir", str(tmp_path), "status", "--json")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    for key, value in expected.items():
        assert status[key] == value
    assert status["link"] == "down"


def test_disconnect_without_a_link_says_so(tmp_path):
    done = hologram("--state-dir", str(tmp_path), "disconnect")
    assert done.returncode == 1
    assert "no link was started" in done.stderr


def test_serial_mode_connect_status_disconnect(emulator, tmp_path):
    emu = emulator("iota")
    common = ("--interface", "cellular-iota", "--mode", "serial", "--port", emu.device,
              "--state-dir", str(tmp_path))
    done = hologram(*common, "connect", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] and result["mode"] == "serial"
    assert result["local_ip"] == "10.170.12.34"
    status = json.loads(hologram(*common, "status", "--json").stdout)
    assert status["link"] == "up" and status["sim"] == "ready"
    done = hologram(*common, "disconnect")
    assert done.returncode == 0, done.stderr
    assert "AT+UPSDA=0,4" in emu.log
    assert json.loads(hologram(*common, "status", "--json").stdout)["link"] == "down"


@pytest.mark.root
def test_ppp_connect_status_disconnect(emulator, pppd_double, tmp_path):
    require_chat()
    emu = emulator("e303")
    double = pppd_double(local="100.64.7.2", remote="100.64.7.1")
    common = ("--interface", "cellular-e303", "--port", emu.device, "--state-dir",
              str(tmp_path), "--pppd", double)
    connect = subprocess.Popen(
        [sys.executable, "-m", "hologram_sdk", "network", *common, "connect", "--timeout", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        state = tmp_path / "network.json"
        assert wait_for(state.exists), connect.stderr.read() if connect.poll() else "no state"
        status = json.loads(hologram(*common, "status", "--json").stdout)
        assert status["link"] == "up"
        assert (status["local_ip"], status["remote_ip"]) == ("100.64.7.2", "100.64.7.1")
        assert status["dns"] == ["8.8.8.8", "8.8.4.4"]
        assert status["modem"] == "busy: pppd holds the port"
        text = hologram(*common, "status").stdout
        assert "link: up" in text and "local IP: 100.64.7.2" in text
        done = hologram(*common, "disconnect")
        assert done.returncode == 0, done.stderr
        out, err = connect.communicate(timeout=15)
        assert connect.returncode == 0, err
        assert "connected on" in out and "local 100.64.7.2, remote 100.64.7.1" in out
        assert not state.exists()
        assert wait_for(lambda: not emu.in_data_mode, 5)  # the hangup reaches it after the exit
    finally:
        if connect.poll() is None:
            connect.kill()
            connect.communicate()


@pytest.mark.root
def test_ppp_connect_failure_reports_status_12(emulator, pppd_double, tmp_path):
    require_chat()
    emu = emulator("e303", dial_result="BUSY")
    done = hologram("--interface", "cellular-e303", "--port", emu.device, "--state-dir",
                    str(tmp_path), "--pppd", pppd_double(), "connect", "--timeout", "20")
    assert done.returncode == 1
    assert "not connected (status 12)" in done.stderr
    assert "the modem answered BUSY" in done.stderr
