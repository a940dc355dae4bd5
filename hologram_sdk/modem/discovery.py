"""Find modems: scan sysfs for known USB ids, map interfaces to ttys, probe with ``AT``.

The ids come from the driver registry (:mod:`hologram_sdk.modem.registry`),
tried in its order; ``network='cellular'`` takes :func:`find_first_modem`.
Every function takes the sysfs and ``/dev`` roots, so tests build a fake tree.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from typing import Callable, Optional

from hologram_sdk.base.errors import HologramError, ModemNotFoundError
from hologram_sdk.modem.at import ATChannel
from hologram_sdk.modem.ports import Opener
from hologram_sdk.modem.profiles import ModemProfile
from hologram_sdk.modem.registry import drivers

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
    known = [driver.profile for driver in drivers()]
    wanted = [p for p in known if profiles is None or p.name in profiles]
    found: list[Candidate] = []
    at_first: dict[tuple[str, int], bool] = {}  # the profile's AT interface is tried first
    for name in entries:
        if ":" in name:  # an interface, reached through its device below
            continue
        device_dir = os.path.join(devices_dir, name)
        vendor = _read(os.path.join(device_dir, "idVendor"))
        product = _read(os.path.join(device_dir, "idProduct"))
        if not vendor or not product:
            continue
        profile = _first_with_id(wanted, vendor, product)
        if profile is None:
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
                at_first.setdefault((name, interface), interface != profile.at_interface)
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
    order = {profile.name: position for position, profile in enumerate(known)}
    found.sort(
        key=lambda c: (
            order.get(c.profile, 99),
            c.usb_path,
            at_first.get((c.usb_path, c.interface), True),
            c.interface,
            c.device,
        )
    )
    return found


def _first_with_id(
    profiles: list[ModemProfile], vendor: str, product: str
) -> Optional[ModemProfile]:
    """The first of ``profiles`` whose modem-mode ids include ``vendor:product``."""
    pair = (vendor.strip().lower(), product.strip().lower())
    return next((p for p in profiles if pair in p.usb_ids), None)


def looked_for(profiles: Optional[list[str]] = None) -> str:
    """The ids discovery looks for, one phrase: ``e303 12d1:1001, ...``."""
    parts = []
    for driver in drivers():
        if profiles is not None and driver.name not in profiles:
            continue
        ids = "/".join(f"{vendor}:{product}" for vendor, product in driver.profile.usb_ids)
        parts.append(f"{driver.name} {ids}")
    return ", ".join(parts)


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


def find_first_modem(
    sysfs_root: str = "/sys",
    dev_root: str = "/dev",
    *,
    prober: Optional[Prober] = None,
    profiles: Optional[list[str]] = None,
) -> Candidate:
    """The first supported modem on USB whose tty answers ``AT`` (``network='cellular'``).

    Drivers are tried in the registry's order, each device's AT interface first.

    :param prober: ``prober(device) -> bool`` (default: :func:`probe_port`)
    :param profiles: only these driver names (default: every registered one)
    :raises ModemNotFoundError: none; the message names the ids looked for
    """
    check = prober or probe_port
    candidates = scan_usb(sysfs_root, dev_root, profiles=profiles)
    for candidate in candidates:
        if check(candidate.device):
            logger.info(
                "found %s (%s:%s) on %s",
                candidate.profile,
                candidate.vendor,
                candidate.product,
                candidate.device,
            )
            return replace(candidate, responds=True)
    where = os.path.join(sysfs_root, "bus", "usb", "devices")
    if candidates:
        raise ModemNotFoundError(
            f"Modem not detected: no modem answered AT on "
            f"{', '.join(c.device for c in candidates)} (looked for {looked_for(profiles)})"
        )
    raise ModemNotFoundError(
        f"Modem not detected: no supported modem in {where} (looked for {looked_for(profiles)})"
    )
