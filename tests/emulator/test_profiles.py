"""The round-2 profiles (u201, r410, r404, bg96, ec21, ec25, e372) through a real pty and pyserial:
identity, signal, registration in the 3G and LTE domains, modem control and the fault switches."""

from __future__ import annotations

import contextlib

import pytest
import serial

from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.modem import PROFILES, ModemEmulator

from .helpers import command, read_until

IMEI = "351234567890124"

#: profile -> (ATI lines, +CGMI, +CGMM, +CGMR)
IDENTITY = {
    "u201": (["SARA-U201-03B-00"], "u-blox", "SARA-U201", "23.60"),
    "iota": (["SARA-U201-03B-00"], "u-blox", "SARA-U201", "23.60"),
    "r410": (["SARA-R410M-02B-01"], "u-blox", "SARA-R410M-02B",
             "L0.0.00.00.05.08 [Jun 27 2019 11:04:32]"),
    "r404": (["SARA-R404M-00B-00"], "u-blox", "SARA-R404M-00B",
             "L0.0.00.00.05.05 [Mar 21 2018 09:01:32]"),
    "bg96": (["Quectel", "BG96", "Revision: BG96MAR02A07M1G"], "Quectel", "BG96",
             "BG96MAR02A07M1G"),
    "ec21": (["Quectel", "EC21", "Revision: EC21EFAR06A01M4G"], "Quectel", "EC21",
             "EC21EFAR06A01M4G"),
    "ec25": (["Quectel", "EC25", "Revision: EC25EFAR06A06M4G"], "Quectel", "EC25",
             "EC25EFAR06A06M4G"),
    "e372": (["Manufacturer: huawei", "Model: E372", "Revision: 11.126.16.00.00",
              f"IMEI: {IMEI}", "+GCAP: +CGSM,+DS,+ES"], "huawei", "E372", "11.126.16.00.00"),
}
NEW = sorted(IDENTITY)


@contextlib.contextmanager
def pty_modem(profile, **settings):
    with ModemEmulator(profile, **settings) as emu:
        emu.start()
        with serial.Serial(emu.device, timeout=0.2) as port:
            assert command(port, b"ATE0;+CMEE=1") == b"ATE0;+CMEE=1\r\r\nOK\r\n"
            yield emu, port


def lines(*items):
    return b"".join(b"\r\n" + item.encode() + b"\r\n" for item in items)


def ok(*items):
    return b"\r\n" + b"".join(item.encode() + b"\r\n" for item in items) + b"\r\nOK\r\n" \
        if items else b"\r\nOK\r\n"


def test_every_new_profile_is_in_the_table():
    assert set(NEW) <= set(PROFILES)
    assert PROFILES["iota"].model == PROFILES["u201"].model


@pytest.mark.parametrize("profile", NEW)
def test_identity(profile):
    ati, manufacturer, model, revision = IDENTITY[profile]
    with pty_modem(profile) as (_emu, port):
        assert command(port, b"ATI") == ok(*ati)
        assert command(port, b"AT+CGMI") == ok(manufacturer)
        assert command(port, b"AT+CGMM") == ok(model)
        assert command(port, b"AT+CGMR") == ok(revision)
        assert command(port, b"AT+CGSN") == ok(IMEI)
        assert command(port, b"AT+GMM") == ok(model)


@pytest.mark.parametrize("profile", NEW)
def test_signal_and_the_rssi_99_fault(profile):
    with pty_modem(profile, rssi=17) as (emu, port):
        assert command(port, b"AT+CSQ") == ok("+CSQ: 17,99")
        emu.set(rssi=99)
        if profile == "e372":  # Huawei reports the change itself
            assert read_until(port, b"^RSSI:99\r\n") == lines("^RSSI:99")
        assert command(port, b"AT+CSQ") == ok("+CSQ: 99,99")


