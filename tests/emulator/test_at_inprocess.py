"""27.007 answers of the emulator in process (feed mode), byte for byte."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from hologram_sdk.base.errors import ConfigurationError, ModemUnpluggedError
from hologram_sdk.emulator.modem import PROFILES, Faults, ModemEmulator


@pytest.fixture
def emu():
    with ModemEmulator("e303") as modem:
        assert modem.feed(b"ATE0\r") == b"ATE0\r\r\nOK\r\n"
        yield modem


def test_v0_numeric_mode(emu):
    assert emu.feed(b"ATV0\r") == b"0\r"
    assert emu.feed(b"AT+CSQ\r") == b"+CSQ: 20,99\r\n0\r"
    assert emu.feed(b"AT+BOGUS\r") == b"4\r"
    assert emu.feed(b"ATV1\r") == b"\r\nOK\r\n"


def test_quiet_suppresses_result_codes_not_information(emu):
    assert emu.feed(b"ATQ1\r") == b""
    assert emu.feed(b"AT+CGMM\r") == b"\r\nE303\r\n"
    assert emu.feed(b"ATQ0\r") == b"\r\nOK\r\n"


def test_atz_restores_echo_and_cmee(emu):
    emu.feed(b"AT+CMEE=2\r")
    assert emu.feed(b"ATZ\r") == b"\r\nOK\r\n"
    assert emu.feed(b"AT\r") == b"AT\r\r\nOK\r\n"
    assert emu.feed(b"AT+CMEE?\r") == b"AT+CMEE?\r\r\n+CMEE: 0\r\n\r\nOK\r\n"


def test_concatenated_commands(emu):
    assert emu.feed(b"AT+CMEE=2;+CREG=2\r") == b"\r\nOK\r\n"
    assert emu.feed(b"AT+CMEE?;+CREG?\r") == (
        b'\r\n+CMEE: 2\r\n\r\n+CREG: 2,1,"00C3","0000A1B2",2\r\n\r\nOK\r\n'
    )
    assert emu.feed(b"ATE0 V1 Q0 &D2\r") == b"\r\nOK\r\n"


def test_an_error_stops_the_rest_of_the_line(emu):
    assert emu.feed(b"AT+CMEE=1;+NOPE;+CMEE=2\r") == b"\r\nERROR\r\n"
    assert emu.feed(b"AT+CMEE?\r") == b"\r\n+CMEE: 1\r\n\r\nOK\r\n"


def test_repeat_last_line(emu):
    emu.feed(b"AT+CSQ\r")
    assert emu.feed(b"A/") == b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n"


def test_lines_not_starting_with_at_are_ignored(emu):
    assert emu.feed(b"\r") == b""
    assert emu.feed(b"hello\r") == b""


@pytest.mark.parametrize(
    ("cmee", "answer"),
    [(0, b"\r\nERROR\r\n"), (1, b"\r\n+CME ERROR: 10\r\n"),
     (2, b"\r\n+CME ERROR: SIM not inserted\r\n")],
)
def test_cmee_modes_with_sim_absent(cmee, answer):
    with ModemEmulator("e303", sim="absent") as emu:
        emu.feed(b"ATE0\r")
        emu.feed(f"AT+CMEE={cmee}\r".encode())
        assert emu.feed(b"AT+CPIN?\r") == answer
        assert emu.feed(b"AT+CIMI\r") == answer
        assert emu.feed(b"AT+CSQ\r") == b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n"
        assert emu.feed(b"AT+CREG?\r") == b"\r\n+CREG: 0,0\r\n\r\nOK\r\n"


@pytest.mark.parametrize(
    ("sim", "cpin", "cme"),
    [("pin", b"\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n", b"\r\n+CME ERROR: 11\r\n"),
     ("puk", b"\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n", b"\r\n+CME ERROR: 12\r\n"),
     ("failure", b"\r\n+CME ERROR: 13\r\n", b"\r\n+CME ERROR: 13\r\n"),
     ("busy", b"\r\n+CME ERROR: 14\r\n", b"\r\n+CME ERROR: 14\r\n")],
)
def test_sim_states(sim, cpin, cme):
    with ModemEmulator("ms2131", sim=sim) as emu:
        emu.feed(b"ATE0;+CMEE=1\r")
        assert emu.feed(b"AT+CPIN?\r") == cpin
        assert emu.feed(b"AT+CIMI\r") == cme
        assert emu.feed(b"AT+CCID\r") == cme
        assert emu.feed(b"AT+CGSN\r") == b"\r\n351234567890124\r\n\r\nOK\r\n"


def test_pin_unlock_with_a_configured_pin():
    with ModemEmulator("iota", sim="pin", pin="4321") as emu:
        emu.feed(b"ATE0;+CMEE=2;+CREG=1\r")
        assert emu.feed(b'AT+CPIN="1234"\r') == b"\r\n+CME ERROR: incorrect password\r\n"
        assert emu.feed(b'AT+CPIN="4321"\r') == b"\r\nOK\r\n\r\n+CREG: 1\r\n"
        assert emu.feed(b"AT+CPIN?\r") == b"\r\n+CPIN: READY\r\n\r\nOK\r\n"
        assert emu.feed(b"AT+CIMI\r") == b"\r\n001010123456789\r\n\r\nOK\r\n"


def test_three_wrong_pins_block_the_sim_and_the_puk_unblocks_it():
    with ModemEmulator("e303", sim="pin") as emu:
        emu.feed(b"ATE0;+CMEE=1\r")
        for _ in range(3):
            assert emu.feed(b'AT+CPIN="0000"\r') == b"\r\n+CME ERROR: 16\r\n"
        assert emu.feed(b"AT+CPIN?\r") == b"\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n"
        assert emu.feed(b'AT+CPIN="12345678","9999"\r') == b"\r\nOK\r\n\r\n^MODE:5,4\r\n"
        assert emu.pin == "9999"


def test_csq_follows_set_and_radio(emu):
    emu.set(rssi=31, ber=3)
    assert emu.feed(b"AT+CSQ\r") == b"\r\n^RSSI:31\r\n\r\n+CSQ: 31,3\r\n\r\nOK\r\n"
    assert emu.feed(b"AT+CFUN=0\r") == b"\r\nOK\r\n\r\n^MODE:0,0\r\n\r\n^RSSI:99\r\n"
    assert emu.feed(b"AT+CSQ\r") == b"\r\n+CSQ: 99,99\r\n\r\nOK\r\n"
    assert emu.feed(b"AT+CFUN?\r") == b"\r\n+CFUN: 0\r\n\r\nOK\r\n"


def test_iota_has_no_huawei_urcs():
    with ModemEmulator("iota") as emu:
        emu.feed(b"ATE0\r")
        emu.set(rssi=3, registration="searching")
        assert emu.feed(b"") == b""
        assert emu.feed(b"AT^ICCID?\r") == b"\r\nERROR\r\n"
        assert emu.feed(b"AT+CCID\r") == b"\r\n+CCID: 8910010123456789015\r\n\r\nOK\r\n"


@pytest.mark.parametrize(("n", "urc"), [(0, b""), (1, b"\r\n+CREG: 5\r\n"),
                                        (2, b'\r\n+CREG: 5,"00C3","0000A1B2",2\r\n')])
def test_creg_urc_follows_its_mode(n, urc):
    with ModemEmulator("iota") as emu:
        emu.feed(f"ATE0;+CREG={n}\r".encode())
        emu.set(registration="roaming")
        assert emu.feed(b"") == urc
        emu.set(registration="roaming")
        assert emu.feed(b"") == b""


def test_creg_read_forms(emu):
    emu.set(registration="searching")
    assert emu.feed(b"") == b"\r\n^MODE:0,0\r\n"
    assert emu.feed(b"AT+CREG=2;+CREG?\r") == b"\r\n+CREG: 2,2\r\n\r\nOK\r\n"
    assert emu.feed(b"AT+CGREG=1;+CGREG?\r") == b"\r\n+CGREG: 1,2\r\n\r\nOK\r\n"
    assert emu.feed(b"AT+CREG=?\r") == b"\r\n+CREG: (0-2)\r\n\r\nOK\r\n"


def test_huawei_mode_urc_on_registration_change(emu):
    emu.set(registration="none")
    assert emu.feed(b"") == b"\r\n^MODE:0,0\r\n"
    emu.feed(b"AT^CURC=0\r")
    emu.set(registration="home", rssi=2)
    assert emu.feed(b"") == b""


def test_cops_read_and_format(emu):
    assert emu.feed(b"AT+COPS=3,2;+COPS?\r") == b'\r\n+COPS: 0,2,"00101",2\r\n\r\nOK\r\n'
    emu.set(operator="Elsewhere", operator_numeric="00102")
    assert emu.feed(b"AT+COPS=3,0;+COPS?\r") == b'\r\n+COPS: 0,0,"Elsewhere",2\r\n\r\nOK\r\n'
    emu.set(registration="denied")
    assert emu.feed(b"") == b"\r\n^MODE:0,0\r\n"
    assert emu.feed(b"AT+COPS?\r") == b"\r\n+COPS: 0\r\n\r\nOK\r\n"


def test_identity_per_profile():
    for name, profile in PROFILES.items():
        with ModemEmulator(name, imei="861234567890127") as emu:
            emu.feed(b"ATE0\r")
            ati = emu.feed(b"ATI\r")
            assert ati.startswith(b"\r\n" + profile.ati[0].encode())
            assert emu.feed(b"AT+CGMR\r") == f"\r\n{profile.revision}\r\n\r\nOK\r\n".encode()
            assert emu.feed(b"AT+GSN\r") == b"\r\n861234567890127\r\n\r\nOK\r\n"
    with ModemEmulator("e303", imei="861234567890127") as emu:
        emu.feed(b"ATE0\r")
        assert emu.feed(b"ATI\r") == (
            b"\r\nManufacturer: huawei\r\nModel: E303\r\nRevision: 21.157.01.01.18\r\n"
            b"IMEI: 861234567890127\r\n+GCAP: +CGSM,+DS,+ES\r\n\r\nOK\r\n"
        )


def test_cgdcont_set_and_read(emu):
    assert emu.feed(b'AT+CGDCONT=1,"IP","apn.example"\r') == b"\r\nOK\r\n"
    assert emu.feed(b'AT+CGDCONT=2,"IP","two"\r') == b"\r\nOK\r\n"
    assert emu.feed(b"AT+CGDCONT?\r") == (
        b'\r\n+CGDCONT: 1,"IP","apn.example","0.0.0.0",0,0\r\n'
        b'+CGDCONT: 2,"IP","two","0.0.0.0",0,0\r\n\r\nOK\r\n'
    )
    assert emu.feed(b'AT+CGDCONT=1,"BOGUS","x"\r') == b"\r\nERROR\r\n"


def test_clac_lists_only_the_profile_commands():
    with ModemEmulator("iota") as emu:
        emu.feed(b"ATE0\r")
        lines = emu.feed(b"AT+CLAC\r").decode().split("\r\n")
        assert "AT+USOCR" in lines and "AT+CSQ" in lines
        assert "AT^ICCID" not in lines
    with ModemEmulator("e303") as emu:
        emu.feed(b"ATE0\r")
        lines = emu.feed(b"AT+CLAC\r").decode().split("\r\n")
        assert "AT^ICCID" in lines and "AT+USOCR" not in lines


@pytest.mark.parametrize(
    ("result", "answer"),
    [("CONNECT", b"\r\nCONNECT 7200000\r\n"), ("BUSY", b"\r\nBUSY\r\n"),
     ("NO CARRIER", b"\r\nNO CARRIER\r\n"), ("ERROR", b"\r\nERROR\r\n"),
     ("NO ANSWER", b"\r\nNO ANSWER\r\n"), ("NO DIALTONE", b"\r\nNO DIALTONE\r\n")],
)
def test_dial_results(result, answer):
    with ModemEmulator("e303", faults=Faults(dial_result=result)) as emu:
        emu.feed(b"ATE0\r")
        assert emu.feed(b"ATD*99***1#\r") == answer
        assert emu.in_data_mode is (result == "CONNECT")


def test_dial_in_v0_and_unregistered():
    with ModemEmulator("iota", registration="searching") as emu:
        emu.feed(b"ATE0\r")
        assert emu.feed(b"ATD*99***1#\r") == b"\r\nNO CARRIER\r\n"
        emu.set(registration="home")
        assert emu.feed(b"ATV0;D*99#\r") == b"1\r"


def test_data_mode_swallows_bytes_and_escape_needs_guard_times():
    with ModemEmulator("e303", escape_guard=0.05) as emu:
        emu.feed(b"ATE0;+CREG=1\r")
        assert emu.feed(b"ATDT*99***1#\r") == b"\r\nCONNECT 7200000\r\n"
        assert emu.feed(b"\r~\x7e\xff\x7d\x23AT\r") == b""
        emu.set(registration="roaming")  # URC held while in data mode
        assert emu.feed(b"") == b""
        assert emu.feed(b"x+++") == b""  # no guard time before: data
        time.sleep(0.08)
        assert emu.feed(b"") == b""
        time.sleep(0.06)
        assert emu.feed(b"+++") == b""
        time.sleep(0.08)
        assert emu.feed(b"") == b"\r\nOK\r\n\r\n+CREG: 5\r\n"
        assert not emu.in_data_mode
        assert emu.feed(b"ATO\r") == b"\r\nCONNECT 7200000\r\n"
        time.sleep(0.06)
        emu.feed(b"+++")
        time.sleep(0.08)
        assert emu.feed(b"") == b"\r\nOK\r\n"
        assert emu.feed(b"ATH\r") == b"\r\nOK\r\n"
        assert emu.feed(b"ATO\r") == b"\r\nNO CARRIER\r\n"
        assert bytes(emu.data_received).startswith(b"\r~~\xff}#AT\r")


def test_hang_up_outside_a_call(emu):
    assert emu.hang_up() is False
    assert emu.feed(b"ATH\r") == b"\r\nOK\r\n"


def test_faults_garbage_and_mute(emu):
    emu.faults.garbage = ["^BOOT:20952548,0,0,0,72", "\x00junk"]
    assert emu.feed(b"AT\r") == b"\r\n^BOOT:20952548,0,0,0,72\r\n\r\n\x00junk\r\n\r\nOK\r\n"
    emu.faults.garbage = []
    emu.faults.mute = True
    assert emu.feed(b"AT\r") == b""
    assert emu.log[-1] == "AT"


def test_unplug_on_command_in_feed_mode(emu):
    emu.faults.unplug_on = "AT+CSQ"
    assert emu.feed(b"AT+CSQ\r") == b""
    with pytest.raises(ModemUnpluggedError):
        emu.feed(b"AT\r")


def test_bad_configuration_is_a_typed_error():
    valid = "valid: bg96, e303, e372, ec21, ec25, iota, ms2131, r404, r410, u201"
    with pytest.raises(ConfigurationError, match=valid):
        ModemEmulator("nokia")
    with pytest.raises(ConfigurationError):
        ModemEmulator("e303", rssi=40)
    with pytest.raises(ConfigurationError):
        ModemEmulator("e303", hosts={"cloud": "10.0.0.1"})
    with ModemEmulator() as emu, pytest.raises(ConfigurationError):
        emu.set(registration="sideways")


def test_dial_without_sim_and_cme_in_v0():
    with ModemEmulator("e303", sim="absent") as emu:
        emu.feed(b"ATE0;+CMEE=1\r")
        assert emu.feed(b"ATD*99***1#\r") == b"\r\n+CME ERROR: 10\r\n"
        assert emu.feed(b"ATV0\r") == b"0\r"
        assert emu.feed(b"AT+CIMI\r") == b"+CME ERROR: 10\r\n"


def test_cgreg_urc_and_cgatt(emu):
    emu.feed(b"AT^CURC=0;+CGREG=2\r")
    emu.set(registration="home")
    assert emu.feed(b"") == b""  # unchanged: no URC
    emu.set(registration="denied")
    assert emu.feed(b"") == b"\r\n+CGREG: 3\r\n"
    assert emu.feed(b"AT+CGATT?\r") == b"\r\n+CGATT: 0\r\n\r\nOK\r\n"


def test_sim_url_options_and_pyserial_settings_are_accepted():
    from hologram_sdk.emulator.modem import open_sim_port

    with open_sim_port("sim://ms2131?escape_guard=0.05&registration=roaming", timeout=1.0,
                       baudrate=115200, rtscts=False) as port:
        assert port.emulator.escape_guard == 0.05
        port.write(b"ATE0;+CREG?\r")
        assert port.read_until(b"OK\r\n") == b"ATE0;+CREG?\r\r\n+CREG: 0,5\r\n\r\nOK\r\n"


def test_the_modem_clock_and_setting_it():
    start = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    with ModemEmulator("bg96", clock=lambda: start) as emu:
        assert emu.feed(b"ATE0;+CCLK?\r") == b'ATE0;+CCLK?\r\r\n+CCLK: "26/01/02,03:04:05+00"' \
                                             b"\r\n\r\nOK\r\n"
        # a local time 1 h ahead of UTC (+04 quarter hours) is kept as UTC
        assert emu.feed(b'AT+CCLK="27/02/03,04:05:06+04";+CCLK?\r') == (
            b'\r\n+CCLK: "27/02/03,03:05:06+00"\r\n\r\nOK\r\n')
        assert emu.feed(b'AT+CCLK="27/02/30,04:05:06"\r') == b"\r\nERROR\r\n"


def test_an_extra_command_family_plugs_in():
    from hologram_sdk.emulator.atcommand import Command

    class Echo:
        """A test double: the smallest command family."""

        def __init__(self, sim):
            self.sim = sim

        def commands(self):
            return {"+XECHO": Command(lambda op, args: [f"+XECHO: {op},{args}"], sim="cme")}

    with ModemEmulator("u201", sim="absent", families=[lambda emu: Echo(emu.sim_card)]) as emu:
        assert emu.feed(b"ATE0;+CMEE=1;+XECHO=1\r") == b"ATE0;+CMEE=1;+XECHO=1\r\r\n" \
                                                     b"+CME ERROR: 10\r\n"
        emu.set(sim="ready")
        assert emu.feed(b'AT+XECHO="a",2\r') == b"\r\n+XECHO: set,['a', '2']\r\n\r\nOK\r\n"
        assert b"AT+XECHO" in emu.feed(b"AT+CLAC\r")


FINAL = re.compile(rb"\r\n(OK|ERROR|NO CARRIER|SEND OK|SEND FAIL|\+CM[ES] ERROR: [^\r]*)\r\n")
ARGUMENT_SHAPES = ["", "?", "=?", "=", "=0", "=1", "=1,1", "=,", '=""', '="a"', "=x", "=-1",
                   "=99999999999", '=0,"zz"', "=1,2,3,4,5,6,7,8",
                   '=1,0,"TCP","127.0.0.1",1,0,0', '=1,"IP","apn"']


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_command_with_odd_arguments_gets_an_answer(profile, caplog):
    """Each command of the profile, with each argument shape: a final result, never a crash."""
    with ModemEmulator(profile, escape_guard=0) as emu:
        emu.feed(b"ATE0\r")
        # not the dial (data mode) nor the framing switches (numeric, quiet answers)
        names = [n for n in emu.line.commands if n not in ("D", "O", "V", "Q")]
        for name in names:
            for shape in ARGUMENT_SHAPES:
                answer = emu.feed(f"AT{name}{shape}\r".encode())
                if answer.endswith((b"> ", b"\r\n@")):
                    answer = emu.feed(b"\x1b") if answer.endswith(b"> ") else emu.feed(b"\x00")
                assert FINAL.search(answer), (name, shape, answer)
                emu.feed(b"ATE0\r")
                emu.feed(b"AT+CFUN=1\r")
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
