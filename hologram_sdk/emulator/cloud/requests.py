"""The local cloud's request handling, apart from its sockets: bytes in, reply out.

:class:`RequestHandler` decodes a request, authenticates the device, stores
the row (alone, or with the others of a batch in one transaction) and tells
``on_stored``; :func:`push` delivers a cloud-to-device message. Split from
:mod:`.server` (the selector loop) to keep each module short.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Callable, Optional, Union

from hologram_sdk.base.errors import CloudConnectionError, CloudTimeoutError
from hologram_sdk.emulator.cloud.devices import DeviceTable
from hologram_sdk.emulator.cloud.records import Device, loggable
from hologram_sdk.emulator.cloud.registration import RegistrationRefused
from hologram_sdk.emulator.cloud.store import CloudStore
from hologram_sdk.wire.protocol import (
    TERMINATORS,
    RequestError,
    ResultCode,
    decode_request,
    encode_reply,
)

#: The package's name: log lines keep the name they had before the split.
logger = logging.getLogger("hologram_sdk.emulator.cloud")

#: Told ``(kind, row id, device, peer "host:port")`` after each row is committed.
OnStored = Callable[[str, int, Device, str], None]


# --- request handling (no sockets) -----------------------------------------


def find_terminator(buffer: Union[bytes, bytearray], start: int = 0) -> Optional[tuple[int, int]]:
    """``(index, length)`` of the first request terminator in ``buffer``, or ``None``."""
    best: Optional[tuple[int, int]] = None
    for term in TERMINATORS:
        index = buffer.find(term, start)
        if index >= 0 and (best is None or index < best[0]):
            best = (index, len(term))
    return best


def request_kind(body: Union[bytes, bytearray]) -> str:
    """``"sms"`` for an SMS request, else ``"message"`` (decides the reply's form)."""
    return "sms" if body[:1] == b"S" else "message"


class RequestHandler:
    """Turns one request's bytes into the reply's bytes: decode, authenticate, store.

    The row is committed before the reply is returned. Never raises: anything
    unexpected is logged and answered with ERR_INTERNAL.
    """

    def __init__(
        self,
        store: CloudStore,
        devices: DeviceTable,
        *,
        log: logging.Logger = logger,
        on_stored: Optional[OnStored] = None,
    ):
        self.store = store
        self.devices = devices
        self.log = log
        self.on_stored = on_stored

    def handle(self, body: bytes, peer: str = "-") -> bytes:
        """The reply to ``body`` (a request without its terminator)."""
        kind = request_kind(body)
        try:
            code = self._accept(body, peer)
        except RegistrationRefused as exc:  # logged by the limit, a line now and then
            code = exc.code
        except RequestError as exc:
            self.log.info("%s from %s refused: %d (%s)", kind, peer, int(exc.code), exc.reason)
            code = exc.code
        except Exception:
            self.log.exception("%s from %s: internal error", kind, peer)
            code = ResultCode.ERR_INTERNAL
        return encode_reply(kind, code)

    def handle_batch(self, items: list[tuple[bytes, str]]) -> list[bytes]:
        """The replies to several requests ``(body, peer)``, their rows committed together.

        One transaction (one fsync) for the whole batch: what a busy server does
        with the requests that arrived while it was writing the last batch. A
        request refused on its own merits gets its own code; if the commit
        fails, every request of the batch is answered ERR_INTERNAL.
        """
        if len(items) == 1:
            return [self.handle(*items[0])]
        codes: list[ResultCode] = []
        stored: list[tuple[str, int, Device, str]] = []
        try:
            with self.store.transaction():
                for body, peer in items:
                    try:
                        codes.append(self._accept(body, peer, stored))
                    except RegistrationRefused as exc:
                        codes.append(exc.code)
                    except RequestError as exc:
                        kind = request_kind(body)
                        self.log.info(
                            "%s from %s refused: %d (%s)", kind, peer, int(exc.code), exc.reason
                        )
                        codes.append(exc.code)
        except Exception:
            self.log.exception("a batch of %d requests: internal error", len(items))
            codes = [ResultCode.ERR_INTERNAL] * len(items)
            stored = []
        for kind, row, device, peer in stored:
            self._told(kind, row, device, peer)
        return [encode_reply(request_kind(b), c) for (b, _), c in zip(items, codes)]

    def _told(self, kind: str, row: int, device: Device, peer: str) -> None:
        if self.on_stored is not None:
            try:  # stored is stored: what comes after never changes the reply
                self.on_stored(kind, row, device, peer)
            except Exception:
                self.log.exception("after storing %s %d", kind, row)

    def _accept(
        self, body: bytes, peer: str, later: Optional[list[tuple[str, int, Device, str]]] = None
    ) -> ResultCode:
        request = decode_request(body)
        device, new = self.devices.authenticate(request, peer)
        if new:
            self.log.info(
                "registered %s on first contact (%s) from %s", device.name, device.kind, peer
            )
        if request.kind == "sms":
            row = self.store.add_sms(device.name, request.destination, request.data)
            self.log.info("sms from %s to %s: 0", device.name, request.destination)
        else:
            row = self.store.add_message(device.name, request.topics, request.data)
            if self.log.isEnabledFor(logging.INFO):
                topics = loggable(", ".join(request.topics)) if request.topics else "none"
                self.log.info("message from %s: 0 (topics: %s)", device.name, topics)
        self.log.debug("%s payload: %r", request.kind, request.data)
        if later is not None:  # told once the batch is committed
            later.append((request.kind, row, device, peer))
        else:
            self._told(request.kind, row, device, peer)
        return ResultCode.ERR_OK


# --- push ------------------------------------------------------------------


def push(host: str, port: int, message: Union[str, bytes], timeout: float = 5.0) -> int:
    """Deliver a cloud-to-device message: connect to the device's inbound port,
    write the message, close. Returns the number of bytes written.

    Waits (up to ``timeout``) for the device to close its side, so the message
    has been read when this returns.

    :raises CloudConnectionError: the device's port cannot be reached, or it
        closed the connection without reading the message (reset)
    :raises CloudTimeoutError: connecting, writing, or the device's close took
        longer than ``timeout`` (the message may not have been read)
    """
    data = message.encode("utf-8") if isinstance(message, str) else bytes(message)
    deadline = time.monotonic() + timeout
    stage = "no connection to"
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            stage = "could not write to"
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            stage = "no close (message read) from"
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise socket.timeout()
                sock.settimeout(remaining)
                if not sock.recv(4096):
                    break  # the device read everything and closed
    except socket.timeout as exc:
        raise CloudTimeoutError(f"{stage} {host}:{port} within {timeout:g} s") from exc
    except OSError as exc:
        verb = "cannot reach" if stage == "no connection to" else "cannot deliver to"
        raise CloudConnectionError(f"{verb} {host}:{port}: {_reason(exc)}") from exc
    return len(data)


def _reason(exc: OSError) -> str:
    text = exc.strerror or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


class _Told:
    """The store as the compact (TOTP/SIM-OTP) handler sees it, telling ``on_stored``
    about each row as the JSON path does (``peer`` set before each request)."""

    def __init__(self, store: CloudStore, on_stored: Optional[OnStored]) -> None:
        self.store, self.on_stored, self.peer = store, on_stored, "-"

    def add_message(self, device: str, topics: list[str], data: str) -> int:
        row = self.store.add_message(device, topics, data)
        self._tell("message", row, device)
        return row

    def add_sms(self, device: str, destination: str, text: str) -> int:
        row = self.store.add_sms(device, destination, text)
        self._tell("sms", row, device)
        return row

    def _tell(self, kind: str, row: int, device: str) -> None:
        if self.on_stored is not None:
            try:
                self.on_stored(kind, row, Device(device), self.peer)
            except Exception:
                logger.exception("after storing %s %d", kind, row)
