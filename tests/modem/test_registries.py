"""The two plug-in registries of the modem layer: drivers by name, port URL schemes."""

import subprocess
import sys

import pytest
import serial

from hologram_sdk.base.errors import ConfigurationError, UnknownInterfaceError
from hologram_sdk.modem import ports, registry
from hologram_sdk.modem.e303 import E303
from hologram_sdk.modem.iota import IOTA
from hologram_sdk.modem.profiles import IOTA_PROFILE


def test_one_table_names_classes_profiles_and_interfaces():
    assert {"e303", "ms2131", "iota"} <= set(registry.driver_names())
    assert registry.get_driver("IOTA").load() is IOTA
    assert registry.get_profile("e303") is E303.profile
    assert registry.get_profile("generic").name == "generic"
    assert registry.driver_for_interface("cellular-iota").profile is IOTA_PROFILE
    assert registry.driver_for_interface("cellular-nokia") is None
    assert {"cellular-e303", "cellular-iota", "cellular-ms2131"} <= set(registry.interface_names())
    assert registry.profile_for_usb_id("1546", "1102").usb_ids == IOTA_PROFILE.usb_ids


def test_bad_registrations_and_unknown_names_are_typed_errors():
    with pytest.raises(UnknownInterfaceError, match="valid: .*e303"):
        registry.get_driver("nokia")
    with pytest.raises(ConfigurationError, match="module:Class"):
        registry.register_driver(registry.ModemDriver(IOTA_PROFILE, "no_colon_here"))
    taken = registry.ModemDriver(IOTA_PROFILE.__class__(name="other", description="x"),
                                 "hologram_sdk.modem.iota:IOTA", interfaces=("cellular-iota",))
    with pytest.raises(ConfigurationError, match="already selects the iota driver"):
        registry.register_driver(taken)
    assert "other" not in registry.driver_names()


def test_a_registered_scheme_opens_through_open_port():
    opened = []

    def opener(url, baudrate, timeout):
        opened.append((url, baudrate, timeout))
        return serial.serial_for_url("loop://", timeout=timeout)

    ports.register_scheme("loop-test", opener)
    port = ports.open_port("loop-test://anything", 19200, 0.1)
    try:
        port.write(b"AT\r")
        assert port.read(3) == b"AT\r"
    finally:
        port.close()
    assert opened == [("loop-test://anything", 19200, 0.1)]
    assert "loop-test" in ports.registered_schemes()
    with pytest.raises(ConfigurationError):
        ports.register_scheme("not a scheme", opener)


def test_an_unknown_scheme_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="bad serial port or URL"):
        ports.open_port("nosuchscheme://x")


def test_sim_urls_work_without_the_library_importing_the_emulator():
    code = (
        "import sys\n"
        "from hologram_sdk.modem.ports import open_port\n"
        "assert not any(m.startswith('hologram_sdk.emulator') for m in sys.modules)\n"
        "port = open_port('sim://e303', 9600, 0.5)\n"
        "port.write(b'AT\\r')\n"
        "import time; deadline = time.monotonic() + 5; data = b''\n"
        "while b'OK' not in data and time.monotonic() < deadline: data += port.read(64)\n"
        "port.close()\n"
        "print(b'OK' in data)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
