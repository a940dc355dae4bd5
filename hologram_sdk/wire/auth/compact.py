"""The compact request format of TOTP and SIM-OTP authentication (pure, both sides).

A request is an auth string, then NUL-ended fields, then one more NUL::

    C<device_id> <timestamp> <otp>       TOTP (device id = ICCID)
    H<iccid> <timestamp> <token>         SIM-OTP
    M\\x01<modem>-<sdk version>\\0        metadata
    T<topic>\\0                           per topic
    B<message>\\0                         the message
    \\0                                   end of request

A SIM-OTP device first sends ``N`` alone (the nonce request) on the same
connection and reads the cloud's nonce. The cloud answers a request with ASCII
digits, the first being the result code. Facts: ``shared/reference/
modem-facts.md`` §14.4.

SMS: the SDK 0.10 refused SMS with these methods; ours adds a field
``S<+number>\\0`` before the text's ``B`` field. The local cloud understands it;
whether the Hologram cloud does is not public (it answers a code either way).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional, Union

TOTP_PREFIX = "C"
SIMOTP_PREFIX = "H"
NONCE_REQUEST = b"N"
#: the nonce a SIM-OTP cloud answers to ``N`` (raw bytes; the local cloud's size)
NONCE_SIZE = 16
END = b"\x00\x00"

_METHODS = {TOTP_PREFIX: "totp", SIMOTP_PREFIX: "sim-otp"}
_AUTH = re.compile(
    rb"^(?P<kind>[CH])(?P<device>[0-9A-Fa-f]{1,22}) (?P<ts>[0-9]{1,12}) (?P<cred>[0-9a-f]{1,64}) "
)

# result codes of the cloud protocol (``wire.protocol.ResultCode``), as plain ints here
_MSGINVALID, _AUTHINVALID, _PAYLOADINVALID, _METADATA, _TOPICINVALID = 2, 3, 4, 7, 8


class CompactError(ValueError):
    """A compact request the server refuses; ``code`` is the reply code."""

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"{code}: {reason}")


def totp_auth(device_id: str, timestamp: int, otp: int) -> str:
    """``C<device_id> <timestamp> <otp> `` (the OTP as plain digits, as 0.10 sent it)."""
    return f"{TOTP_PREFIX}{device_id} {int(timestamp)} {int(otp)} "


def simotp_auth(iccid: str, timestamp: int, token: str) -> str:
    """``H<iccid> <timestamp> <token> ``."""
    return f"{SIMOTP_PREFIX}{iccid} {int(timestamp)} {token} "


def _field(kind: str, value: str, what: str) -> str:
    if "\x00" in value:
        raise ValueError(f"{what} may not contain NUL: the compact format ends fields with it")
    return f"{kind}{value}\x00"


def payload_field(kind: str, value: str) -> str:
    """One field: its type letter (``M``, ``T``, ``B``, ``S``), the value, NUL.

    :raises ValueError: a NUL inside the value
    """
    return _field(kind, value, f"a {kind} field")


def payload(
    message: str,
    topics: Optional[Sequence[str]] = None,
    metadata: Optional[str] = None,
    destination: Optional[str] = None,
) -> str:
    """The fields after the auth string, the final NUL included (0.10's order:
    metadata, topics, then the message).

    :raises ValueError: a NUL inside a field
    """
    parts = []
    if metadata is not None:
        parts.append(_field("M", metadata, "metadata"))
    for topic in topics or ():
        parts.append(_field("T", str(topic), "a topic"))
    if destination is not None:
        parts.append(_field("S", destination, "the destination"))
    parts.append(_field("B", message, "a message"))
    return "".join(parts) + "\x00"


def encode(
    auth: str,
    message: str,
    topics: Optional[Sequence[str]] = None,
    metadata: Optional[str] = None,
    destination: Optional[str] = None,
) -> bytes:
    """A whole compact request: auth string then :func:`payload`, UTF-8."""
    text = auth + payload(message, topics, metadata, destination)
    return text.encode("utf-8", errors="surrogateescape")


def fields_digest(fields: bytes) -> bytes:
    """A short digest of a request's fields (what follows the auth string): the
    local cloud's replay check keys on it with the device and the timestamp."""
    return hashlib.sha256(fields).digest()[:16]


def is_compact(data: Union[bytes, bytearray]) -> bool:
    """Whether a request (so far) is in the compact format, nonce request included."""
    return data[:1] in (b"C", b"H", b"N")


def request_complete(data: bytes) -> bool:
    """Whether a compact request is whole: ``N``, or fields up to the final NUL."""
    if data == NONCE_REQUEST:
        return True
    stripped = data[:-2] if data.endswith((b"\r\r", b"\n\n")) else data
    return stripped.endswith(END)


@dataclass
class CompactRequest:
    """A decoded compact request (``repr`` masks the OTP or token)."""

    method: str  # "totp" or "sim-otp"
    device_id: str
    timestamp: int
    credential: str = field(repr=False)  # the OTP or the token: never log it
    #: :func:`fields_digest` of the fields as received (the replay check's key)
    digest: bytes = field(default=b"", repr=False)
    messages: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    metadata: Optional[str] = None
    destination: Optional[str] = None

    @property
    def kind(self) -> str:
        """``"sms"`` when it names a destination, else ``"message"``."""
        return "sms" if self.destination is not None else "message"

    @property
    def data(self) -> str:
        return "".join(self.messages)


def decode(body: Union[bytes, bytearray]) -> CompactRequest:
    """Decode one whole compact request (``\\r\\r`` after it is allowed).

    :raises CompactError: carrying the code the server answers with
    """
    data = bytes(body)
    if data.endswith((b"\r\r", b"\n\n")):
        data = data[:-2]
    match = _AUTH.match(data)
    if match is None:
        raise CompactError(_AUTHINVALID, "no valid auth string")
    if not data.endswith(END):
        raise CompactError(_MSGINVALID, "the request does not end with NUL NUL")
    try:
        text = data[match.end() : -1].decode("utf-8")
    except UnicodeDecodeError:
        raise CompactError(_MSGINVALID, "fields are not UTF-8") from None
    request = CompactRequest(
        method=_METHODS[match["kind"].decode()],
        device_id=match["device"].decode(),
        timestamp=int(match["ts"]),
        credential=match["cred"].decode(),
        digest=fields_digest(data[match.end() :]),
    )
    for item in text.split("\x00")[:-1]:
        kind, value = item[:1], item[1:]
        if kind == "B":
            request.messages.append(value)
        elif kind == "T":
            if not value or len(value) > 256:
                raise CompactError(_TOPICINVALID, "empty or over-long topic")
            request.topics.append(value)
        elif kind == "M":
            if not value.startswith("\x01"):
                raise CompactError(_METADATA, "metadata must start with byte 0x01")
            request.metadata = value
        elif kind == "S":
            request.destination = value
        else:
            raise CompactError(_PAYLOADINVALID, f"unknown field type {kind!r}")
    if not request.messages:
        raise CompactError(_MSGINVALID, "no message field")
    return request
