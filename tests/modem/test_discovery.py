"""Discovery against a fake sysfs tree in tmp_path, probing emulators on real ptys."""

import os

from hologram_sdk.modem.discovery import find_at_port, find_modems, probe_port, scan_usb


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
        ("iota", "/dev/ttyACM0", 0),
        ("iota", "/dev/ttyACM1", 2),
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
