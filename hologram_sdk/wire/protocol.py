"""Pure encoding and parsing of the Hologram cloud socket protocol (no I/O).

Used by the client (``HologramCloud``) and by the local cloud server, so both
sides agree byte for byte. Facts: ``shared/reference/cloud-protocol.md``.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional, Union

from hologram_sdk.base.credentials import Credentials as Credentials
from hologram_sdk.base.credentials import devicekey_ok, seed_part_ok
from hologram_sdk.base.credentials import parse_credentials as parse_credentials
from hologram_sdk.base.errors import (
    ConfigurationError,
    InvalidPhoneNumberError,
    MessageTooLongError,
)

TERMINATOR = b"\r\r"
#: Terminators a server accepts (the public docs say "two newlines").
TERMINATORS = (b"\r\r", b"\n\n", b"\r\n\r\n")
SMS_MAX_CHARS = 160
E164 = re.compile(r"^\+[0-9]{7,15}$")
METADATA_PREFIX = "\x01"

Topics = Union[str, Sequence[str], None]


class ResultCode(enum.IntEnum):
    """Result of a cloud send. Compares equal to its integer and prints as digits.

    Non-negative codes come from the cloud; negative ones are produced by the SDK.
    """

    ERR_OK = 0
    ERR_CONNCLOSED = 1
    ERR_MSGINVALID = 2
    ERR_AUTHINVALID = 3
    ERR_PAYLOADINVALID = 4
    ERR_PROTINVALID = 5
    ERR_INTERNAL = 6
    ERR_METADATA = 7
    ERR_TOPICINVALID = 8
    ERR_UNKNOWN = -1
    #: Not sent yet: stored in the durable outbox, delivered when the link allows.
    ERR_QUEUED = -2

    def __str__(self) -> str:
        return str(int(self))

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    ResultCode.ERR_OK: "Message sent successfully",
    ResultCode.ERR_CONNCLOSED: "Connection was closed so we couldn't read the whole message",
    ResultCode.ERR_MSGINVALID: "Failed to parse the message",
    ResultCode.ERR_AUTHINVALID: "Auth section of the message was invalid",
    ResultCode.ERR_PAYLOADINVALID: "Payload type was invalid",
    ResultCode.ERR_PROTINVALID: "Protocol type was invalid",
    ResultCode.ERR_INTERNAL: "Internal error in Hologram Cloud",
    ResultCode.ERR_METADATA: "Metadata was formatted incorrectly",
    ResultCode.ERR_TOPICINVALID: "Topic was formatted incorrectly",
    ResultCode.ERR_UNKNOWN: "Unknown error",
    ResultCode.ERR_QUEUED: "Not sent yet: stored in the outbox for later delivery",
}

#: Refusals that retrying cannot fix (the outbox dead-letters these).
PERMANENT_FAILURES = frozenset(
    {
        ResultCode.ERR_MSGINVALID,
        ResultCode.ERR_AUTHINVALID,
        ResultCode.ERR_PAYLOADINVALID,
        ResultCode.ERR_PROTINVALID,
        ResultCode.ERR_METADATA,
        ResultCode.ERR_TOPICINVALID,
    }
)


def to_result_code(value: int) -> ResultCode:
    """Map an integer to its ``ResultCode``; unknown integers become ``ERR_UNKNOWN``."""
    try:
        return ResultCode(value)
    except ValueError:
        return ResultCode.ERR_UNKNOWN


def result_was_success(code: int) -> bool:
    """The reference counted ERR_OK and ERR_CONNCLOSED as delivered."""
    return code in (ResultCode.ERR_OK, ResultCode.ERR_CONNCLOSED)


# --- encoding --------------------------------------------------------------


def normalize_topics(topics: Topics) -> Optional[list[str]]:
    """A topic string or a list of them, as a list; ``None`` or empty as ``None``."""
    if topics is None:
        return None
    if isinstance(topics, str):
        return [topics] if topics else None
    result = [str(t) for t in topics]
    return result or None


def _as_text(message: Union[str, bytes]) -> str:
    if isinstance(message, bytes):
        return message.decode("utf-8", errors="surrogateescape")
    return str(message)


#: what ``json.dumps(..., separators=(",", ":"), ensure_ascii=True)`` would build
#: for every message: made once
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)


def encode_message(
    credentials: Credentials,
    message: Union[str, bytes],
    topics: Topics = None,
    metadata: Optional[str] = None,
) -> bytes:
    """Encode a cloud message request, terminator included.

    Seed credentials use ``s``/``c``; a device key uses ``k`` and optional ``m``.
    Each call builds a fresh object: nothing carries over between messages.
    """
    body: dict[str, object] = {}
    if credentials.devicekey:
        body["k"] = credentials.devicekey
        if metadata is not None:
            body["m"] = metadata
    else:
        body["s"] = credentials.cloud_id
        body["c"] = credentials.cloud_key
    topic_list = normalize_topics(topics)
    if topic_list is not None:
        body["t"] = topic_list
    body["d"] = _as_text(message)
    return _COMPACT_JSON.encode(body).encode("ascii") + TERMINATOR


def validate_sms(destination_number: object, message: object) -> tuple[str, str]:
    """Check an SMS before anything is sent.

    :raises InvalidPhoneNumberError: the number is not E.164 with '+'
    :raises MessageTooLongError: the text is over 160 characters
    :raises ConfigurationError: the text is None (``str(None)`` would send 'None')
    """
    if not isinstance(destination_number, str) or not E164.match(destination_number):
        raise InvalidPhoneNumberError(
            f"destination {destination_number!r} is not E.164: '+' then 7 to 15 digits, "
            "e.g. +15551234567"
        )
    if message is None:
        raise ConfigurationError("an SMS needs text: got None")
    text = _as_text(message) if isinstance(message, (str, bytes)) else str(message)
    if "\r" in text or "\n" in text:
        raise MessageTooLongError("an SMS text may not contain CR or LF")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # bytes that were not UTF-8, or lone surrogates
        raise ConfigurationError("an SMS text must be valid UTF-8 text") from None
    if len(text) > SMS_MAX_CHARS:
        raise MessageTooLongError(
            f"SMS cannot be more than {SMS_MAX_CHARS} characters long (got {len(text)})"
        )
    return destination_number, text


def encode_sms(credentials: Credentials, destination_number: str, message: str) -> bytes:
    """Encode an SMS request: ``S`` + auth + number + space + text + terminator."""
    number, text = validate_sms(destination_number, message)
    return f"S{credentials.auth_prefix}{number} {text}".encode() + TERMINATOR


def metadata_for(modem: str, sdk_version: str) -> str:
    """The ``m`` field: byte 0x01 then ``<modem>-<sdk version>``."""
    return f"{METADATA_PREFIX}{modem}-{sdk_version}"


# --- replies ---------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A parsed server reply: ``complete`` once no more bytes are needed."""

    complete: bool
    code: ResultCode = ResultCode.ERR_UNKNOWN
    raw: bytes = b""