#: profile -> (rat, +CREG, +CGREG, +CEREG read answers with <n>=2, or None for ERROR)
REGISTRATION = [
    ("u201", "utran", '2,1,"00C3","0000A1B2",2', '2,1,"00C3","0000A1B2",2', None),
    ("e372", "utran", '2,1,"00C3","0000A1B2",2', '2,1,"00C3","0000A1B2",2', None),
    ("r410", "lte", "2,0", "2,0", '2,1,"00C3","0000A1B2",7'),
    ("r410", "nbiot", "2,0", "2,0", '2,1,"00C3","0000A1B2",9'),
    ("r404", "lte", "2,0", "2,0", '2,1,"00C3","0000A1B2",7'),
    ("bg96", "lte", "2,0", "2,0", '2,1,"00C3","0000A1B2",8'),
    ("bg96", "nbiot", "2,0", "2,0", '2,1,"00C3","0000A1B2",9'),
    ("ec21", "lte", '2,1,"00C3","0000A1B2",7', '2,1,"00C3","0000A1B2",7',
     '2,1,"00C3","0000A1B2",7'),
    ("ec25", "lte", '2,1,"00C3","0000A1B2",7', '2,1,"00C3","0000A1B2",7',
     '2,1,"00C3","0000A1B2",7'),
    ("ec25", "utran", '2,1,"00C3","0000A1B2",2', '2,1,"00C3","0000A1B2",2', "2,0"),
]


@pytest.mark.parametrize(("profile", "rat", "creg", "cgreg", "cereg"), REGISTRATION)
def test_registration_domains(profile, rat, creg, cgreg, cereg):
    with pty_modem(profile, rat=rat) as (emu, port):
        assert emu.rat == rat
        assert command(port, b"AT+CREG=2;+CGREG=2") == ok()
        assert command(port, b"AT+CREG?") == ok(f"+CREG: {creg}")
        assert command(port, b"AT+CGREG?") == ok(f"+CGREG: {cgreg}")
        if cereg is None:
            assert command(port, b"AT+CEREG?") == b"\r\nERROR\r\n"
        else:
            assert command(port, b"AT+CEREG=2") == ok()
            assert command(port, b"AT+CEREG?") == ok(f"+CEREG: {cereg}")


@pytest.mark.parametrize("profile", ["r410", "bg96", "ec25", "u201", "e372"])
def test_registration_urcs_follow_the_network(profile):
    with pty_modem(profile) as (emu, port):
        prefix = "+CREG" if emu.rat == "utran" else "+CEREG"
        assert command(port, f"AT{prefix}=1".encode()) == ok()
        if profile == "e372":
            assert command(port, b"AT^CURC=0") == ok()  # no ^MODE/^RSSI here
        emu.set(registration="denied")
        assert read_until(port, f"{prefix}: 3\r\n".encode()) == lines(f"{prefix}: 3")
        assert command(port, f"AT{prefix}?".encode()) == ok(f"{prefix}: 1,3")
        emu.set(registration="roaming")
        assert read_until(port, f"{prefix}: 5\r\n".encode()) == lines(f"{prefix}: 5")


@pytest.mark.parametrize(("profile", "rat"), [("u201", "utran"), ("r410", "lte"), ("bg96", "lte"),
                                             ("ec21", "lte"), ("ec25", "lte"), ("e372", "utran")])
def test_default_radios(profile, rat):
    with ModemEmulator(profile) as emu:
        assert emu.rat == rat


@pytest.mark.parametrize(("profile", "rat"), [("e372", "lte"), ("r410", "utran"),
                                             ("bg96", "utran"), ("ec21", "nbiot")])
def test_a_radio_the_modem_does_not_have_is_a_typed_error(profile, rat):
    with pytest.raises(ConfigurationError, match=f"registers on .*not {rat}"):
        ModemEmulator(profile, rat=rat)


#: profile -> (the +CFUN that reboots it, one it refuses)
RESETS = {
    "u201": ("AT+CFUN=16", "AT+CFUN=1,1"),
    "r410": ("AT+CFUN=15", "AT+CFUN=1,1"),
    "bg96": ("AT+CFUN=1,1", "AT+CFUN=16"),
    "ec21": ("AT+CFUN=1,1", "AT+CFUN=15"),
    "ec25": ("AT+CFUN=1,1", "AT+CFUN=16"),
}


