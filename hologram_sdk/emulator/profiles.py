"""The emulated modems: what differs between them, one :class:`Profile` each."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Profile:
    """What differs between the emulated modems. ``{imei}`` in ``ati`` is filled in."""

    name: str
    manufacturer: str
    model: str
    revision: str
    #: lines of the ATI answer
    ati: tuple[str, ...]
    #: command families beyond 27.007/27.005 and V.250:
    #: "huawei" (^ICCID, ^CURC, ^SYSINFO, ^RSSI/^MODE URCs), "ublox-sockets"
    #: (+USO*, +UDCONF), "ublox-psd" (+UPSD*), "ublox-loc" (+ULOC), "ublox-usb"
    #: (+UUSBCONF), "pdp" (+CGACT, +CGPADDR), "quectel-sockets" (+QI*),
    #: "quectel-gnss" (+QGPS*)
    families: frozenset[str]
    #: USB vendor:product in modem mode
    usb_id: str
    #: the radios it can register on; the first is the default
    rats: tuple[str, ...] = ("utran", "lte")
    #: <AcT> reported for each radio (+CREG/+CEREG/+COPS), in the vendor's numbering
    act: dict[str, int] = field(default_factory=lambda: {"utran": 2, "lte": 7, "nbiot": 9})
    #: on E-UTRAN it also registers for circuit and 3G-packet services (+CREG/+CGREG
    #: say registered too); False: EPS only (LTE-M/NB-IoT)
    combined_attach: bool = False
    #: it knows +CEREG even while on UTRAN (an LTE modem)
    eps: bool = False
    #: the CONNECT line answering a packet-data dial
    connect: str = "CONNECT"
    #: index of the first SMS storage slot
    first_sms_index: int = 1
    #: +CCID pads a 19-digit ICCID with a trailing F
    ccid_pad: bool = False
    #: ATI9 answer (u-blox)
    ati9: str = ""
    #: the +CFUN <fun> values accepted, and those that reboot the modem
    cfun: tuple[int, ...] = (0, 1, 4, 7, 15, 16)
    cfun_reset: tuple[int, ...] = (15, 16)
    #: +CFUN=1,1 reboots it (Quectel)
    cfun_rst: bool = False
    #: the +UUSBCONF answer (u-blox)
    usb_conf: str = ""


def _huawei(name: str, model: str, revision: str, usb_id: str, connect: str) -> Profile:
    return Profile(
        name=name,
        manufacturer="huawei",
        model=model,
        revision=revision,
        ati=(
            "Manufacturer: huawei",
            f"Model: {model}",
            f"Revision: {revision}",
            "IMEI: {imei}",
            "+GCAP: +CGSM,+DS,+ES",
        ),
        connect=connect,
        families=frozenset({"huawei"}),
        first_sms_index=0,
        ccid_pad=True,
        usb_id=usb_id,
    )


def _quectel(name: str, model: str, revision: str, usb_id: str, **kw: object) -> Profile:
    return Profile(
        name=name,
        manufacturer="Quectel",
        model=model,
        revision=revision,
        ati=("Quectel", model, f"Revision: {revision}"),
        usb_id=usb_id,
        first_sms_index=0,
        eps=True,
        cfun=(0, 1, 4),
        cfun_reset=(),
        cfun_rst=True,
        **kw,  # type: ignore[arg-type]
    )


_U201 = Profile(
    name="u201",
    manufacturer="u-blox",
    model="SARA-U201",
    revision="23.60",
    ati=("SARA-U201-03B-00",),
    families=frozenset({"ublox-sockets", "ublox-psd", "ublox-loc", "ublox-usb"}),
    usb_id="1546:1102",
    ati9="23.60,A01.01",
    cfun=(0, 1, 4, 7, 15, 16),
    cfun_reset=(15, 16),
    usb_conf='+UUSBCONF: 0,"",,"0x1102"',
)

_R410 = Profile(
    name="r410",
    manufacturer="u-blox",
    model="SARA-R410M-02B",
    revision="L0.0.00.00.05.08 [Jun 27 2019 11:04:32]",
    ati=("SARA-R410M-02B-01",),
    families=frozenset({"ublox-sockets", "ublox-loc", "pdp"}),
    usb_id="05c6:90b2",
    rats=("lte", "nbiot"),
    act={"lte": 7, "nbiot": 9},
    eps=True,
    ati9="L0.0.00.00.05.08,A.02.04",
    cfun=(0, 1, 4, 15, 16),
    cfun_reset=(15,),
)

PROFILES: dict[str, Profile] = {
    "e303": _huawei("e303", "E303", "21.157.01.01.18", "12d1:1001", "CONNECT 7200000"),
    "ms2131": _huawei("ms2131", "MS2131", "21.318.01.00.00", "12d1:1506", "CONNECT 21600000"),
    "e372": dataclasses.replace(
        _huawei("e372", "E372", "11.126.16.00.00", "12d1:14c6", "CONNECT 42000000"),
        rats=("utran",),
    ),
    "u201": _U201,
    #: the U201 under its 2017 name (the Hologram Nova's pre-release "IOTA")
    "iota": dataclasses.replace(_U201, name="iota"),
    "r410": _R410,
    "r404": dataclasses.replace(
        _R410,
        name="r404",
        model="SARA-R404M-00B",
        revision="L0.0.00.00.05.05 [Mar 21 2018 09:01:32]",
        ati=("SARA-R404M-00B-00",),
        rats=("lte",),
        ati9="L0.0.00.00.05.05,A.02.00",
    ),
    "bg96": _quectel(
        "bg96",
        "BG96",
        "BG96MAR02A07M1G",
        "2c7c:0296",
        families=frozenset({"quectel-sockets", "quectel-gnss", "pdp"}),
        rats=("lte", "nbiot"),
        # the BG96 manual numbers eMTC 8 and NB-IoT 9 in +CREG/+CEREG/+COPS
        act={"lte": 8, "nbiot": 9},
    ),
    "ec21": _quectel(
        "ec21",
        "EC21",
        "EC21EFAR06A01M4G",
        "2c7c:0121",
        families=frozenset({"quectel-sockets", "pdp"}),
        rats=("lte", "utran"),
        combined_attach=True,
    ),
    "ec25": _quectel(
        "ec25",
        "EC25",
        "EC25EFAR06A06M4G",
        "2c7c:0125",
        families=frozenset({"quectel-sockets", "quectel-gnss", "pdp"}),
        rats=("lte", "utran"),
        combined_attach=True,
    ),
}

#: what the ``dial_result`` fault may be
DIAL_RESULTS = frozenset({"CONNECT", "BUSY", "NO CARRIER", "ERROR", "NO ANSWER", "NO DIALTONE"})

DEFAULT_IMEI = "351234567890124"
DEFAULT_ICCID = "8910010123456789015"
DEFAULT_IMSI = "001010123456789"
