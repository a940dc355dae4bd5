"""Sending from the dashboard's form: a message (or SMS) to a device's inbound port.

The form's request becomes a :class:`SendRequest`; a sender turns it into a
delivery and returns what happened. The default, :class:`PushSender`, pushes the
text to the device's inbound listener (the address given in the form, or the
device's last address and port 4010) with the local cloud's own ``push``. A
server that has a REST API passes its own send function instead, so the form and
the API deliver through the same code. Each attempt is remembered per device in
:class:`InboundLog`: the device list shows whether its port answered last time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from hologram_sdk.errors import HologramError

#: The port a device's inbound listener uses unless told otherwise.
DEFAULT_INBOUND_PORT = 4010
#: Longest text the form may send.
MAX_TEXT = 64 * 1024


class SendError(HologramError):
    """The form's request is not valid (shown to the user as it is)."""


@dataclass(frozen=True)
class SendRequest:
    """What the send form asks for."""

    device: str
    text: str
    kind: str = "message"
    topics: tuple[str, ...] = ()
    #: ``host:port`` of the device's inbound listener; ``None``: its last address
    address: Optional[str] = None

    @classmethod
    def from_json(cls, body: Any) -> SendRequest:
        """Validate the form's JSON.

        :raises SendError: a missing or malformed field
        """
        if not isinstance(body, dict):
            raise SendError("expected a JSON object")
        device, text = body.get("device"), body.get("text")
        kind = body.get("kind", "message")
        if not isinstance(device, str) or not device:
            raise SendError("'device' must be a device name")
        if not isinstance(text, str) or not text:
            raise SendError("'text' must be a non-empty string")
        if len(text) > MAX_TEXT:
            raise SendError(f"'text' is over {MAX_TEXT} characters")
        if kind not in ("message", "sms"):
            raise SendError("'kind' must be 'message' or 'sms'")
        topics = body.get("topics") or []
        if isinstance(topics, str):
            topics = [t.strip() for t in topics.split(",") if t.strip()]
        if not isinstance(topics, list) or not all(isinstance(t, str) and t for t in topics):
            raise SendError("'topics' must be a list of non-empty strings")
        address = body.get("address") or None
        if address is not None:
            if not isinstance(address, str):
                raise SendError("'address' must be HOST:PORT")
            split_address(address)
        return cls(device, text, kind, tuple(topics), address)


def split_address(address: str, default_port: int = DEFAULT_INBOUND_PORT) -> tuple[str, int]:
    """``("host", port)`` from ``host:port``, ``[v6]:port`` or a bare host.

    :raises SendError: not an address
    """
    text = address.strip()
    host, port = text, default_port
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise SendError(f"bad address {address!r}")
        host, rest = text[1:end], text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise SendError(f"bad address {address!r}")
            port = _port(rest[1:], address)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = _port(port_text, address)
    if not host or any(ch.isspace() for ch in host):
        raise SendError(f"bad address {address!r}")
    return host, port


def _port(text: str, address: str) -> int:
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 65536:
        raise SendError(f"bad port in {address!r}")
    return int(text)


@dataclass
class InboundLog:
    """Whether each device's inbound port answered the last delivery attempt."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _last: dict[str, dict[str, Any]] = field(default_factory=dict)

    def record(self, device: str, ok: bool, address: str, detail: str = "") -> None:
        with self._lock:
            self._last[device] = {
                "ok": ok,
                "address": address,
                "when": time.time(),
                "detail": detail,
            }

    def get(self, device: str) -> Optional[dict[str, Any]]:
        with self._lock:
            found = self._last.get(device)
            return dict(found) if found is not None else None


Sender = Callable[[SendRequest], dict[str, Any]]


class PushSender:
    """Delivers a message to a device's inbound listener with the local cloud's ``push``.

    :param last_address: the device's last address (host), or ``None`` if unknown
    :param log: where the outcome is remembered
    :param timeout: seconds to connect and write
    """

    def __init__(
        self,
        last_address: Callable[[str], Optional[str]],
        log: InboundLog,
        *,
        timeout: float = 5.0,
    ) -> None:
        self.last_address = last_address
        self.log = log
        self.timeout = timeout

    def __call__(self, request: SendRequest) -> dict[str, Any]:
        from hologram_sdk.emulator.cloud import push

        if request.kind != "message":
            raise SendError(
                "this server delivers messages only; SMS to a device needs the REST API's sender"
            )
        address = request.address or self.last_address(request.device)
        if address is None:
            raise SendError(f"no address known for {request.device}: give the device's HOST:PORT")
        host, port = split_address(address)
        shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            sent = push(host, port, request.text, self.timeout)
        except HologramError as exc:
            self.log.record(request.device, False, shown, str(exc))
            raise
        self.log.record(request.device, True, shown)
        return {"delivered": True, "address": shown, "bytes": sent}