@pytest.mark.parametrize("profile", sorted(RESETS))
def test_radio_off_on_and_reset(profile):
    reset, refused = RESETS[profile]
    with pty_modem(profile) as (emu, port):
        assert command(port, b"AT+CFUN=0") == ok()
        assert not emu.radio_on
        assert command(port, b"AT+CFUN?") == ok("+CFUN: 0")
        assert command(port, b"AT+CSQ") == ok("+CSQ: 99,99")
        assert command(port, b"AT+CFUN=1") == ok()
        assert command(port, b"AT+CSQ") == ok("+CSQ: 20,99")
        assert command(port, refused.encode()) == b"\r\nERROR\r\n"
        port.write(reset.encode() + b"\r")
        answer = read_until(port, b"RDY\r\n" if "1,1" in reset else b"OK\r\n")
        # a reboot restores the settings: echo is on again
        assert answer == ok() + (lines("RDY") if "1,1" in reset else b"")
        assert command(port, b"AT") == b"AT\r\r\nOK\r\n"
        assert emu.radio_on


@pytest.mark.parametrize("profile", NEW)
def test_sim_faults(profile):
    with pty_modem(profile, sim="absent") as (emu, port):
        if profile == "e372":
            assert command(port, b"AT^CURC=0") == ok()  # no ^MODE/^RSSI here
        assert command(port, b"AT+CPIN?") == b"\r\n+CME ERROR: 10\r\n"
        assert command(port, b"AT+CIMI") == b"\r\n+CME ERROR: 10\r\n"
        emu.set(sim="pin")
        assert command(port, b"AT+CPIN?") == ok("+CPIN: SIM PIN")
        assert command(port, b'AT+CPIN="0000"') == b"\r\n+CME ERROR: 16\r\n"
        assert command(port, b'AT+CPIN="1234"') == ok()
        assert command(port, b"AT+CIMI") == ok("001010123456789")
        emu.set(sim="puk")
        assert command(port, b"AT+CPIN?") == ok("+CPIN: SIM PUK")
        assert command(port, b'AT+CPIN="12345678","4321"') == ok()
        assert emu.pin == "4321"
        assert command(port, b"AT+CPIN?") == ok("+CPIN: READY")


@pytest.mark.parametrize("profile", NEW)
def test_unplug_fault(profile):
    with pty_modem(profile) as (emu, port):
        emu.unplug()
        with pytest.raises(serial.SerialException):
            for _ in range(20):
                port.read(1)
                port.write(b"AT\r")


@pytest.mark.parametrize("profile", NEW)
def test_data_call_and_the_networks_hang_up(profile):
    with pty_modem(profile) as (emu, port):
        port.write(b"ATD*99***1#\r")
        connect = read_until(port, b"\r\n")
        if connect == b"\r\n":
            connect += read_until(port, b"\r\n")
        assert connect == b"\r\n" + PROFILES[profile].connect.encode() + b"\r\n"
        assert emu.in_data_mode
        assert emu.hang_up()
        assert read_until(port, b"NO CARRIER\r\n") == b"\r\nNO CARRIER\r\n"
        assert not emu.in_data_mode


@pytest.mark.parametrize("profile", NEW)
def test_hung_modem_fault_answers_nothing(profile):
    with pty_modem(profile) as (emu, port):
        emu.faults.mute = True
        port.write(b"AT\r")
        assert port.read(10) == b""
        emu.faults.mute = False
        assert command(port, b"AT") == ok()


@pytest.mark.parametrize("profile", ["bg96", "r410", "e372"])
def test_sim_urls(profile):
    from hologram_sdk.modem.ports import open_port

    port = open_port(f"sim://{profile}?rssi=9&registration=denied", 9600, 0.3)
    try:
        assert port.emulator.profile.name == profile
        assert command(port, b"ATE0;+CSQ") == b"ATE0;+CSQ\r\r\n+CSQ: 9,99\r\n\r\nOK\r\n"
    finally:
        port.close()