_DIGITS = re.compile(rb"^\s*(-?[0-9]+)")
#: a JSON list of small integers, as the cloud answers (``[0,0]``)
_JSON_INT = rb"-?(?:0|[1-9][0-9]{0,17})"  # JSON's integer syntax: no leading zeros
_INT_LIST = re.compile(rb"\[\s*(" + _JSON_INT + rb")\s*(?:,\s*" + _JSON_INT + rb"\s*)*\]$")


def parse_reply(data: bytes, closed: bool = False) -> Reply:
    """Parse what the server has written so far.

    A JSON reply (``[0,0]``) is complete at its closing ``]``, so a client
    need not wait for the server to close. A digit reply (SMS) is complete
    when the server closes, or when a terminator follows the digits.
    ``closed`` says the server has closed: whatever is there is final.
    """
    stripped = data.strip()
    if stripped.startswith(b"["):
        end = stripped.find(b"]")
        if end < 0:
            return Reply(complete=closed, raw=data)
        ints = _INT_LIST.match(stripped, 0, end + 1)
        if ints is not None:  # the usual "[0,0]": no JSON decoder needed
            return Reply(complete=True, code=to_result_code(int(ints.group(1))), raw=data)
        try:
            parsed = json.loads(stripped[: end + 1])
        except (ValueError, RecursionError):  # deep nesting recurses
            return Reply(complete=True, raw=data)
        if isinstance(parsed, list) and parsed and isinstance(parsed[0], int):
            return Reply(complete=True, code=to_result_code(parsed[0]), raw=data)
        return Reply(complete=True, raw=data)
    match = _DIGITS.match(data)
    if match and (closed or any(t in data for t in TERMINATORS) or b"\n" in data):
        first = match.group(1)
        # An SMS reply's first digit is the code ("0", or "0" + detail digits).
        # (a negative code is cut to 20 digits: int() refuses over 4300 digits)
        value = int(first[:21]) if first.startswith(b"-") else int(first[:1])
        return Reply(complete=True, code=to_result_code(value), raw=data)
    if closed:
        return Reply(complete=True, raw=data)
    return Reply(complete=False, raw=data)


def reply_complete(data: bytes, closed: bool) -> bool:
    """Whether ``data`` is a whole reply (a ``CompletionCheck`` for the transport).

    The usual JSON reply is whole at its ``]``, found without parsing (it is
    parsed once, by :func:`reply_code`); anything else as :func:`parse_reply` says.
    """
    if data[:1] == b"[":
        return b"]" in data or closed
    return parse_reply(data, closed).complete


def reply_code(reply: bytes) -> ResultCode:
    """The result code of a whole reply; the usual ``[0,0]`` without parsing."""
    if reply == b"[0,0]":
        return ResultCode.ERR_OK
    return parse_reply(reply, closed=True).code


# --- server side (used by the local cloud) ---------------------------------


