"""The emulated modems' facts: profiles, registration and SIM states, radios, dials."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Profile:
    """What differs between the emulated modems. ``{imei}`` in ``ati`` is filled in."""

    name: str
    manufacturer: str
    model: str
    revision: str
    #: lines of the ATI answer
    ati: tuple[str, ...]
    #: the CONNECT line answering a packet-data dial
    connect: str
    #: command families beyond 27.007/27.005: "huawei" (^ICCID, ^RSSI/^MODE URCs,
    #: ^CURC, ^SYSINFO), "ublox" (+USO* sockets, +UPSD*, +UDCONF, ATI9)
    families: frozenset[str]
    #: index of the first SMS storage slot
    first_sms_index: int
    #: +CCID pads a 19-digit ICCID with a trailing F
    ccid_pad: bool
    #: USB vendor:product in modem mode
    usb_id: str
    #: access technology reported by +CREG/+COPS (2 = UTRAN)
    act: int = 2
    #: ATI9 answer (u-blox)
    ati9: str = ""


PROFILES: dict[str, Profile] = {
    "e303": Profile(
        name="e303",
        manufacturer="huawei",
        model="E303",
        revision="21.157.01.01.18",
        ati=(
            "Manufacturer: huawei",
            "Model: E303",
            "Revision: 21.157.01.01.18",
            "IMEI: {imei}",
            "+GCAP: +CGSM,+DS,+ES",
        ),
        connect="CONNECT 7200000",
        families=frozenset({"huawei"}),
        first_sms_index=0,
        ccid_pad=True,
        usb_id="12d1:1001",
    ),
    "ms2131": Profile(
        name="ms2131",
        manufacturer="huawei",
        model="MS2131",
        revision="21.318.01.00.00",
        ati=(
            "Manufacturer: huawei",
            "Model: MS2131",
            "Revision: 21.318.01.00.00",
            "IMEI: {imei}",
            "+GCAP: +CGSM,+DS,+ES",
        ),
        connect="CONNECT 21600000",
        families=frozenset({"huawei"}),
        first_sms_index=0,
        ccid_pad=True,
        usb_id="12d1:1506",
    ),
    "iota": Profile(
        name="iota",
        manufacturer="u-blox",
        model="SARA-U201",
        revision="23.60",
        ati=("SARA-U201-03B-00",),
        connect="CONNECT",
        families=frozenset({"ublox"}),
        first_sms_index=1,
        ccid_pad=False,
        usb_id="1546:1102",
        ati9="23.60,A01.01",
    ),
}

#: registration names accepted by ``set(registration=...)`` -> 27.007 <stat>
REGISTRATION_STATES: dict[str, int] = {
    "none": 0,
    "not registered": 0,
    "home": 1,
    "searching": 2,
    "denied": 3,
    "unknown": 4,
    "roaming": 5,
}

#: SIM states -> the CME error a SIM-dependent command gets (None = works)
SIM_STATES: dict[str, Optional[int]] = {
    "ready": None,
    "absent": 10,
    "pin": 11,
    "puk": 12,
    "failure": 13,
    "busy": 14,
}
_SIM_CMS = {10: 310, 11: 311, 12: 316, 13: 313, 14: 314}
_CPIN_TEXT = {"ready": "READY", "pin": "SIM PIN", "puk": "SIM PUK"}

#: what the ``dial_result`` fault may be
DIAL_RESULTS = frozenset({"CONNECT", "BUSY", "NO CARRIER", "ERROR", "NO ANSWER", "NO DIALTONE"})

#: radios a :class:`ModemEmulator` can register on (its ``rat``)
RATS = ("utran", "lte")

DEFAULT_IMEI = "351234567890124"
DEFAULT_ICCID = "8910010123456789015"
DEFAULT_IMSI = "001010123456789"
