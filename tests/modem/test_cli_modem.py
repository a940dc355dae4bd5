"""``hologram modem`` through a real subprocess against the emulator on a pty."""

import json
import subprocess
import sys
import time


def hologram(*args, timeout=30):
    """Run ``python -m hologram_sdk``; retried once if another subcommand module
    fails to import while it is being written (the dispatcher imports them all)."""
    for attempt in range(3):
        done = subprocess.run(
            [sys.executable, "-m", "hologram_sdk", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if "Traceback" not in done.stderr or "hologram_sdk/cli/modem.py" in done.stderr:
            return done
        time.sleep(1 + attempt)
    return done


def test_info_json(make_emulator):
    emu = make_emulator("e303", imei="351234567890123")
    done = hologram("modem", "--port", emu.device, "info", "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["imei"] == "351234567890123"
    assert info["manufacturer"] == "huawei"
    assert info["sim"] == "ready"
    assert info["imsi"] == emu.imsi


def test_signal_human_and_json(make_emulator):
    emu = make_emulator("iota", rssi=10)
    done = hologram("modem", "--port", emu.device, "signal")
    assert done.returncode == 0, done.stderr
    assert "rssi 10" in done.stdout and "-93 dBm" in done.stdout
    done = hologram("modem", "--json", "--port", emu.device, "signal")
    assert json.loads(done.stdout)["dbm"] == -93


def test_sms_send_and_list(make_emulator):
    emu = make_emulator("ms2131")
    done = hologram("modem", "--port", emu.device, "sms-send", "+15555550100", "Hi from CLI")
    assert done.returncode == 0, done.stderr
    assert emu.sent_sms[-1].text == "Hi from CLI"
    emu.deliver_sms("+15555550199", "Reply ✓")
    done = hologram("modem", "--port", emu.device, "sms-list", "--json")
    messages = json.loads(done.stdout)["messages"]
    assert [(m["sender"], m["text"]) for m in messages] == [("+15555550199", "Reply ✓")]


def test_raw_command(make_emulator):
    emu = make_emulator("e303")
    done = hologram("modem", "--port", emu.device, "command", "AT+CSQ")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["+CSQ: 20,99", "OK"]


def test_sim_url_without_sim():
    done = hologram("modem", "--port", "sim://e303?sim=absent", "info", "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert (info["sim"], info["imsi"], info["iccid"]) == ("absent", None, None)
    assert info["errors"]["imsi"].startswith("SIM not inserted (CME 10)")
    done = hologram("modem", "--port", "sim://e303?sim=absent", "operator")
    assert done.returncode == 1
    assert done.stderr == "hologram modem: SIM not inserted (CME 10): insert a SIM\n"


def test_typed_errors_are_one_line(make_emulator):
    emu = make_emulator("e303", sim="absent")
    done = hologram("modem", "--port", emu.device, "command", "AT+CIMI")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "hologram modem: SIM not inserted (CME 10): insert a SIM"
    ]
    done = hologram("modem", "--port", emu.device, "sms-send", "12345", "hi")
    assert done.returncode == 2
    assert "E.164" in done.stderr and "Traceback" not in done.stderr


def test_unknown_profile_and_missing_port(tmp_path):
    done = hologram("modem", "--profile", "nokia", "info")
    assert done.returncode == 2
    assert "valid: bg96, e303, e372, ec21, ec25, iota, ms2131, nova, novam" in done.stderr
    done = hologram("modem", "--port", str(tmp_path / "ttyUSB7"), "info")
    assert done.returncode == 1 and "no such serial port" in done.stderr


def test_driver_actions_with_a_profile(make_emulator):
    emu = make_emulator("iota")
    where = ("modem", "--port", emu.device, "--profile", "u201")
    done = hologram(*where, "type")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Hologram Nova Global 3G/2G Cellular USB Modem (U201)"
    done = hologram(*where, "--json", "version")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["version"]
    assert hologram(*where, "imei").stdout.strip() == f"imei: {emu.imei}"
    done = hologram(*where, "sim", "--json")
    assert json.loads(done.stdout) == {"sim": "ready", "iccid": emu.iccid}
    for action, line in (("radio-off", "AT+CFUN=0"), ("radio-on", "AT+CFUN=1"),
                         ("reset", "AT+CFUN=16")):
        done = hologram(*where, action)
        assert done.returncode == 0, done.stderr
        assert line in emu.log
    done = hologram(*where, "command", "AT+CSQ", "-t", "3")
    assert done.stdout.splitlines() == ["+CSQ: 20,99", "OK"]


def test_signal_repeat_prints_until_stopped(make_emulator):
    emu = make_emulator("iota", rssi=12)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hologram_sdk", "modem", "--port", emu.device, "signal",
         "--repeat", "0.1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with proc:
        try:
            lines = [proc.stdout.readline() for _ in range(3)]
        finally:
            proc.terminate()
            proc.wait(10)
    assert all(line.startswith("rssi 12 ") for line in lines)


def test_connect_is_handed_to_hologram_network(make_emulator, tmp_path):
    done = hologram("modem", "--port", "sim://e303", "disconnect")
    assert "'hologram modem disconnect' is 'hologram network disconnect' now" in done.stderr
    assert "Traceback" not in done.stderr


def test_location_through_sim_urls():
    done = hologram("modem", "--port", "sim://bg96", "location", "--json")
    assert done.returncode == 0, done.stderr
    where = json.loads(done.stdout)["location"]
    assert (round(where["latitude"], 4), round(where["longitude"], 4)) == (41.8838, -87.6325)
    assert where["source"] == "gnss"
    done = hologram("modem", "--port", "sim://r410?location=none", "location", "--wait", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "location: not available (no fix)"
    done = hologram("modem", "--port", "sim://r410", "type")
    assert done.stdout.strip() == "Hologram Nova US 4G LTE Cat-M1 Cellular USB Modem (R410)"
