"""``NetworkManager``: picks the network interface by name and reports link events."""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any, Callable, Optional

from hologram_sdk.base.errors import (
    CloudConnectionError,
    ConfigurationError,
    HologramError,
    UnknownInterfaceError,
)
from hologram_sdk.base.events import NETWORK_CONNECTED, NETWORK_DISCONNECTED, Event

if TYPE_CHECKING:
    from hologram_sdk.modem.registry import ModemDriver
    from hologram_sdk.network.cellular import Cellular
    from hologram_sdk.network.cellular_modem import CellularModem

logger = logging.getLogger(__name__)

#: reference status codes for non-network mode (the link is the application's)
_CONNECTED, _DISCONNECTED = 1, 0

#: hologram-python 0.10's names, accepted as well (``listAvailableInterfaces``
#: lists the reference's): ``cellular`` finds whichever registered modem is
#: plugged in; ``ethernet``, ``wifi`` and ``ble`` are non-network mode under
#: their name (the system manages those links). Value: what ``repr`` shows.
CELLULAR_010 = "cellular"
STUB_INTERFACES_010 = {"ethernet": "Ethernet", "wifi": "Wifi", "ble": "BLE"}

#: what the 2017 reference documents ``listAvailableInterfaces()`` as a subset of
REFERENCE_INTERFACES = frozenset({"", "cellular-e303", "cellular-iota", "cellular-ms2131"})