@dataclass
class Request:
    """A decoded request, as a server sees it."""

    kind: str  # "message" or "sms"
    credentials: Credentials
    data: str = ""
    topics: list[str] = field(default_factory=list)
    destination: str = ""
    metadata: Optional[str] = None


class RequestError(ValueError):
    """A request the server must refuse; ``code`` is the reply code."""

    def __init__(self, code: ResultCode, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"{int(code)}: {reason}")


def strip_terminator(data: bytes) -> Optional[bytes]:
    """The request without its terminator, or ``None`` while incomplete."""
    for term in TERMINATORS:
        if data.endswith(term):
            return data[: -len(term)]
    return None


_SHORT = {"s": "cloud_id", "c": "cloud_key", "k": "devicekey", "d": "data", "t": "topics"}
_LONG = {"devicekey": "devicekey", "data": "data", "tags": "topics"}


def decode_request(body: bytes) -> Request:
    """Decode one request (terminator already removed).

    :raises RequestError: carrying the code the server must answer with
    """
    if body[:1] == b"S":
        return _decode_sms(body)
    if body[:1] != b"{":
        raise RequestError(ResultCode.ERR_PROTINVALID, "neither a JSON message nor an SMS")
    try:
        obj = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # deep nesting recurses
        raise RequestError(ResultCode.ERR_MSGINVALID, f"not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise RequestError(ResultCode.ERR_MSGINVALID, "JSON request is not an object")
    # One pass over the keys: a server decodes every message (the local
    # cloud's replay rate depends on it).
    fields: dict[str, object] = {}
    short = long_ = False
    for key, value in obj.items():
        name = _LONG.get(key)
        if name is not None:
            long_ = True
        else:
            name = _SHORT.get(key)
            short = short or name is not None or key == "m"
        if name is not None:
            fields[name] = value
    if short and long_:
        raise RequestError(ResultCode.ERR_MSGINVALID, "long and short field names mixed")
    creds = _credentials_from(fields)
    if "data" not in fields:
        raise RequestError(ResultCode.ERR_MSGINVALID, "no data field")
    data = fields["data"]
    if not isinstance(data, str):
        raise RequestError(ResultCode.ERR_PAYLOADINVALID, "data must be a string")
    topics = fields.get("topics")
    if topics is None:
        topic_list: list[str] = []
    elif isinstance(topics, str):
        topic_list = [topics]
    elif isinstance(topics, list):
        topic_list = topics
    else:
        raise RequestError(ResultCode.ERR_TOPICINVALID, "topics must be a string or strings")
    for topic in topic_list:
        if type(topic) is not str:
            raise RequestError(ResultCode.ERR_TOPICINVALID, "topics must be a string or strings")
        if not topic or len(topic) > 256:
            raise RequestError(ResultCode.ERR_TOPICINVALID, "empty or over-long topic")
    metadata = obj.get("m")
    if metadata is not None and (not isinstance(metadata, str) or not metadata.startswith("\x01")):
        raise RequestError(ResultCode.ERR_METADATA, "metadata must start with byte 0x01")
    return Request("message", creds, data=data, topics=topic_list, metadata=metadata)


def _credentials_from(fields: dict[str, object]) -> Credentials:
    if "devicekey" in fields:
        key = fields["devicekey"]
        if not devicekey_ok(key):
            raise RequestError(ResultCode.ERR_AUTHINVALID, "device key must be 8 characters")
        return Credentials(devicekey=key)
    cid, ckey = fields.get("cloud_id"), fields.get("cloud_key")
    if not (seed_part_ok(cid) and seed_part_ok(ckey)):
        raise RequestError(ResultCode.ERR_AUTHINVALID, "no valid credentials")
    return Credentials(cloud_id=cid, cloud_key=ckey)


_SMS = re.compile(r"^S(?P<auth>[^+]{8})(?P<number>\+[0-9]{7,15}) (?P<text>.*)$", re.DOTALL)


def _decode_sms(body: bytes) -> Request:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError(ResultCode.ERR_MSGINVALID, "SMS is not UTF-8") from None
    match = _SMS.match(text)
    if not match:
        raise RequestError(ResultCode.ERR_MSGINVALID, "SMS is not S<auth><+number> <text>")
    if len(match["text"]) > SMS_MAX_CHARS:
        raise RequestError(ResultCode.ERR_PAYLOADINVALID, "SMS text over 160 characters")
    auth = match["auth"]
    # 8 characters: either a device key or cloud_id + cloud_key; the server's
    # device table decides which (see LocalCloud).
    creds = Credentials(cloud_id=auth[:4], cloud_key=auth[4:])
    return Request("sms", creds, data=match["text"], destination=match["number"])


def encode_reply(kind: str, code: int) -> bytes:
    """What a server writes back: ``[code,0]`` to a message, digits to an SMS."""
    if kind == "sms":
        return str(int(code)).encode()
    return f"[{int(code)},0]".encode()
