"""``Cloud``: hosts, ports, events, network and the inbound message buffer shared by all clouds."""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import TYPE_CHECKING, Any, Optional, Union

from hologram_sdk.errors import ConfigurationError
from hologram_sdk.events import MESSAGE_RECEIVED, Event
from hologram_sdk.network.manager import NetworkManager

if TYPE_CHECKING:  # the transport layer is imported on first use: `import Hologram` stays light
    from hologram_sdk.cloud.listener import InboundListener
    from hologram_sdk.cloud.transport import CompletionCheck, Transport

logger = logging.getLogger(__name__)

PortLike = Union[int, str, None]


def validate_port(name: str, value: PortLike) -> int:
    """Check a port: an integer (or digit string) 1-65535; ``0``/``None`` mean "not set".

    :raises ConfigurationError: anything else (a ``ValueError``)
    """
    if value is None:
        return 0
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ConfigurationError(f"{name} must be an integer from 1 to 65535, got {value!r}")
    return value


def _validate_host(name: str, value: Optional[str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a string, got {value!r}")
    return value


class Cloud:
    """Base of ``CustomCloud`` and ``HologramCloud``.

    Inbound messages are kept as bytes. ``consumeReceivedMessage()`` and
    ``popReceivedMessage()`` return text decoded as UTF-8 with invalid bytes
    replaced by U+FFFD; ``popReceivedMessage(raw=True)`` returns the exact bytes.

    :param credentials: as given (``credentials`` property); subclasses check them
    :param send_host: host that messages are sent to
    :param send_port: port that messages are sent to (1-65535; 0 = not set)
    :param receive_host: address the inbound listener binds
    :param receive_port: port the inbound listener binds (1-65535; 0 = not set)
    :param enable_inbound: open the inbound listener now
    :param network: network interface name ('' = non-network mode)
    :param modem: a modem object for the network layer (optional)
    :param transport: replaces :func:`hologram_sdk.cloud.transport.send_request`
    :param inbound_idle_timeout: seconds before an idle inbound connection is cut (10)
    :param inbound_max_message_size: bytes; larger inbound messages are dropped (64 KiB)
    :param inbound_max_connections: inbound connections served at once (128)
    :raises ConfigurationError: bad port or host, or inbound enabled without an address
    :raises InboundBindError: ``enable_inbound`` and the address cannot be bound
    """

    def __init__(
        self,
        credentials: Any,
        send_host: str = "",
        send_port: PortLike = 0,
        receive_host: str = "",
        receive_port: PortLike = 0,
        enable_inbound: bool = False,
        network: str = "",
        *,
        modem: Any = None,
        transport: Optional[Transport] = None,
        inbound_idle_timeout: Optional[float] = None,
        inbound_max_message_size: Optional[int] = None,
        inbound_max_connections: Optional[int] = None,
    ) -> None:
        self._log = logger.getChild(type(self).__name__)
        self._credentials = credentials
        self._send_host = _validate_host("send_host", send_host)
        self._send_port = validate_port("send_port", send_port)
        self._receive_host = _validate_host("receive_host", receive_host)
        self._receive_port = validate_port("receive_port", receive_port)
        self._transport = transport
        options = {
            "idle_timeout": inbound_idle_timeout,
            "max_message_size": inbound_max_message_size,
            "max_connections": inbound_max_connections,
        }
        # unset options take the listener's defaults (10 s, 64 KiB, 128)
        self._inbound_options: dict[str, Any] = {
            k: v for k, v in options.items() if v is not None
        }
        self._received: deque[bytes] = deque()
        self._received_lock = threading.Lock()
        self._listener: Optional[InboundListener] = None
        self._listener_lock = threading.Lock()
        self.modem = modem
        self.event = Event()
        self.network = NetworkManager(self.event, network, modem=modem)
        if enable_inbound:
            self.openReceiveSocket()

    # --- properties ----------------------------------------------------------

    @property
    def credentials(self) -> Any:
        """The credentials as given to the constructor."""
        return self._credentials

    @property
    def send_host(self) -> str:
        return self._send_host

    @property
    def send_port(self) -> int:
        return self._send_port

    @property
    def receive_host(self) -> str:
        return self._receive_host

    @property
    def receive_port(self) -> int:
        return self._receive_port

    def getSDKVersion(self) -> str:
        """The SDK version string, e.g. ``1.0.0``."""
        from hologram_sdk import __version__

        return __version__

    # --- outbound --------------------------------------------------------------

    def _require_send_address(self) -> None:
        if not self._send_host or not self._send_port:
            raise ConfigurationError(
                f"{type(self).__name__} needs send_host and send_port to send messages"
            )

    def _deliver(
        self,
        payload: bytes,
        timeout: float,
        is_complete: Optional[CompletionCheck] = None,
        half_close: bool = False,
    ) -> bytes:
        """The one path every outbound request takes to the wire."""
        self._require_send_address()
        if self._transport is None:
            from hologram_sdk.cloud.transport import send_request

            self._transport = send_request
        self._log.info("Connecting to %s", self._send_host)
        return self._transport(
            self._send_host,
            self._send_port,
            payload,
            float(timeout),
            is_complete,
            half_close=half_close,
        )

    # --- inbound ---------------------------------------------------------------

    def openReceiveSocket(self) -> bool:
        """Start listening on ``receive_host:receive_port`` (no-op when already open).

        :returns: True
        :raises ConfigurationError: receive_host or receive_port is not set
        :raises InboundBindError: the address cannot be bound
        """
        if not self._receive_host or not self._receive_port:
            raise ConfigurationError(
                "inbound needs receive_host and receive_port; set both, "
                "or pass enable_inbound=False"
            )
        with self._listener_lock:
            if self._listener is not None and self._listener.is_open:
                return True
            from hologram_sdk.cloud.listener import InboundListener

            self._listener = InboundListener(
                self._receive_host,
                self._receive_port,
                self._on_inbound,
                **self._inbound_options,
            )
        return True

    def closeReceiveSocket(self) -> bool:
        """Stop listening and free the port (idempotent); received messages are kept.

        :returns: True
        """
        with self._listener_lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        return True

    def _on_inbound(self, data: bytes) -> None:
        with self._received_lock:
            self._received.append(data)
        self._log.debug("received %d bytes", len(data))
        self.event.broadcast(MESSAGE_RECEIVED, _decode(data))

    def consumeReceivedMessage(self) -> str:
        """Everything received since the last call, concatenated ('' when nothing)."""
        with self._received_lock:
            messages = list(self._received)
            self._received.clear()
        return "".join(_decode(m) for m in messages)

    def popReceivedMessage(self, raw: bool = False) -> Union[str, bytes, None]:
        """The oldest received message not yet taken, or ``None``.

        :param raw: return the exact bytes instead of decoded text
        """
        with self._received_lock:
            if not self._received:
                return None
            data = self._received.popleft()
        return data if raw else _decode(data)

    # --- lifecycle -------------------------------------------------------------

    def close(self) -> None:
        """Close the inbound listener (idempotent)."""
        self.closeReceiveSocket()

    def __enter__(self) -> Cloud:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
