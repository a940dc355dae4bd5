"""Find modems: scan sysfs for known USB ids, map interfaces to ttys, probe with ``AT``."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from typing import Callable, Optional

from hologram_sdk.base.errors import HologramError
from hologram_sdk.modem.at import ATChannel
from hologram_sdk.modem.ports import Opener
from hologram_sdk.modem.registry import driver_names, profile_for_usb_id

logger = logging.getLogger(__name__)

Prober = Callable[[str], bool]


@dataclass(frozen=True)
class Candidate:
    """One tty of a known modem.

    :param device: the ``/dev`` path of the tty
    :param profile: the profile name (``e303``, ``ms2131``, ``iota``)
    :param vendor: USB vendor id (lower-case hex)
    :param product: USB product id
    :param interface: USB interface number of the tty
    :param usb_path: the USB device's sysfs name (``1-1.3``)
    :param responds: whether it answered ``AT`` (None when not probed)
    """

    device: str
    profile: str
    vendor: str
    product: str
    interface: int
    usb_path: str
    responds: Optional[bool] = None


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return None


def _ttys_of_interface(interface_dir: str) -> list[str]:
    """tty names under an interface: ``ttyUSB0`` (usb-serial) or ``tty/ttyACM0`` (cdc_acm)."""
    names: list[str] = []
    try:
        entries = sorted(os.listdir(interface_dir))
    except OSError:
        return names
    for entry in entries:
        if entry.startswith("ttyUSB"):
            names.append(entry)
        elif entry == "tty":
            try:
                names.extend(sorted(os.listdir(os.path.join(interface_dir, "tty"))))
            except OSError:
                pass
    return names


def scan_usb(
    sysfs_root: str = "/sys", dev_root: str = "/dev", profiles: Optional[list[str]] = None
) -> list[Candidate]:
    """List the ttys of every known modem found in sysfs (no probing).

    :param sysfs_root: the sysfs mount (tests pass a fake tree)
    :param dev_root: where the tty nodes live
    :param profiles: only these profile names (default: all)
    :returns: candidates ordered by profile order, USB path and interface
    """
    devices_dir = os.path.join(sysfs_root, "bus", "usb", "devices")
    try:
        entries = sorted(os.listdir(devices_dir))
    except OSError:
        logger.debug("no %s", devices_dir)
        return []
    wanted = set(profiles) if profiles is not None else set(driver_names())
    found: list[Candidate] = []
    for name in entries:
        if ":" in name:  # an interface, reached through its device below
            continue
        device_dir = os.path.join(devices_dir, name)
        vendor = _read(os.path.join(device_dir, "idVendor"))
        product = _read(os.path.join(device_dir, "idProduct"))
        if not vendor or not product:
            continue
        profile = profile_for_usb_id(vendor, product)
        if profile is None or profile.name not in wanted:
            continue
        logger.debug("found %s (%s:%s) at %s", profile.name, vendor, product, name)
        try:
            children = sorted(os.listdir(device_dir))
        except OSError:
            continue
        for child in children:
            if not child.startswith(name + ":"):
                continue
            interface_dir = os.path.join(device_dir, child)
            number = _read(os.path.join(interface_dir, "bInterfaceNumber"))
            try:
                interface = int(number or child.rsplit(".", 1)[-1], 16)
            except ValueError:
                continue
            for tty in _ttys_of_interface(interface_dir):
                found.append(
                    Candidate(
                        os.path.join(dev_root, tty),
                        profile.name,
                        vendor.lower(),
                        product.lower(),
                        interface,
                        name,
                    )
                )
    order = {name: position for position, name in enumerate(driver_names())}
    found.sort(key=lambda c: (order.get(c.profile, 99), c.usb_path, c.interface, c.device))
    return found


def probe_port(device: str, *, timeout: float = 1.0, opener: Optional[Opener] = None) -> bool:
    """Whether ``device`` answers ``AT`` with ``OK`` within ``timeout`` seconds."""
    channel = ATChannel(device, timeout=timeout, opener=opener, sim_busy_retries=0)
    try:
        channel.open()
        channel.command("AT", timeout=timeout)
        return True
    except HologramError as exc:
        logger.debug("%s does not answer AT: %s", device, exc)
        return False
    finally:
        channel.close()


def find_modems(
    sysfs_root: str = "/sys",
    dev_root: str = "/dev",
    *,
    prober: Optional[Prober] = None,
    probe: bool = True,
) -> list[Candidate]:
    """Known modems' ttys, each probed with ``AT`` (``responds`` filled in).

    :param prober: ``prober(device) -> bool`` (default: :func:`probe_port`)
    :param probe: False to skip probing
    """
    candidates = scan_usb(sysfs_root, dev_root)
    if not probe:
        return candidates
    check = prober or probe_port
    return [replace(c, responds=bool(check(c.device))) for c in candidates]


def find_at_port(
    sysfs_root: str = "/sys", dev_root: str = "/dev", *, prober: Optional[Prober] = None
) -> Optional[Candidate]:
    """The first tty of a known modem that answers ``AT`` (the reference's flow)."""
    check = prober or probe_port
    for candidate in scan_usb(sysfs_root, dev_root):
        if check(candidate.device):
            logger.debug("found working port at %s", candidate.device)
            return replace(candidate, responds=True)
    return None