class NetworkManager:
    """The network layer of a cloud; ``''`` is non-network mode.

    In non-network mode the link is assumed up: ``connect()`` only broadcasts
    ``network.connected``. With a cellular interface, a
    :class:`~hologram_sdk.network.cellular.Cellular` is built on first use
    around ``modem`` (or the interface's default modem on its default device,
    or the one found on USB): constructing the manager touches no hardware
    and needs no root.

    ``network.connected`` / ``network.disconnected`` are broadcast on ``event``
    whenever the link changes, including drops and automatic reconnects.

    :param event: the owner's event bus (``network.*`` events go there)
    :param network: an interface name from :func:`listAvailableInterfaces`
    :param modem: the modem to use with a cellular interface (optional)
    :param cellular_options: keyword arguments for ``Cellular`` (``apn``,
        ``pppd_path``, ``runner_factory``, ``reconnect``, ...), and
        ``sysfs_root``/``dev_root`` for finding the modem on USB
    :raises UnknownInterfaceError: ``network`` is not a known name
    """

    def __init__(
        self,
        event: Event,
        network: str = "",
        modem: Optional[CellularModem] = None,
        **cellular_options: Any,
    ) -> None:
        name = "" if network is None else network
        known_010 = name == CELLULAR_010 or name in STUB_INTERFACES_010
        if not isinstance(name, str) or (name and not known_010 and _driver_for(name) is None):
            valid = ", ".join(repr(n) for n in supported_interfaces())
            raise UnknownInterfaceError(f"Invalid network type: {network}; valid: {valid}")
        self._log = logger.getChild(type(self).__name__)
        self.event = event
        self._modem = modem
        self._interface = name
        # non-network mode: '' (and 0.10's ethernet/wifi/ble); the link is assumed up
        self._agnostic = name == "" or name in STUB_INTERFACES_010
        self._sysfs_root = str(cellular_options.pop("sysfs_root", "/sys"))
        self._dev_root = str(cellular_options.pop("dev_root", "/dev"))
        self._options = cellular_options
        self._cellular: Optional[Cellular] = None
        self._owns_modem = False
        self._connected = self._agnostic
        self._lock = threading.Lock()
        self._listeners: list[_DeferredListener] = []

    # --- properties ----------------------------------------------------------------

    @property
    def interface(self) -> str:
        """The selected interface name ('' = non-network mode)."""
        return self._interface

    @property
    def modem(self) -> Optional[CellularModem]:
        """The modem in use (None in non-network mode until one is needed)."""
        if self._modem is None and not self._agnostic:
            self._modem = self._default_modem()
            self._owns_modem = True
        return self._modem

    @modem.setter
    def modem(self, value: Optional[CellularModem]) -> None:
        if self._cellular is not None:
            raise ConfigurationError("the modem cannot change once the network was used")
        self._modem = value

    @property
    def cellular(self) -> Optional[Cellular]:
        """The :class:`Cellular` interface (None in non-network mode)."""
        if self._agnostic:
            return None
        if self._cellular is None:
            from hologram_sdk.network.cellular import Cellular

            modem = self.modem
            assert modem is not None  # a cellular interface always finds its default
            cellular = Cellular(modem, event=self.event, **self._options)
            cellular.link_listener = self._on_link
            self._cellular = cellular
        return self._cellular

    @property
    def is_connected(self) -> bool:
        """Whether the link is up (non-network mode counts as up once connected)."""
        if self._cellular is not None:
            return bool(self._cellular.is_connected)
        return self._connected and self._agnostic

    up = is_connected

    @property
    def localIPAddress(self) -> Optional[str]:
        """Our address on the cellular link; None when down or in non-network mode."""
        return self._cellular.localIPAddress if self._cellular is not None else None

    @property
    def remoteIPAddress(self) -> Optional[str]:
        """The peer's address on the cellular link; None when down or not PPP."""
        return self._cellular.remoteIPAddress if self._cellular is not None else None

    @property
    def status_reason(self) -> str:
        """Why the status is what it is, in words."""
        if self._cellular is not None:
            return str(self._cellular.status_reason)
        if self._agnostic:
            return "non-network mode: the link is managed outside the SDK"
        return "not connected yet"

    @property
    def serial_mode(self) -> bool:
        """Whether the cloud's traffic goes through the modem's own sockets."""
        # without a modem given, the default one is in 'ppp' mode: nothing to build
        modem = self._modem
        return not self._agnostic and modem is not None and str(modem.mode) == "serial"

    @property
    def transport(self) -> Any:
        """The cloud's transport in serial mode (None: use the host's TCP stack).

        While the serial link is down it is a transport that fails with
        :class:`~hologram_sdk.base.errors.CloudConnectionError`, so nothing leaks
        out through another route and the outbox keeps the message.
        """
        if self._agnostic or not self.serial_mode:  # (the first test: each send asks)
            return None
        transport = self._link().transport
        return transport if transport is not None else _link_down

    def open_listener(
        self, host: str, port: int, on_message: Callable[[bytes], object], **options: Any
    ) -> Any:
        """In serial mode: an inbound listener on the modem (``+USOLI``); None otherwise.

        It listens while the link is up, from the next ``connect()`` on, and
        again after each reconnect; nothing touches the modem before that.
        """
        if not self.serial_mode:
            return None
        listener = _DeferredListener(self, port, on_message, options)
        with self._lock:
            self._listeners.append(listener)
        if self.is_connected:
            listener.start()
        return listener

    def configure(self, **cellular_options: Any) -> None:
        """Set ``Cellular`` options (``apn``, ``pppd_path``, ``reconnect``...) before first use.

        ``sysfs_root`` and ``dev_root`` say where the modem is searched for when
        none was given and the default device does not exist.

        :raises ConfigurationError: the cellular interface was already built
        """
        if self._cellular is not None:
            raise ConfigurationError("configure() must come before the network is first used")
        self._sysfs_root = str(cellular_options.pop("sysfs_root", self._sysfs_root))
        self._dev_root = str(cellular_options.pop("dev_root", self._dev_root))
        self._options.update(cellular_options)

    # --- hologram-python 0.10's names ---------------------------------------------------

    @property
    def networkActive(self) -> bool:
        """0.10's flag: whether the link is up (settable, as there)."""
        return bool(self.is_connected) if self._cellular is not None else self._connected

    @networkActive.setter
    def networkActive(self, value: bool) -> None:
        self._connected = bool(value)

    def networkConnected(self) -> None:
        """0.10: record that the link is up (no event; ``connect()`` broadcasts)."""
        self._connected = True

    def networkDisconnected(self, *args: Any) -> None:
        """0.10: record that the link is down (no event; ``disconnect()`` broadcasts)."""
        self._connected = False

    @property
    def network(self) -> Any:
        """0.10: the network object: the ``Cellular`` (None in non-network mode)."""
        return self.cellular

    @property
    def at_sockets_available(self) -> bool:
        """0.10: whether traffic goes through the modem's own sockets (serial mode)."""
        return self.serial_mode

    def __getattr__(self, name: str) -> Any:
        """0.10's ``cloud.network`` was the cellular network, which answered for its
        modem (``cloud.network.imsi``, ``.iccid``, ``.signal_strength``...): a
        public name this class does not have is the modem's (not in non-network
        mode)."""
        if name.startswith("_") or self.__dict__.get("_agnostic", True):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        modem = self.modem
        try:
            return getattr(modem, name)
        except AttributeError:
            raise AttributeError(
                f"neither the network nor its modem ({type(modem).__name__}) has {name!r}"
            ) from None

    def __repr__(self) -> str:
        """0.10's words: ``'Network Agnostic Mode'``, ``'Cellular'``, ``'Ethernet'``..."""
        if self._interface == "":
            return "Network Agnostic Mode"
        return STUB_INTERFACES_010.get(self._interface, "Cellular")

    # --- the reference's API ------------------------------------------------------------

    def listAvailableInterfaces(self) -> list[str]:
        """The 2017 interface names, sorted (the reference documents a subset of
        ``''``, ``cellular-e303``, ``cellular-iota``, ``cellular-ms2131``); every
        name accepted is in :func:`supported_interfaces`."""
        return [name for name in supported_interfaces() if name in REFERENCE_INTERFACES]

    def getConnectionStatus(self) -> int:
        """The reference's status code (0, 1, 3, 5 or 12)."""
        if self._agnostic:
            return _CONNECTED if self._connected else _DISCONNECTED
        if self._cellular is None:  # never used: nothing to ask the modem yet
            return _DISCONNECTED
        return int(self._cellular.getConnectionStatus())

    def connect(self, timeout: float = 200) -> bool:
        """Bring the link up; ``network.connected`` is broadcast when it is.

        :param timeout: seconds allowed for the link to come up
        :returns: True when the link is up
        :raises PermissionDeniedError: PPP needs root
        """
        if self._agnostic:
            self._connected = True
            self._log.info("Network connected")
            self.event.broadcast(NETWORK_CONNECTED, {"interface": ""})
            return True
        return bool(self._link().connect(timeout))

    def disconnect(self) -> bool:
        """Take the link down; ``network.disconnected`` is broadcast.

        :returns: True
        """
        if self._agnostic:
            self._connected = False
            self._log.info("Network disconnected")
            self.event.broadcast(NETWORK_DISCONNECTED, {"interface": "", "reason": "on request"})
            return True
        self._stop_listeners()  # before the modem's sockets go
        return bool(self._link().disconnect())

    def reconnect(self, timeout: float = 200) -> bool:
        """Disconnect, then connect again.

        :returns: what :meth:`connect` returns
        """
        self.disconnect()
        return self.connect(timeout)

    def _stop_listeners(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener.stop()

    def close(self) -> None:
        """Stop modem listeners, take a cellular link down, stop reconnecting (idempotent)."""
        with self._lock:
            listeners, self._listeners = self._listeners, []
        for listener in listeners:
            listener.close()
        if self._cellular is not None:
            self._cellular.close()
        if self._owns_modem and self._modem is not None:
            self._modem.close()  # the default modem this manager made

    def __enter__(self) -> NetworkManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- internals ---------------------------------------------------------------------------

    def _on_link(self, connected: bool, reason: Optional[str]) -> None:
        payload: dict[str, Any] = {"interface": self._interface}
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            if connected:
                listener.start()
            else:
                listener.stop()
        if connected:
            payload["local_ip"] = self.localIPAddress
            self._log.info("Network connected")
            self.event.broadcast(NETWORK_CONNECTED, payload)
        else:
            payload["reason"] = reason
            self._log.info("Network disconnected: %s", reason)
            self.event.broadcast(NETWORK_DISCONNECTED, payload)

    def _link(self) -> Cellular:
        """The cellular link (only called with a cellular interface)."""
        cellular = self.cellular
        if cellular is None:
            raise ConfigurationError("non-network mode has no cellular link")
        return cellular

    def _default_modem(self) -> CellularModem:
        """The interface's modem class on its default device, or the one found on USB."""
        driver = _driver_for(self._interface)
        if driver is None:  # 0.10's 'cellular': whichever modem is plugged in
            return self._discover_modem()
        cls = driver.load()
        default = cls.profile.default_device
        if not os.path.exists(default):
            from hologram_sdk.modem.discovery import probe_port, scan_usb

            found = scan_usb(self._sysfs_root, self._dev_root, profiles=[cls.profile.name])
            for candidate in found:
                if probe_port(candidate.device):
                    self._log.info("Found %s on %s", cls.__name__, candidate.device)
                    return cls(deviceName=candidate.device)
        return cls()

    def _discover_modem(self) -> CellularModem:
        """0.10's ``network='cellular'``: the first registered modem found on USB that
        answers ``AT`` (the registry's order, each device's AT interface first),
        named at INFO.

        :raises ModemNotFoundError: none was found (a :class:`NetworkError`: 0.10's
            ``'Modem not detected'``, with the ids looked for)
        """
        from hologram_sdk.modem.discovery import find_first_modem
        from hologram_sdk.modem.registry import get_driver

        first = find_first_modem(self._sysfs_root, self._dev_root)
        cls = get_driver(first.profile).load()
        self._log.info("Found %s (%s) on %s", cls.__name__, cls.profile.description, first.device)
        return cls(deviceName=first.device)


def _link_down(host: str, port: int, *args: Any, **kwargs: Any) -> bytes:
    raise CloudConnectionError(
        f"cannot reach {host}:{port}: the cellular link (serial mode) is down; "
        "call network.connect() first"
    )


class _DeferredListener:
    """A modem inbound listener that runs while the link is up."""

    def __init__(
        self,
        manager: NetworkManager,
        port: int,
        on_message: Callable[[bytes], object],
        options: dict[str, Any],
    ) -> None:
        self._manager = manager
        self._port = port
        self._on_message = on_message
        self._options = options
        self._lock = threading.Lock()
        self._active: Any = None
        self._closed = False

    @property
    def is_open(self) -> bool:
        """Open until closed (it may be waiting for the link)."""
        return not self._closed

    def start(self) -> None:
        with self._lock:
            if self._closed or self._active is not None:
                return
            try:
                self._active = self._manager._link().open_listener(
                    self._port, self._on_message, **self._options
                )
            except HologramError as exc:
                logger.warning("cannot listen on the modem's port %d: %s", self._port, exc)

    def stop(self) -> None:
        with self._lock:
            active, self._active = self._active, None
        if active is not None:
            active.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.stop()
        with self._manager._lock:
            if self in self._manager._listeners:
                self._manager._listeners.remove(self)


def supported_interfaces() -> list[str]:
    """Every network name accepted, sorted: ``''``, ``cellular-<driver>`` for each
    registered driver, and 0.10's ``cellular`` (the first modem found on USB),
    ``ethernet``, ``wifi`` and ``ble``."""
    from hologram_sdk.modem.registry import interface_names

    return sorted(["", CELLULAR_010, *STUB_INTERFACES_010, *interface_names()])


def _driver_for(interface: str) -> Optional[ModemDriver]:
    """The registry's driver for ``interface`` (``cellular-<name>``), or None.

    The registry (with the modem profiles and ``dataclasses``) is loaded only
    for a cellular interface: a cloud in non-network mode never needs it.
    """
    from hologram_sdk.modem.registry import driver_for_interface

    return driver_for_interface(interface)
