"""``Cloud``: hosts, ports, events, network and the inbound message buffer shared by all clouds.

Why ~600 lines: it is the reference's ``Cloud`` class, whose public surface is
fixed by the 2017 API; the work is elsewhere (outbox, transport, network).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
import weakref
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from hologram_sdk.base.digits import is_digits
from hologram_sdk.base.errors import (
    CloudConnectionError,
    CloudTimeoutError,
    ConfigurationError,
    UnsupportedOperationError,
)
from hologram_sdk.base.events import (
    INBOUND_DROPPED,
    MESSAGE_RECEIVED,
    NETWORK_CONNECTED,
    Event,
)
from hologram_sdk.network.manager import NetworkManager

if TYPE_CHECKING:  # the transport layer is imported on first use: `import Hologram` stays light
    from hologram_sdk.network.cellular_modem import CellularModem
    from hologram_sdk.outbox import Outbox, OutboxItem
    from hologram_sdk.outbox.cloudlink import CloudOutbox, OutboxSpec
    from hologram_sdk.transport.client import TcpClient
    from hologram_sdk.transport.listener import InboundListener
    from hologram_sdk.transport.tcp import CompletionCheck, Transport

logger = logging.getLogger(__name__)

PortLike = Union[int, str, None]

#: what ``Cloud.version`` answers: the API level of hologram-python 0.10.x, which
#: reports this string there (code comparing it keeps working); the SDK's own
#: version is ``getSDKVersion()``
API_VERSION_010 = "0.9.1"

#: received messages kept until taken (``popReceivedMessage``...), by count and bytes
DEFAULT_INBOUND_MAX_MESSAGES = 1000
DEFAULT_INBOUND_MAX_BYTES = 16 * 1024 * 1024
_DROP_LOG_INTERVAL = 1.0  # seconds between "dropped" log lines during a flood


def validate_port(name: str, value: PortLike) -> int:
    """Check a port: an integer (or digit string) 1-65535; ``0``/``None`` mean "not set".

    :raises ConfigurationError: anything else (a ``ValueError``)
    """
    if value is None:
        return 0
    if isinstance(value, str) and is_digits(value.strip()):
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
    :param transport: replaces :func:`hologram_sdk.transport.tcp.send_request`
    :param inbound_idle_timeout: seconds before an idle inbound connection is cut (10)
    :param inbound_max_message_size: bytes; larger inbound messages are dropped (64 KiB)
    :param inbound_max_connections: inbound connections served at once (128)
    :param inbound_max_messages: received messages kept until taken (1000)
    :param inbound_max_bytes: their total size in bytes (16 MiB)
    :param outbox: where messages wait when they cannot be sent now (see below):
        ``None`` (default) for the durable outbox at
        :func:`hologram_sdk.outbox.default_path` (``$XDG_STATE_HOME/hologram/outbox.db``,
        else ``~/.local/state/hologram/outbox.db``), a path for another file,
        an :class:`~hologram_sdk.outbox.Outbox` (its bounds and policy are
        used; the cloud does not close it), or ``False`` for no outbox
    :raises ConfigurationError: bad port or host, inbound enabled without an
        address, or a bad ``outbox``
    :raises InboundBindError: ``enable_inbound`` and the address cannot be bound

    **The outbox.** A message is stored in the outbox instead of being sent
    when the network is down (``network.is_connected`` is false, e.g. after
    ``network.disconnect()``; non-network mode counts as up until then), when
    anything already waits for the same destination (so order is kept), and
    when the send fails for a transport reason (refused, reset, unreachable,
    no reply in time). The send then answers "queued" (``ERR_QUEUED`` for
    ``HologramCloud``, a reply with ``.queued`` for ``CustomCloud``) and
    ``message.queued`` is broadcast with the
    :class:`~hologram_sdk.outbox.OutboxItem` (``.text``, ``.topics``, ``.id``).
    A refusal by the cloud is returned to the caller, never queued.

    Whether anything waits is asked of the outbox until it answers "nothing"
    (and again after each message this cloud queued): from then on a send that
    goes straight through does no outbox work at all (no SQLite, no file
    check but one ``pread`` of the file's WAL-index header, which any commit by
    any process changes: rows other programs add are waited for too).

    Waiting messages are delivered oldest first on ``network.connected``,
    after each successful send, and by a background thread that retries with
    exponential backoff (1 s doubling to 5 min, with jitter; reset after a
    success), started only once something waits. Each is deleted only after
    the cloud's reply; ``message.sent`` is broadcast with its item. A refusal
    that retrying cannot fix (codes 2, 3, 4, 5, 7, 8) moves it to the dead
    letters and broadcasts ``message.failed``; a full outbox drops per its
    policy and broadcasts ``message.dropped``. The file is opened only when
    first needed, or at once when it already exists, so that what an earlier
    run left for this cloud's destination gets delivered. With
    ``outbox=False`` transport failures raise as without an outbox. When the
    outbox cannot store a message (disk full, unwritable, full with policy
    ``reject``), the send raises :class:`~hologram_sdk.base.errors.OutboxError`.

    **The receive buffer** keeps at most ``inbound_max_messages`` messages and
    ``inbound_max_bytes`` bytes not yet taken. When a new message does not fit,
    the **oldest** are dropped to make room (a device left unattended keeps the
    latest commands); each drop broadcasts ``inbound.dropped`` (``{"bytes",
    "dropped"}``) and logs a warning (at most one line a second during a flood).
    A message larger than ``inbound_max_bytes`` on its own is dropped itself.
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
        modem: Union[CellularModem, str, None] = None,
        transport: Optional[Transport] = None,
        inbound_idle_timeout: Optional[float] = None,
        inbound_max_message_size: Optional[int] = None,
        inbound_max_connections: Optional[int] = None,
        inbound_max_messages: int = DEFAULT_INBOUND_MAX_MESSAGES,
        inbound_max_bytes: int = DEFAULT_INBOUND_MAX_BYTES,
        outbox: OutboxSpec = None,
    ) -> None:
        self._log = logger.getChild(type(self).__name__)
        self._credentials = credentials
        self._send_host = _validate_host("send_host", send_host)
        self._send_port = validate_port("send_port", send_port)
        self._receive_host = _validate_host("receive_host", receive_host)
        self._receive_port = validate_port("receive_port", receive_port)
        self._transport = transport
        self._tcp: Optional[TcpClient] = None  # the plain TCP transport, made on first use
        options = {
            "idle_timeout": inbound_idle_timeout,
            "max_message_size": inbound_max_message_size,
            "max_connections": inbound_max_connections,
        }
        # unset options take the listener's defaults (10 s, 64 KiB, 128)
        self._inbound_options: dict[str, Any] = {
            k: v for k, v in options.items() if v is not None
        }
        for name, bound in (
            ("inbound_max_messages", inbound_max_messages),
            ("inbound_max_bytes", inbound_max_bytes),
        ):
            if isinstance(bound, bool) or not isinstance(bound, int) or bound < 1:
                raise ConfigurationError(f"{name} must be an integer >= 1, got {bound!r}")
        self._max_received = inbound_max_messages
        self._max_received_bytes = inbound_max_bytes
        self._received: deque[bytes] = deque()
        self._received_bytes = 0
        self._received_dropped = 0
        self._drop_logged = 0.0
        self._drop_unlogged = 0
        self._received_lock = threading.Lock()
        self._listener: Optional[InboundListener] = None
        self._listener_lock = threading.Lock()
        self.modem = modem
        self.event = Event()
        # a modem given by name only names it in the metadata
        self.network = NetworkManager(
            self.event, network, modem=None if isinstance(modem, str) else modem
        )
        # The outbox (and sqlite3) is loaded only when a message must wait, or
        # at once when its file exists (what an earlier run left is delivered).
        self._outbox_spec = outbox
        self._outbox_link: Optional[CloudOutbox] = None
        self._outbox_lock = threading.Lock()
        # Known to hold nothing for this cloud's destination (checked since this
        # cloud last queued): a send then asks the outbox nothing (no SQLite).
        # Bumped by every queue, so a check that raced with one is not trusted.
        self._outbox_clear = False
        self._queue_count = 0
        self._outbox_handed_out = False  # the ``outbox`` property was read
        self._periodic: Any = None
        # holds the cloud weakly: a cloud dropped without close() is freed at
        # once, with the sockets its transport keeps between sends (no cycle
        # left for the garbage collector)
        self._network_hook = _weakly(self, "_on_network_connected")
        if enable_inbound:
            self.openReceiveSocket()
        if outbox is not False:
            leftover = True  # an Outbox object is linked at once
            if outbox is None or isinstance(outbox, (str, os.PathLike)):
                leftover = os.path.exists(outbox if outbox is not None else _default_outbox())
            try:
                self._outbox_link_now(create=leftover)
            except BaseException:
                self.closeReceiveSocket()
                raise
            self.event.subscribe(NETWORK_CONNECTED, self._network_hook)

    # --- properties ----------------------------------------------------------

    @property
    def credentials(self) -> Any:
        """The credentials as given to the constructor."""
        return self._credentials

    @property
    def send_host(self) -> str:
        return self._send_host

    @send_host.setter
    def send_host(self, value: str) -> None:
        self._send_host = _validate_host("send_host", value)

    @property
    def send_port(self) -> int:
        return self._send_port

    @send_port.setter
    def send_port(self, value: PortLike) -> None:
        self._send_port = validate_port("send_port", value)

    @property
    def receive_host(self) -> str:
        """The inbound address (a change applies at the next ``openReceiveSocket()``)."""
        return self._receive_host

    @receive_host.setter
    def receive_host(self, value: str) -> None:
        self._receive_host = _validate_host("receive_host", value)

    @property
    def receive_port(self) -> int:
        """The inbound port (a change applies at the next ``openReceiveSocket()``)."""
        return self._receive_port

    @receive_port.setter
    def receive_port(self, value: PortLike) -> None:
        self._receive_port = validate_port("receive_port", value)

    @property
    def version(self) -> str:
        """hologram-python 0.10's ``version``: :data:`API_VERSION_010`."""
        return API_VERSION_010

    @property
    def network_type(self) -> str:
        """0.10: the network's name (``'Network Agnostic Mode'``, ``'Cellular'``...)."""
        return repr(self.network)

    def sendMessage(self, message: Any, *args: Any, **kwargs: Any) -> Any:
        """Implemented by ``CustomCloud`` and ``HologramCloud``.

        :raises UnsupportedOperationError: on this base class
        """
        raise UnsupportedOperationError("Must instantiate a Cloud type")

    def sendSMS(self, destination_number: str, message: str, *args: Any, **kwargs: Any) -> Any:
        """Implemented by ``HologramCloud``.

        :raises UnsupportedOperationError: on this base class
        """
        raise UnsupportedOperationError("Must instantiate a Cloud type")

    # --- periodic messages (hologram-python 0.10) --------------------------------------

    def sendPeriodicMessage(
        self, interval: float, message: Any, topics: Any = None, timeout: float = 5
    ) -> None:
        """Send ``message`` now and then every ``interval`` seconds, on a background
        thread, until :meth:`stopPeriodicMessage` or :meth:`close`, or until a
        send fails or is refused (a message kept in the outbox counts as sent).

        :raises ConfigurationError: ``interval`` under 1 s, or a job already runs
        """
        with self._outbox_lock:
            if self._periodic is not None and self._periodic.running:
                raise ConfigurationError(
                    "Cannot have more than 1 periodic message job at once: "
                    "call stopPeriodicMessage() first"
                )
            from hologram_sdk.cloud.periodic import PeriodicSender

            self._periodic = PeriodicSender(
                interval,
                lambda: self._send_periodic(message, topics, timeout),
                self._periodic_keep_going,
                name=f"hologram-periodic-{type(self).__name__}",
            )

    def stopPeriodicMessage(self) -> None:
        """Stop the periodic job, waiting for a send in progress (idempotent)."""
        with self._outbox_lock:
            job, self._periodic = self._periodic, None
        if job is not None:
            job.stop()

    def periodicMessageRunning(self) -> bool:
        """Whether a periodic job is running."""
        job = self._periodic
        return job is not None and job.running

    def _send_periodic(self, message: Any, topics: Any, timeout: float) -> Any:
        return self.sendMessage(message, timeout=timeout)

    def _periodic_keep_going(self, result: Any) -> bool:
        return True

    def getSDKVersion(self) -> str:
        """The SDK version string, e.g. ``1.0.0``."""
        return _sdk_version()

    @property
    def outbox(self) -> Optional[Outbox]:
        """The durable outbox (opened, or created, now if it was not yet); ``None``
        with ``outbox=False``.

        :raises OutboxError: the file cannot be opened or created
        """
        link = self._outbox_link_now(create=True)
        with self._outbox_lock:  # its holder may put messages: sends ask it each time
            self._outbox_handed_out = True
            self._outbox_clear = False
        return None if link is None else link.outbox()

    # --- outbound --------------------------------------------------------------

    @property
    def _destination(self) -> str:
        """The outbox's key for this cloud's send address (``host:port``)."""
        host, port = self._send_host, self._send_port
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def _outbox_link_now(self, create: bool) -> Optional[CloudOutbox]:
        """The outbox link, made now if ``create``.

        ``None`` with ``outbox=False``, or while nothing had to wait since the
        cloud was made (its file did not exist then: no stat per send).
        """
        if self._outbox_spec is False:
            return None
        with self._outbox_lock:
            if self._outbox_link is None and create:
                self._outbox_link = self._link_outbox(self._outbox_spec)
            return self._outbox_link

    def _transport_override(self) -> Optional[Transport]:
        """A transport other than plain TCP: the constructor's, or in serial mode
        the network's (over the modem's sockets); ``None`` for plain TCP."""
        return self._transport or self.network.transport

    def _current_transport(self) -> Transport:
        transport = self._transport_override()
        if transport is None:
            transport = self._tcp
            if transport is None:  # the TCP transport, loaded on the first send
                from hologram_sdk.transport.client import TcpClient

                with self._outbox_lock:
                    if self._tcp is None:
                        self._tcp = TcpClient()
                    transport = self._tcp
        return transport

    def _link_outbox(self, spec: OutboxSpec) -> CloudOutbox:
        from hologram_sdk.outbox.cloudlink import CloudOutbox
        from hologram_sdk.outbox.delivery import TcpSender

        have_address = bool(self._send_host and self._send_port)
        return CloudOutbox(
            spec,
            event=self.event,
            send=TcpSender(transport_for=self._transport_override),
            ready=self._network_up,
            destinations=(self._destination,) if have_address else (),
        )

    def _network_up(self) -> bool:
        return bool(self.network.is_connected)

    def _on_network_connected(self) -> None:
        link = self._outbox_link_now(create=False)
        if link is not None:
            link.wake()

    def _send_or_queue(
        self,
        kind: str,
        payload: bytes,
        timeout: float,
        is_complete: Optional[CompletionCheck] = None,
        half_close: bool = False,
        topics: Optional[list[str]] = None,
        text: Optional[str] = None,
    ) -> tuple[Optional[bytes], Optional[OutboxItem]]:
        """Send now, or keep the request in the outbox (see the class docstring).

        A send that goes straight through touches no outbox (no file, no SQLite,
        no thread) unless one is linked: the cloud links it only once something
        had to wait, or at start when its file existed.

        :returns: ``(reply, None)`` when sent, ``(None, item)`` when queued
        :raises OutboxError: the outbox could not store it
        """
        if self._outbox_spec is False:
            return self._deliver(payload, timeout, is_complete, half_close), None
        if not self._send_host or not self._send_port:
            self._require_send_address()
        if not self._network_up():
            self._log.info("Network is down: message queued in the outbox")
            return None, self._queue(kind, payload, topics, text)
        link = self._outbox_link  # a reference read: no lock needed
        # "clear" holds while no process has committed to the outbox file since
        # (CloudOutbox.still_empty: one pread of the WAL-index header)
        if link is not None and not (self._outbox_clear and link.still_empty(self._destination)):
            queued_before = self._queue_count
            if link.has_pending(self._destination):
                self._log.info("Messages are waiting: this one queued behind them")
                return None, self._queue(kind, payload, topics, text)
            self._note_clear(queued_before)
        try:
            reply = self._deliver(payload, timeout, is_complete, half_close)
        except (CloudConnectionError, CloudTimeoutError) as exc:
            self._log.info("Send failed (%s): message queued in the outbox", exc)
            return None, self._queue(kind, payload, topics, text)
        if is_complete is not None and not reply.strip():
            # closed with no answer (e.g. the cloud stopped mid-request): it may not
            # have stored it, so it is kept and sent again (at least once, as the
            # outbox's replay does with ERR_UNKNOWN)
            self._log.info("The cloud closed without answering: message queued in the outbox")
            return None, self._queue(kind, payload, topics, text)
        if link is not None and not self._outbox_clear:
            link.wake()
        return reply, None

    def _note_clear(self, queued_before: int) -> None:
        """Nothing waits for this cloud's destination: later sends skip the check.

        Only for an outbox this cloud opened itself (a file) and never handed
        out: an ``Outbox`` passed in, or read from :attr:`outbox`, may be written
        by its holder, so it is asked each time. What this cloud queues makes
        it ask again, and so does a commit by any process to the file
        (``CloudOutbox.still_empty``).
        """
        spec = self._outbox_spec
        if spec is None or isinstance(spec, (str, os.PathLike)):
            with self._outbox_lock:
                if self._queue_count == queued_before and not self._outbox_handed_out:
                    self._outbox_clear = True  # (no queue() raced with the check)

    def _queue(
        self, kind: str, payload: bytes, topics: Optional[list[str]], text: Optional[str]
    ) -> OutboxItem:
        link = self._outbox_link_now(create=True)
        assert link is not None  # the outbox is enabled
        with self._outbox_lock:
            self._queue_count += 1
            self._outbox_clear = False
        return link.queue(self._destination, kind, payload, topics, text)

    def _require_send_address(self) -> None:
        if not self._send_host or not self._send_port:
            raise ConfigurationError(
                "Send host and port must be set before making this operation "
                f"({type(self).__name__} needs send_host and send_port)"
            )

    def _deliver(
        self,
        payload: bytes,
        timeout: float,
        is_complete: Optional[CompletionCheck] = None,
        half_close: bool = False,
    ) -> bytes:
        """The one path every outbound request takes to the wire."""
        host, port = self._send_host, self._send_port
        if not host or not port:
            self._require_send_address()
        transport = self._transport or self.network.transport or self._tcp
        if transport is None:
            transport = self._current_transport()
        if self._log.isEnabledFor(logging.INFO):
            self._log.info("Connecting to %s", host)
        return transport(host, port, payload, float(timeout), is_complete, half_close=half_close)

    # --- inbound ---------------------------------------------------------------

    def openReceiveSocket(self) -> bool:
        """Start listening on ``receive_host:receive_port`` (no-op when already open).

        :returns: True
        :raises ConfigurationError: receive_host or receive_port is not set
        :raises InboundBindError: the address cannot be bound
        """
        if not self._receive_host or not self._receive_port:
            raise ConfigurationError(
                "Must set receive host and port for inbound connection "
                "(receive_host and receive_port), or pass enable_inbound=False"
            )
        with self._listener_lock:
            if self._listener is not None and self._listener.is_open:
                return True
            # serial mode: the network listens on the modem (+USOLI) instead
            listener = self.network.open_listener(
                self._receive_host, self._receive_port, self._on_inbound, **self._inbound_options
            )
            if listener is None:
                from hologram_sdk.transport.listener import InboundListener

                listener = InboundListener(
                    self._receive_host,
                    self._receive_port,
                    self._on_inbound,
                    **self._inbound_options,
                )
            self._listener = listener
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
        if not data:  # a connection that closed without sending: no message
            return
        dropped: list[int] = []
        with self._received_lock:
            if len(data) > self._max_received_bytes:
                dropped.append(len(data))
            else:
                self._received.append(data)
                self._received_bytes += len(data)
                while (
                    len(self._received) > self._max_received
                    or self._received_bytes > self._max_received_bytes
                ):
                    old = self._received.popleft()
                    self._received_bytes -= len(old)
                    dropped.append(len(old))
            self._received_dropped += len(dropped)
            total = self._received_dropped
        for size in dropped:
            self._dropped_inbound(size, total)
        if len(data) <= self._max_received_bytes:
            self._log.debug("received %d bytes", len(data))
            self.event.broadcast(MESSAGE_RECEIVED, _decode(data))

    def _dropped_inbound(self, size: int, total: int) -> None:
        self.event.broadcast(INBOUND_DROPPED, {"bytes": size, "dropped": total})
        now = time.monotonic()
        self._drop_unlogged += 1
        if now - self._drop_logged >= _DROP_LOG_INTERVAL:
            self._log.warning(
                "receive buffer full (%d messages, %d bytes): dropped %d message(s), "
                "oldest first (%d in all); take messages sooner or raise "
                "inbound_max_messages/inbound_max_bytes",
                self._max_received,
                self._max_received_bytes,
                self._drop_unlogged,
                total,
            )
            self._drop_logged = now
            self._drop_unlogged = 0

    def consumeReceivedMessage(self) -> str:
        """Everything received since the last call, concatenated ('' when nothing)."""
        with self._received_lock:
            messages = list(self._received)
            self._received.clear()
            self._received_bytes = 0
        return "".join(_decode(m) for m in messages)

    def popReceivedMessage(self, raw: bool = False) -> Union[str, bytes, None]:
        """The oldest received message not yet taken, or ``None``.

        :param raw: return the exact bytes instead of decoded text
        """
        with self._received_lock:
            if not self._received:
                return None
            data = self._received.popleft()
            self._received_bytes -= len(data)
        return data if raw else _decode(data)

    # --- lifecycle -------------------------------------------------------------

    def close(self) -> None:
        """Stop the outbox's delivery threads, close the inbound listener and the
        network's link (idempotent). What waits in the outbox stays on disk."""
        self.stopPeriodicMessage()
        with self._outbox_lock:
            link, self._outbox_link = self._outbox_link, None
            self._outbox_spec = False  # a closed cloud opens no outbox again
        self.event.unsubscribe(NETWORK_CONNECTED, self._network_hook)
        if link is not None:
            link.close()
        self.closeReceiveSocket()
        self.network.close()
        if self._tcp is not None:
            self._tcp.close()

    def __enter__(self) -> Cloud:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _weakly(cloud: Cloud, method: str) -> Callable[[], None]:
    """``cloud``'s ``method`` (a subclass's own, if it has one) as a callback
    that does not keep ``cloud`` alive."""
    ref = weakref.ref(cloud)

    def call() -> None:
        target = ref()
        if target is not None:
            getattr(target, method)()

    return call


@functools.lru_cache(maxsize=1)
def _sdk_version() -> str:
    """``hologram_sdk.__version__`` (looked up once: a device key's every message names it)."""
    from hologram_sdk import __version__

    return __version__


def _default_outbox() -> str:
    from hologram_sdk.base.paths import OUTBOX_FILE, state_path  # strings: no pathlib

    return state_path(OUTBOX_FILE)


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
