"""What the tests read and steer: fault switches, sent and stored SMS."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Optional

from hologram_sdk.modem import pdu

# --- values the tests read ------------------------------------------------------


@dataclass
class Faults:
    """Fault switches; change them at any time (``emu.faults.delay = 0.5``)."""

    #: seconds between the echo of a command and its answer (pty and port modes)
    delay: float = 0.0
    #: lines sent (framed like URCs) before every answer
    garbage: list[str] = field(default_factory=list)
    #: result of a packet-data dial: one of :data:`DIAL_RESULTS`
    dial_result: str = "CONNECT"
    #: answer every SMS send with ``+CMS ERROR: <n>``
    sms_error: Optional[int] = None
    #: swallow everything: no echo, no answer (a hung modem)
    mute: bool = False
    #: unplug when a command line starting with this arrives (e.g. ``"AT+CSQ"``)
    unplug_on: Optional[str] = None


@dataclass(frozen=True)
class SentSms:
    """One message the modem was asked to send (AT+CMGS)."""

    number: str
    text: str
    #: "text" or "pdu": the AT+CMGF mode used
    mode: str
    #: the message reference the modem answered with
    reference: int
    encoding: pdu.Encoding
    #: the hex PDU as the client sent it (PDU mode only)
    pdu: Optional[str] = None


@dataclass
class StoredSms:
    """One message in the modem's store; ``stat`` indexes SMS_STAT (0 = REC UNREAD)."""

    stat: int
    sender: str
    text: str
    timestamp: _dt.datetime
    smsc: str
    encoded: pdu.EncodedPdu
    encoding: pdu.Encoding
