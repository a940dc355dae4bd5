"""Location, reset, radio, version and identity of each new driver, on the emulator's pty."""

import logging

import pytest

from hologram_sdk.base.errors import ATCommandError, SIMAuthenticationError
from hologram_sdk.base.events import LOCATION_RECEIVED
from hologram_sdk.modem.e303 import E303
from hologram_sdk.modem.e372 import E372
from hologram_sdk.modem.location import Location
from hologram_sdk.modem.nova import Nova_U201, NovaM
from hologram_sdk.modem.quectel import BG96, EC21, EC25

EC21_DRIVER = ("ec21", EC21, "AT+CFUN=1,1", "AT+CGMR", "gnss")

#: emulator profile, driver, reset command, version command, location source
#: (the EC21 has its own test below: the emulated one lacks the GNSS option)
DRIVERS = [
    ("u201", Nova_U201, "AT+CFUN=16", "ATI9", "celllocate"),
    ("r410", NovaM, "AT+CFUN=15", "ATI9", "celllocate"),
    ("bg96", BG96, "AT+CFUN=1,1", "AT+CGMR", "gnss"),
    ("ec25", EC25, "AT+CFUN=1,1", "AT+CGMR", "gnss"),
]
IDS = [d[0] for d in DRIVERS]


@pytest.mark.parametrize(("profile", "cls", "reset", "version", "source"), DRIVERS, ids=IDS)
def test_location_fix_and_event(make_emulator, profile, cls, reset, version, source):
    emu = make_emulator(profile, location="51.5007,-0.1246,35")
    with cls(deviceName=emu.device) as modem:
        seen = []
        modem.event.subscribe(LOCATION_RECEIVED, seen.append)
        found = modem.get_location(timeout=10, poll_interval=0.1)
        assert isinstance(found, Location)
        assert found.latitude == pytest.approx(51.5007, abs=1e-4)
        assert found.longitude == pytest.approx(-0.1246, abs=1e-4)
        assert found.altitude == pytest.approx(35, abs=0.5)
        assert found.source == source
        assert seen == [found]


@pytest.mark.parametrize(("profile", "cls", "reset", "version", "source"), DRIVERS, ids=IDS)
def test_no_fix_is_none_after_the_timeout_and_says_why(
        make_emulator, caplog, profile, cls, reset, version, source):
    emu = make_emulator(profile, location="none")
    with cls(deviceName=emu.device) as modem, caplog.at_level(logging.INFO):
        seen = []
        modem.event.subscribe(LOCATION_RECEIVED, seen.append)
        assert modem.get_location(timeout=1.0, poll_interval=0.2) is None
        assert seen == []
    assert any(r.levelno == logging.INFO and "no location" in r.getMessage()
               for r in caplog.records)
    if source == "gnss":  # the GNSS session this call started is stopped again
        assert emu.log.index("AT+QGPS=1") < emu.log.index("AT+QGPSEND")


@pytest.mark.parametrize(("profile", "cls", "reset", "version", "source"),
                         [*DRIVERS, EC21_DRIVER], ids=[*IDS, "ec21"])
def test_reset_radio_version_and_identity(make_emulator, profile, cls, reset, version, source):
    emu = make_emulator(profile)
    with cls(deviceName=emu.device) as modem:
        assert modem.version
        assert version in emu.log
        assert modem.type == cls.profile.name
        assert modem.description == cls.profile.description
        assert modem.modem_id == modem.model
        assert modem.imei == emu.imei
        assert modem.radio_power(False) is True
        assert "AT+CFUN=0" in emu.log
        assert modem.radio_power(True) is True
        assert "AT+CFUN=1" in emu.log
        modem.reset()
        assert reset in emu.log


def test_r404_names_itself(make_emulator):
    emu = make_emulator("r404")
    with NovaM(deviceName=emu.device) as modem:
        assert modem.description.endswith("(R404)")


def test_a_refused_location_command_names_the_command_and_code(make_emulator):
    emu = make_emulator("ec21")  # an EC21 without the GNSS option answers ERROR to +QGPS
    with EC21(deviceName=emu.device) as modem, pytest.raises(ATCommandError) as info:
        modem.get_location(timeout=1.0)
    assert info.value.command == "AT+QGPS=1"
    assert "AT+QGPS=1" in str(info.value)


@pytest.mark.parametrize(("profile", "cls"), [
    ("u201", Nova_U201), ("r410", NovaM), ("bg96", BG96), ("e372", E372), ("e303", E303)])
def test_sim_authenticate_on_the_emulated_usim(make_emulator, profile, cls):
    """AT+CSIM to the emulator's USIM (MILENAGE, TS 35.208 test set 1) through each driver."""
    rand = bytes.fromhex("23553cbe9637a89d218ae64dae47bf35")
    with cls(deviceName=make_emulator(profile).device) as modem:
        sres, kc = modem.sim_authenticate(rand)
    assert (sres.hex(), kc.hex()) == ("46f8416a", "eae4be823af9a08b")
    with cls(deviceName=make_emulator(profile, sim="pin").device) as modem:
        with pytest.raises(SIMAuthenticationError, match="6982") as info:
            modem.sim_authenticate(rand)
    assert info.value.status_word == "6982"
