"""Per-modem facts, one :class:`ModemProfile` each: USB ids, ports, chat script and quirks.

Which class drives which profile is the registry's business (:mod:`hologram_sdk.modem.registry`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional


@dataclass(frozen=True)
class ModemProfile:
    """What the SDK knows about one modem model.

    :param name: registry key (``e303``, ``ms2131``, ``iota``)
    :param description: human-readable name
    :param usb_ids: ``(vendor, product)`` pairs in modem mode, lower-case hex
    :param storage_usb_ids: ids the stick shows before mode switching (no tty)
    :param default_device: the port the reference uses by default
    :param at_interface: USB interface number of the AT/PPP port
    :param at_interface_during_ppp: interface that still answers AT while PPP
        holds the data port (None when there is none)
    :param at_device_during_ppp: the conventional tty of that interface
    :param chat_script: file name of the shipped chat script
    :param modes: the modes the class accepts (``ppp``, ``serial``)
    :param huawei_iccid: the ICCID may need ``AT^ICCID?`` (old Huawei firmware)
    :param huawei_urcs: the modem sends ``^RSSI``/``^MODE``/``^BOOT`` URCs
    :param has_usocket: the modem has u-blox AT sockets (``+USOCR``...)
    :param manufacturer: what ``AT+CGMI`` answers
    """

    name: str
    description: str
    usb_ids: tuple[tuple[str, str], ...] = ()
    storage_usb_ids: tuple[tuple[str, str], ...] = ()
    default_device: str = "/dev/ttyUSB0"
    at_interface: int = 0
    at_interface_during_ppp: Optional[int] = None
    at_device_during_ppp: Optional[str] = None
    chat_script: str = "default-script"
    modes: tuple[str, ...] = ("ppp",)
    huawei_iccid: bool = False
    huawei_urcs: bool = False
    has_usocket: bool = False
    manufacturer: str = ""


#: a modem the SDK has no table for: standard 27.007 only (every field at its default)
GENERIC_PROFILE = ModemProfile(name="generic", description="generic 3GPP TS 27.007 modem")

E303_PROFILE = ModemProfile(
    name="e303",
    description="Huawei E303 HSPA USB stick",
    usb_ids=(("12d1", "1001"),),
    storage_usb_ids=(("12d1", "1f01"), ("12d1", "1446")),
    at_interface_during_ppp=2,
    at_device_during_ppp="/dev/ttyUSB2",
    huawei_iccid=True,
    huawei_urcs=True,
    manufacturer="huawei",
)

#: the same Huawei stick family as the E303: only the names and USB ids differ
MS2131_PROFILE = replace(
    E303_PROFILE,
    name="ms2131",
    description="Huawei MS2131 HSPA+ USB stick",
    usb_ids=(("12d1", "1506"),),
    storage_usb_ids=(("12d1", "14fe"),),
)

IOTA_PROFILE = ModemProfile(
    name="iota",
    description="Hologram iota (u-blox SARA-U201)",
    usb_ids=(("1546", "1102"), ("1546", "1104")),
    default_device="/dev/ttyACM0",
    at_interface_during_ppp=2,
    at_device_during_ppp="/dev/ttyACM1",
    modes=("ppp", "serial"),
    has_usocket=True,
    manufacturer="u-blox",
)
