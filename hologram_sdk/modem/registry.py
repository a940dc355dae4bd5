"""THE modem-driver registry: modem name -> driver class and profile, in one table.

Everything that maps a modem name to code reads this table: the network layer
(``network='cellular-iota'``), USB discovery, and the ``hologram modem`` /
``hologram network`` commands. A new driver is one :func:`register_driver`
call (the built-in ones are at the bottom of this module); its class is
imported only when it is used, so reading the table stays cheap.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from hologram_sdk.base.errors import ConfigurationError, UnknownInterfaceError
from hologram_sdk.modem.profiles import (
    BG96_PROFILE,
    E303_PROFILE,
    E372_PROFILE,
    EC21_PROFILE,
    EC25_PROFILE,
    GENERIC_PROFILE,
    IOTA_PROFILE,
    MS2131_PROFILE,
    NOVA_U201_PROFILE,
    NOVAM_PROFILE,
    ModemProfile,
)

if TYPE_CHECKING:
    from hologram_sdk.modem.modem import Modem

#: the prefix of a cellular network interface name (``cellular-<driver>``)
CELLULAR_PREFIX = "cellular-"


@dataclass(frozen=True)
class ModemDriver:
    """One modem model the SDK can drive.

    :param profile: the model's facts; ``profile.name`` is the registry key
    :param target: ``"module:Class"`` of the driver class (imported on :meth:`load`)
    :param interfaces: the network interface names that select this driver
        (default: ``cellular-<name>``)
    """

    profile: ModemProfile
    target: str
    interfaces: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The registry key (``e303``, ``iota``...)."""
        return self.profile.name

    def interface_names(self) -> tuple[str, ...]:
        """The interface names that select this driver."""
        return self.interfaces or (CELLULAR_PREFIX + self.name,)

    def load(self) -> type[Modem]:
        """The driver class (its module is imported on first use)."""
        module, _, attribute = self.target.partition(":")
        cls: type[Modem] = getattr(importlib.import_module(module), attribute)
        return cls


_lock = threading.Lock()
#: name -> driver, in registration order (the order discovery tries them)
_drivers: dict[str, ModemDriver] = {}


def register_driver(driver: ModemDriver) -> None:
    """Add ``driver`` (or replace the one of the same name).

    :raises ConfigurationError: the target is not ``module:Class``, or an
        interface name is already another driver's
    """
    module, sep, attribute = driver.target.partition(":")
    if not (module and sep and attribute):
        raise ConfigurationError(f"driver target must be 'module:Class', not {driver.target!r}")
    with _lock:
        for other in _drivers.values():
            taken = set(other.interface_names()) & set(driver.interface_names())
            if other.name != driver.name and taken:
                raise ConfigurationError(
                    f"interface {sorted(taken)[0]!r} already selects the {other.name} driver"
                )
        _drivers[driver.name] = driver


def drivers() -> list[ModemDriver]:
    """Every registered driver, in registration order."""
    with _lock:
        return list(_drivers.values())


def driver_names() -> list[str]:
    """The registered drivers' names, in registration order."""
    return [driver.name for driver in drivers()]


def get_driver(name: str) -> ModemDriver:
    """The driver called ``name`` (case-insensitive).

    :raises UnknownInterfaceError: no such driver; the message lists them
    """
    key = str(name).strip().lower()
    with _lock:
        found = _drivers.get(key)
        if found is None:  # another name of the same model (u201, r410...)
            found = next((d for d in _drivers.values() if key in d.profile.aliases), None)
    if found is None:
        raise UnknownInterfaceError(
            f"unknown modem profile {name!r}; valid: {', '.join(sorted(driver_names()))}"
        )
    return found


def get_profile(name: str) -> ModemProfile:
    """The profile called ``name`` (case-insensitive); ``generic`` is plain 27.007.

    :raises UnknownInterfaceError: not a known profile; the message lists them
    """
    if str(name).strip().lower() == GENERIC_PROFILE.name:
        return GENERIC_PROFILE
    return get_driver(name).profile


def profile_for_usb_id(vendor: str, product: str) -> Optional[ModemProfile]:
    """The profile whose modem-mode ids include ``vendor:product``, if any."""
    pair = (vendor.strip().lower(), product.strip().lower())
    for driver in drivers():
        if pair in driver.profile.usb_ids:
            return driver.profile
    return None


def interface_names() -> list[str]:
    """Every cellular network interface name, sorted."""
    return sorted(name for driver in drivers() for name in driver.interface_names())


def driver_for_interface(interface: str) -> Optional[ModemDriver]:
    """The driver a network interface name selects, or None when none does."""
    for driver in drivers():
        if interface in driver.interface_names():
            return driver
    return None


# --- the built-in drivers (discovery tries them in this order) ----------------------

register_driver(ModemDriver(E303_PROFILE, "hologram_sdk.modem.e303:E303"))
register_driver(ModemDriver(MS2131_PROFILE, "hologram_sdk.modem.ms2131:MS2131"))
register_driver(ModemDriver(E372_PROFILE, "hologram_sdk.modem.e372:E372"))
register_driver(ModemDriver(BG96_PROFILE, "hologram_sdk.modem.quectel:BG96"))
register_driver(ModemDriver(EC21_PROFILE, "hologram_sdk.modem.quectel:EC21"))
register_driver(ModemDriver(EC25_PROFILE, "hologram_sdk.modem.quectel:EC25"))
register_driver(ModemDriver(NOVA_U201_PROFILE, "hologram_sdk.modem.nova:Nova_U201"))
register_driver(ModemDriver(NOVAM_PROFILE, "hologram_sdk.modem.nova:NovaM"))
# the Nova U201 under its 2017 name (same USB ids: discovery finds it as 'nova' first)
register_driver(ModemDriver(IOTA_PROFILE, "hologram_sdk.modem.iota:IOTA"))
