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
    :param chat_script: file name of the shipped chat script
    :param modes: the modes the class accepts (``ppp``, ``serial``)
    :param huawei_iccid: the ICCID may need ``AT^ICCID?`` (old Huawei firmware)
    :param has_usocket: the modem has u-blox AT sockets (``+USOCR``...)
    :param manufacturer: what ``AT+CGMI`` answers
    :param aliases: other names the registry finds it by (``u201``, ``r410``...)
    :param socket_family: the modem's own-socket family for serial mode
        (``ublox-psd``, ``ublox-r4``, ``quectel``; None: PPP only), see
        :mod:`hologram_sdk.modem.sockets`
    :param registration_domains: where the model registers (``+CREG``
        circuit, ``+CGREG`` packet, ``+CEREG`` EPS; LTE-M and NB-IoT modems in
        EPS only). Set-up turns on all three and ``registration`` reads all
        three (a modem without one answers ERROR); this says which count.
    :param location: ``celllocate`` (u-blox ``+ULOC``), ``gnss`` (Quectel
        ``+QGPSLOC``) or None
    :param reset_command: what restarts the modem (``AT+CFUN=16`` U201,
        ``AT+CFUN=15`` R4, ``AT+CFUN=1,1`` 27.007)
    :param version_command: what reports the firmware version (U201/R4: ``ATI9``)
    :param data_interface: USB interface of the PPP data port, when it is not
        the AT port (Quectel: 3, AT on 2)
    :param rat: the radio technologies it has (``2g``, ``3g``, ``lte-m``, ``nb-iot``, ``lte``)
    """

    name: str
    description: str
    usb_ids: tuple[tuple[str, str], ...] = ()
    storage_usb_ids: tuple[tuple[str, str], ...] = ()
    default_device: str = "/dev/ttyUSB0"
    at_interface: int = 0
    chat_script: str = "default-script"
    modes: tuple[str, ...] = ("ppp",)
    huawei_iccid: bool = False
    has_usocket: bool = False
    manufacturer: str = ""
    aliases: tuple[str, ...] = ()
    socket_family: Optional[str] = None
    registration_domains: tuple[str, ...] = ("+CREG", "+CGREG", "+CEREG")
    location: Optional[str] = None
    reset_command: str = "AT+CFUN=1,1"
    version_command: str = "AT+CGMR"
    data_interface: Optional[int] = None
    rat: tuple[str, ...] = ()


#: a modem the SDK has no table for: standard 27.007 only (every field at its default)
GENERIC_PROFILE = ModemProfile(name="generic", description="generic 3GPP TS 27.007 modem")

E303_PROFILE = ModemProfile(
    name="e303",
    description="Huawei E303 HSPA USB stick",
    usb_ids=(("12d1", "1001"),),
    storage_usb_ids=(("12d1", "1f01"), ("12d1", "1446")),
    huawei_iccid=True,
    manufacturer="huawei",
    registration_domains=("+CREG", "+CGREG"),
    rat=("3g", "2g"),
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
    modes=("ppp", "serial"),
    has_usocket=True,
    manufacturer="u-blox",
    socket_family="ublox-psd",
    registration_domains=("+CREG", "+CGREG"),
    location="celllocate",
    reset_command="AT+CFUN=16",
    version_command="ATI9",
    rat=("2g", "3g"),
)

# --- the modems of the official SDK's 0.10 line (modem-facts §14) ------------------

#: Hologram Nova U201: the iota's hardware under its later name
NOVA_U201_PROFILE = replace(
    IOTA_PROFILE,
    name="nova",
    description="Hologram Nova Global 3G/2G Cellular USB Modem (U201)",
    aliases=("u201", "nova_u201", "nova-u201"),
)

#: Hologram Nova R404/R410: u-blox SARA-R4, LTE Cat-M1, EPS registration only
NOVAM_PROFILE = ModemProfile(
    name="novam",
    description="Hologram Nova US 4G LTE Cat-M1 Cellular USB Modem (R410)",
    usb_ids=(("05c6", "90b2"),),
    default_device="/dev/ttyUSB1",
    at_interface=1,
    data_interface=2,
    modes=("ppp", "serial"),
    has_usocket=True,
    manufacturer="u-blox",
    aliases=("r410", "r404", "nova-m", "nova_r410"),
    socket_family="ublox-r4",
    registration_domains=("+CEREG",),
    location="celllocate",
    reset_command="AT+CFUN=15",
    version_command="ATI9",
    rat=("lte-m",),
)

#: Quectel BG96: LTE Cat-M1 / NB-IoT (EGPRS fallback), GNSS; AT on if#2, PPP on if#3
BG96_PROFILE = ModemProfile(
    name="bg96",
    description="Quectel BG96",
    usb_ids=(("2c7c", "0296"),),
    default_device="/dev/ttyUSB2",
    at_interface=2,
    data_interface=3,
    modes=("ppp", "serial"),
    manufacturer="Quectel",
    socket_family="quectel",
    registration_domains=("+CREG", "+CEREG"),
    location="gnss",
    rat=("lte-m", "nb-iot", "2g"),
)

#: Quectel EC21: LTE Cat 1, same port layout and +QI* sockets as the BG96
EC21_PROFILE = replace(
    BG96_PROFILE,
    name="ec21",
    description="Quectel EC21",
    usb_ids=(("2c7c", "0121"),),
    registration_domains=("+CREG", "+CGREG", "+CEREG"),
    rat=("lte", "3g", "2g"),
)

#: Quectel EC25: LTE Cat 4
EC25_PROFILE = replace(
    EC21_PROFILE,
    name="ec25",
    description="Quectel EC25",
    usb_ids=(("2c7c", "0125"),),
)

#: Huawei E372: HSPA+ stick like the E303, PPP only
E372_PROFILE = replace(
    E303_PROFILE,
    name="e372",
    description="Huawei E372",
    usb_ids=(("12d1", "14c6"),),
    storage_usb_ids=(),
    registration_domains=("+CREG", "+CGREG"),
    rat=("3g", "2g"),
)
