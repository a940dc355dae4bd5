"""Discovery against a fake sysfs tree in tmp_path, probing emulators on real ptys."""

import os

import pytest

from hologram_sdk.base.errors import ModemNotFoundError
from hologram_sdk.modem.discovery import (
    find_at_port,
    find_first_modem,
    find_modems,
    probe_port,
    scan_usb,
)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def usb_device(root, name, vendor, product, interfaces):
    """interfaces: {number: tty name or None}; ttyUSB* hang off the interface,
    ttyACM* under its tty/ directory (facts §10.1)."""
    dev = root / "bus" / "usb" / "devices" / name
    write(dev / "idVendor", vendor)
    write(dev / "idProduct", product)
    write(dev / "bNumInterfaces", f"{len(interfaces):2d}")
    for number, tty in interfaces.items():
        iface = dev / f"{name}:1.{number}"
        write(iface / "bInterfaceNumber", f"{number:02x}")
        if tty and tty.startswith("ttyACM"):
            (iface / "tty" / tty).mkdir(parents=True)
        elif tty:
            (iface / tty).mkdir(parents=True)
    return dev


def test_scan_maps_interfaces_to_ttys(tmp_path):
    sysfs = tmp_path / "sys"
    usb_device(sysfs, "1-1.3", "12d1", "1001", {0: "ttyUSB0", 1: "ttyUSB1", 2: "ttyUSB2"})
    usb_device(sysfs, "1-1.4", "1546", "1102", {0: "ttyACM0", 1: None, 2: "ttyACM1", 3: None})
    usb_device(sysfs, "1-1.5", "12d1", "1f01", {0: None})  # storage mode: no tty
    usb_device(sysfs, "1-1.6", "0403", "6001", {0: "ttyUSB3"})  # an FTDI cable
    usb_device(sysfs, "2-1", "12d1", "1506", {0: "ttyUSB4", 2: "ttyUSB5"})
    found = scan_usb(str(sysfs), "/dev")
    assert [(c.profile, c.device, c.interface) for c in found] == [
        ("e303", "/dev/ttyUSB0", 0),
        ("e303", "/dev/ttyUSB1", 1),
        ("e303", "/dev/ttyUSB2", 2),
        ("ms2131", "/dev/ttyUSB4", 0),
        ("ms2131", "/dev/ttyUSB5", 2),
        ("nova", "/dev/ttyACM0", 0),  # the iota's hardware: its later name comes first
        ("nova", "/dev/ttyACM1", 2),
    ]
    assert found[0].usb_path == "1-1.3" and (found[0].vendor, found[0].product) == ("12d1", "1001")
    assert scan_usb(str(sysfs), "/dev", profiles=["iota"])[0].device == "/dev/ttyACM0"


def test_empty_or_missing_sysfs(tmp_path):
    assert scan_usb(str(tmp_path)) == []
    assert find_at_port(str(tmp_path)) is None


def test_probe_finds_the_port_that_answers(tmp_path, make_emulator):
    sysfs, dev = tmp_path / "sys", tmp_path / "dev"
    usb_device(sysfs, "1-1", "12d1", "1001", {0: "ttyUSB0", 1: "ttyUSB1", 2: "ttyUSB2"})
    dev.mkdir()
    silent = make_emulator("e303")
    silent.faults.mute = True  # a diagnostics port: never answers AT
    answering = make_emulator("e303")
    os.symlink(silent.device, dev / "ttyUSB0")
    os.symlink(answering.device, dev / "ttyUSB2")  # ttyUSB1 does not exist at all
    found = find_modems(str(sysfs), str(dev), prober=lambda d: probe_port(d, timeout=0.3))
    assert [(os.path.basename(c.device), c.responds) for c in found] == [
        ("ttyUSB0", False),
        ("ttyUSB1", False),
        ("ttyUSB2", True),
    ]
    best = find_at_port(str(sysfs), str(dev), prober=lambda d: probe_port(d, timeout=0.3))
    assert best.device == str(dev / "ttyUSB2")
    assert best.profile == "e303" and best.responds


def test_the_new_models_ids_and_their_at_interface_first(tmp_path):
    sysfs = tmp_path / "sys"
    quectel = {i: f"ttyUSB{i}" for i in range(4)}  # DM, NMEA, AT, modem (PPP)
    usb_device(sysfs, "1-1", "2c7c", "0296", quectel)
    usb_device(sysfs, "1-2", "05c6", "90b2", {0: "ttyUSB10", 1: "ttyUSB11", 2: "ttyUSB12"})
    usb_device(sysfs, "1-3", "2c7c", "0121", {2: "ttyUSB22"})
    usb_device(sysfs, "1-4", "2c7c", "0125", {2: "ttyUSB32"})
    usb_device(sysfs, "1-5", "12d1", "14c6", {0: "ttyUSB40"})
    found = [(c.profile, c.device[5:], c.interface) for c in scan_usb(str(sysfs), "/dev")]
    assert found == [
        ("e372", "ttyUSB40", 0),
        ("bg96", "ttyUSB2", 2),  # the AT interface before the DM and NMEA ports
        ("bg96", "ttyUSB0", 0),
        ("bg96", "ttyUSB1", 1),
        ("bg96", "ttyUSB3", 3),
        ("ec21", "ttyUSB22", 2),
        ("ec25", "ttyUSB32", 2),
        ("novam", "ttyUSB11", 1),
        ("novam", "ttyUSB10", 0),
        ("novam", "ttyUSB12", 2),
    ]


def test_find_first_modem_probes_and_names_what_it_found(tmp_path, make_emulator):
    sysfs, dev = tmp_path / "sys", tmp_path / "dev"
    usb_device(sysfs, "1-1", "2c7c", "0296", {0: "ttyUSB0", 2: "ttyUSB2"})
    dev.mkdir()
    os.symlink(make_emulator("bg96").device, dev / "ttyUSB2")
    probed = []

    def prober(device):
        probed.append(os.path.basename(device))
        return probe_port(device, timeout=0.5)

    found = find_first_modem(str(sysfs), str(dev), prober=prober)
    assert (found.profile, found.device, found.responds) == ("bg96", str(dev / "ttyUSB2"), True)
    assert probed == ["ttyUSB2"]  # the AT port first: the DM port is never opened


def test_no_modem_is_one_line_naming_the_ids(tmp_path):
    sysfs = tmp_path / "sys"
    usb_device(sysfs, "1-1", "0403", "6001", {0: "ttyUSB0"})  # an FTDI cable only
    with pytest.raises(ModemNotFoundError) as info:
        find_first_modem(str(sysfs), str(tmp_path / "dev"), prober=lambda d: False)
    message = str(info.value)
    assert "\n" not in message
    for ids in ("e303 12d1:1001", "bg96 2c7c:0296", "novam 05c6:90b2", "nova 1546:1102/1546:1104",
                "ec21 2c7c:0121", "ec25 2c7c:0125", "e372 12d1:14c6"):
        assert ids in message
    usb_device(sysfs, "1-2", "2c7c", "0125", {2: "ttyUSB2"})  # present, but silent
    with pytest.raises(ModemNotFoundError, match=r"no modem answered AT on .*ttyUSB2"):
        find_first_modem(str(sysfs), str(tmp_path / "dev"), prober=lambda d: False)
