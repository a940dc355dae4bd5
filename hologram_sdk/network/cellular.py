"""The reference's ``Cellular``: bring the cellular link up and down, and say how it is going.

Two modes, chosen by the modem's ``mode``:

* ``'ppp'``: checks the modem over AT (SIM, signal, registration), then runs
  the system's pppd with the chat script on the modem's data port
  (:class:`~hologram_sdk.network.pppd.PPPRunner`). Needs root.
* ``'serial'`` (IOTA / u-blox): checks the modem, activates its internal PDP
  context, and carries the cloud's TCP traffic on the modem's own sockets
  (:mod:`hologram_sdk.network.serial_mode`). No pppd, no root.

Status codes are the reference's: ``CLOUD_DISCONNECTED`` (0), ``CLOUD_CONNECTED``
(1), ``CLOUD_ERR_SIM`` (3), ``CLOUD_ERR_SIGNAL`` (5), ``CLOUD_ERR_CONNECT`` (12);
``status_reason`` says the same in words.

After an unexpected drop the link is brought back by a
:class:`ReconnectPolicy`: exponential backoff with jitter, capped, reset once a
link has stayed up for a stable period; each step is broadcast as an event.

Why ~640 lines in one module: it is one state machine (status, reason, link,
runner, reconnect thread) behind one lock; connect in both modes, drop handling
and the reconnect loop all move the same state. The pure parts live elsewhere
(:mod:`~hologram_sdk.network.ppp`, :mod:`~hologram_sdk.base.backoff`).
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import random
import threading
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Optional

from hologram_sdk.base.errors import (
    ConfigurationError,
    HologramError,
    ModemError,
    NetworkError,
    PermissionDeniedError,
    PPPError,
    SerialError,
)
from hologram_sdk.base.events import (
    CELLULAR_CONNECTED,
    CELLULAR_DISCONNECTED,
    NETWORK_RECONNECT_FAILED,
    NETWORK_RECONNECTING,
    Event,
)
from hologram_sdk.network.cellular_modem import CellularModem
from hologram_sdk.network.ppp import DEFAULT_APN, DEFAULT_PPPD_PATH, PPPOptions, validate_apn
from hologram_sdk.network.pppd import PPPLink, PPPRunner, check_chat_script, require_root
from hologram_sdk.network.serial_mode import ModemSocketListener, ModemSocketTransport

__all__ = [
    "CLOUD_CONNECTED",
    "CLOUD_DISCONNECTED",
    "CLOUD_ERR_CONNECT",
    "CLOUD_ERR_SIGNAL",
    "CLOUD_ERR_SIM",
    "NETWORK_RECONNECTING",
    "NETWORK_RECONNECT_FAILED",
    "Cellular",
    "ConnectionStatus",
    "ReconnectPolicy",
]

logger = logging.getLogger(__name__)


class ConnectionStatus(enum.IntEnum):
    """The reference's connection status codes."""

    CLOUD_DISCONNECTED = 0
    CLOUD_CONNECTED = 1
    CLOUD_ERR_SIM = 3
    CLOUD_ERR_SIGNAL = 5
    CLOUD_ERR_CONNECT = 12


CLOUD_DISCONNECTED = ConnectionStatus.CLOUD_DISCONNECTED
CLOUD_CONNECTED = ConnectionStatus.CLOUD_CONNECTED
CLOUD_ERR_SIM = ConnectionStatus.CLOUD_ERR_SIM
CLOUD_ERR_SIGNAL = ConnectionStatus.CLOUD_ERR_SIGNAL
CLOUD_ERR_CONNECT = ConnectionStatus.CLOUD_ERR_CONNECT

#: Listener the network manager installs: ``(connected, reason)``.
LinkListener = Callable[[bool, Optional[str]], Any]
RunnerFactory = Callable[..., PPPRunner]


@dataclass(frozen=True)
class ReconnectPolicy:
    """When to bring a dropped link back.

    The n-th attempt (0-based) waits ``min(max_delay, initial_delay *
    multiplier**n)`` seconds, scaled by a random factor in ``[1 - jitter,
    1 + jitter]`` and capped again at ``max_delay``. A link that stayed up for
    ``stable_after`` seconds resets n to 0 when it drops.

    :param enabled: reconnect at all after an unexpected drop
    :param initial_delay: seconds before the first attempt
    :param max_delay: the cap on any delay
    :param multiplier: growth per attempt
    :param jitter: fraction of random spread (0 = none, at most 1)
    :param stable_after: seconds of uptime after which the backoff resets
    :param attempt_timeout: seconds allowed for each attempt's connect
    :param max_attempts: give up after this many failed attempts (None = never)
    """

    enabled: bool = True
    initial_delay: float = 2.0
    max_delay: float = 300.0
    multiplier: float = 2.0
    jitter: float = 0.25
    stable_after: float = 120.0
    attempt_timeout: float = 200.0
    max_attempts: Optional[int] = None

    def __post_init__(self) -> None:
        if self.initial_delay < 0 or self.max_delay < self.initial_delay:
            raise ConfigurationError("need 0 <= initial_delay <= max_delay")
        if self.multiplier < 1:
            raise ConfigurationError("multiplier must be >= 1")
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError("jitter must be between 0 and 1")
        if self.stable_after < 0 or self.attempt_timeout <= 0:
            raise ConfigurationError("stable_after must be >= 0 and attempt_timeout > 0")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ConfigurationError("max_attempts must be >= 1 or None")

    def delay(self, attempt: int, rand: float) -> float:
        """Seconds to wait before attempt number ``attempt`` (0-based).

        :param rand: a uniform random number in [0, 1)
        """
        base = min(self.max_delay, self.initial_delay * self.multiplier ** min(attempt, 64))
        spread = 1.0 - self.jitter + 2.0 * self.jitter * rand
        return min(self.max_delay, max(0.0, base * spread))


_SIM_REASONS = {
    "absent": "no SIM card in the modem",
    "pin": "the SIM is locked: it needs its PIN",
    "puk": "the SIM is blocked: it needs its PUK",
    "pin2": "the SIM needs its PIN2",
    "puk2": "the SIM needs its PUK2",
    "phone_locked": "the modem is locked to another network or SIM",
    "failure": "the SIM is not answering (damaged or badly seated)",
    "busy": "the SIM is still starting up",
    "unknown": "the modem reports an unknown SIM state",
}

_REGISTRATION_REASONS = {
    "not_registered": "not registered on a network and not searching",
    "searching": "not registered yet: the modem is still searching for a network",
    "denied": "registration denied by the network (is the SIM activated?)",
    "unknown": "the modem does not know its registration state",
}


def _value(state: Enum) -> str:
    return str(state.value).lower()


class Cellular:
    """A cellular data link through one modem (the reference's ``Cellular``).

    Constructing one never touches the modem or needs root.

    :param modem: a :class:`~hologram_sdk.modem.modem.Modem` (E303, MS2131, IOTA...)
    :param event: the bus for ``cellular.*`` and reconnect events (default: the modem's)
    :param apn: access point name given to the chat script (``-T``)
    :param pppd_path: the pppd program
    :param runner_factory: builds the :class:`PPPRunner` (same signature)
    :param geteuid: effective-uid source for the root check
    :param reconnect: the policy after an unexpected drop (default :class:`ReconnectPolicy`)
    :param data_device: the port pppd uses (default: the modem's ``deviceName``)
    :param terminate_grace: seconds between SIGTERM and SIGKILL when stopping pppd
    :param ppp_extra: further pppd options
    :param rand: uniform random source for the jitter
    :param clock: monotonic clock
    :raises ConfigurationError: a bad APN or mode
    """

    def __init__(
        self,
        modem: CellularModem,
        *,
        event: Optional[Event] = None,
        apn: str = DEFAULT_APN,
        pppd_path: str = DEFAULT_PPPD_PATH,
        runner_factory: RunnerFactory = PPPRunner,
        geteuid: Callable[[], int] = os.geteuid,
        reconnect: Optional[ReconnectPolicy] = None,
        data_device: Optional[str] = None,
        terminate_grace: float = 5.0,
        ppp_extra: tuple[str, ...] = (),
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if modem is None:
            raise ConfigurationError("Cellular needs a modem")
        self.modem = modem
        self.apn = validate_apn(apn)
        mode = str(modem.mode).lower()
        if mode not in ("ppp", "serial"):
            raise ConfigurationError(f"unknown modem mode {mode!r}: use 'ppp' or 'serial'")
        if mode == "serial" and modem.socket_family is None:
            raise ConfigurationError(
                f"{type(modem).__name__} has no modem sockets: serial mode needs a modem "
                "with a socket family (IOTA, Nova_U201, NovaM, BG96, EC21, EC25)"
            )
        self.event = event if event is not None else modem.event
        self.pppd_path = pppd_path
        self.runner_factory = runner_factory
        self.geteuid = geteuid
        self.reconnect_policy = reconnect if reconnect is not None else ReconnectPolicy()
        self.data_device = data_device
        self.terminate_grace = terminate_grace
        self.ppp_extra = tuple(ppp_extra)
        self._rand = rand
        self._clock = clock
        #: called with (connected, reason) on every link change (the manager sets it)
        self.link_listener: Optional[LinkListener] = None
        self._log = logger.getChild(type(self).__name__)

        self._lock = threading.RLock()  # one connect/disconnect at a time
        self._state_lock = threading.Lock()
        self._status = CLOUD_DISCONNECTED
        self._reason = "not connected yet"
        self._runner: Optional[PPPRunner] = None
        self._link: Optional[PPPLink] = None
        self._stack: Any = None
        self._transport: Optional[ModemSocketTransport] = None
        self._serial_ip: Optional[str] = None
        self._up_since: Optional[float] = None
        self._backoff_level = 0
        self._stop_reconnect = threading.Event()
        self._reconnector: Optional[threading.Thread] = None
        self._closed = False
        if modem.link is None:
            modem.link = self  # the reference's modem.connect()/disconnect() come here

    # --- the reference's API ------------------------------------------------------

    @property
    def mode(self) -> str:
        """``'ppp'`` or ``'serial'`` (the modem's mode)."""
        return str(self.modem.mode).lower()

    @property
    def localIPAddress(self) -> Optional[str]:
        """Our address on the link; None while it is down."""
        with self._state_lock:
            if self._status != CLOUD_CONNECTED:
                return None
            return self._link.local_ip if self._link else self._serial_ip

    @property
    def remoteIPAddress(self) -> Optional[str]:
        """The peer's address on the link (PPP); None while down and in serial mode."""
        with self._state_lock:
            if self._status != CLOUD_CONNECTED or self._link is None:
                return None
            return self._link.remote_ip

    @property
    def dns(self) -> tuple[str, ...]:
        """DNS servers the network offered (PPP with usepeerdns)."""
        with self._state_lock:
            return self._link.dns if self._link and self._status == CLOUD_CONNECTED else ()

    @property
    def status_reason(self) -> str:
        """Why the status is what it is, in words."""
        with self._state_lock:
            return self._reason

    @property
    def is_connected(self) -> bool:
        """Whether the link is up."""
        return self.getConnectionStatus() == CLOUD_CONNECTED

    def getConnectionStatus(self) -> int:
        """The status code (0, 1, 3, 5 or 12), as an int-compatible :class:`ConnectionStatus`."""
        with self._state_lock:
            return self._status

    def connect(self, timeout: float = 200) -> bool:
        """Check the modem, then bring the link up within ``timeout`` seconds.

        Broadcasts ``cellular.connected`` on success. On failure the status
        says why (SIM 3, signal/registration 5, dial or PPP 12) and so does
        :attr:`status_reason`.

        :returns: True when the link is up
        :raises PermissionDeniedError: PPP mode without root
        :raises ConfigurationError: the chat script is missing or not executable
        """
        if timeout is None or timeout <= 0:
            raise ConfigurationError(f"timeout must be > 0 seconds, got {timeout!r}")
        self._cancel_reconnect()
        return self._connect(float(timeout))

    def disconnect(self) -> bool:
        """Take the link down (stops only the pppd this object started).

        Broadcasts ``cellular.disconnected`` when a link was up.

        :returns: True
        """
        self._cancel_reconnect()
        with self._lock:
            was_up = self._take_down()
            self._set_status(CLOUD_DISCONNECTED, "disconnected on request")
        if was_up:
            self._log.info("Disconnected")
            self.event.broadcast(CELLULAR_DISCONNECTED, {"reason": "disconnected on request",
                                                         "expected": True})
            self._notify(False, "disconnected on request")
        return True

    def reconnect(self, timeout: float = 200) -> bool:
        """Disconnect, then connect again."""
        self.disconnect()
        return self.connect(timeout)

    # --- serial mode seams (used by the cloud through the network manager) ------------

    @property
    def transport(self) -> Optional[ModemSocketTransport]:
        """In serial mode while connected: a transport over the modem's sockets."""
        with self._state_lock:
            return self._transport

    def open_listener(
        self, port: int, on_message: Callable[[bytes], object], **options: Any
    ) -> Optional[ModemSocketListener]:
        """In serial mode while connected: listen for inbound messages (``+USOLI``).

        :returns: the listener, or None outside serial mode
        :raises NetworkError: the serial link is down
        """
        if self.mode != "serial":
            return None
        with self._state_lock:
            stack = self._stack
        if stack is None:
            raise NetworkError("the serial link is down: connect() first")
        allowed = {k: v for k, v in options.items() if k in ("idle_timeout", "max_message_size")}
        # one socket table for the transport and the listener: the modem reuses ids
        return ModemSocketListener(stack, int(port), on_message, owns_stack=False, **allowed)

    # --- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Take the link down and stop reconnecting (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.disconnect()
        if self.modem.link is self:
            self.modem.link = None

    def __enter__(self) -> Cellular:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Cellular {self.mode} via {self.modem!r} status={int(self._status)}>"

    # --- internals --------------------------------------------------------------------------

    def _set_status(self, status: ConnectionStatus, reason: str) -> None:
        with self._state_lock:
            self._status = status
            self._reason = reason

    def _notify(self, connected: bool, reason: Optional[str]) -> None:
        listener = self.link_listener
        if listener is not None:
            try:
                listener(connected, reason)
            except Exception:
                self._log.exception("link listener raised")

    def _connect(self, timeout: float) -> bool:
        deadline = self._clock() + timeout
        with self._lock:
            if self._closed:
                raise NetworkError("this Cellular is closed")
            if self.getConnectionStatus() == CLOUD_CONNECTED:
                return True
            self._take_down()
            script: Optional[str] = None
            if self.mode == "ppp":
                try:
                    require_root(self.geteuid)
                except PermissionDeniedError as exc:
                    self._set_status(CLOUD_ERR_CONNECT, str(exc))
                    raise
                script = check_chat_script(self.modem.chatScriptFile)
            if not self._check_modem():
                return False
            if script is not None:
                ok = self._connect_ppp(script, deadline)
            else:
                ok = self._connect_serial(deadline)
        if ok:
            self._after_up()
        return ok

    def _check_modem(self) -> bool:
        """SIM, signal, registration over AT; sets the status and returns False on a problem."""
        modem = self.modem
        device = modem.deviceName
        try:
            modem.reacquire_port()  # after pppd released it
            sim = _value(modem.sim_state)
            if sim != "ready":
                reason = _SIM_REASONS.get(sim, f"SIM state {sim}")
                return self._fail(CLOUD_ERR_SIM, reason)
            signal = modem.signal
            if signal.rssi == 99:
                return self._fail(
                    CLOUD_ERR_SIGNAL, "no signal (rssi 99): check the antenna and coverage"
                )
            registration = _value(modem.registration)
            if registration not in ("home", "roaming"):
                reason = _REGISTRATION_REASONS.get(registration, registration)
                return self._fail(CLOUD_ERR_SIGNAL, reason)
        except (ModemError, SerialError) as exc:
            return self._fail(CLOUD_ERR_CONNECT, f"the modem on {device} does not answer: {exc}")
        self._log.info("Modem ready: SIM ready, signal %s dBm, %s", signal.dbm,
                       registration)
        return True

    def _fail(self, status: ConnectionStatus, reason: str) -> bool:
        self._set_status(status, reason)
        self._log.warning("Cannot connect: %s", reason)
        return False

    def _connect_ppp(self, script: str, deadline: float) -> bool:
        modem = self.modem
        device = self.data_device or modem.deviceName
        options = PPPOptions(
            device=str(device),
            chat_script=script,
            baud_rate=modem.baudRate,
            apn=self.apn,
            extra=self.ppp_extra,
        )
        modem.release_port()  # chat and pppd need the port to themselves
        runner: PPPRunner = self.runner_factory(
            options,
            pppd_path=self.pppd_path,
            geteuid=self.geteuid,
            on_down=lambda error: self._on_ppp_down(runner, error),
            terminate_grace=self.terminate_grace,
        )
        self._runner = runner
        try:
            runner.start()
            link = runner.wait_up(max(0.0, deadline - self._clock()))
        except PermissionDeniedError:
            self._drop_runner()
            raise
        except PPPError as exc:
            self._drop_runner()
            return self._fail(CLOUD_ERR_CONNECT, str(exc))
        with self._state_lock:
            self._link = link
            self._status = CLOUD_CONNECTED
            self._reason = f"connected over PPP on {link.interface or device}"
        modem.set_ip_addresses(link.local_ip, link.remote_ip)
        return True

    def _drop_runner(self) -> None:
        with self._state_lock:
            runner, self._runner = self._runner, None
        if runner is not None:
            runner.on_down = None
            runner.close()

    def _connect_serial(self, deadline: float) -> bool:
        modem = self.modem
        try:
            ip = self._activate_pdp(deadline)
            stack = modem.sockets()
        except (ModemError, SerialError) as exc:
            return self._fail(CLOUD_ERR_CONNECT, f"the modem's data context failed: {exc}")
        family = modem.socket_family
        connect_timeout = family.connect_timeout if family is not None else 20.0
        with self._state_lock:
            self._stack = stack
            self._transport = ModemSocketTransport(stack, connect_timeout=connect_timeout)
            self._serial_ip = ip
            self._link = None
            self._status = CLOUD_CONNECTED
            self._reason = "connected in serial mode (the modem's own sockets)"
        modem.set_ip_addresses(ip, None)
        return True

    def _activate_pdp(self, deadline: float) -> Optional[str]:
        """The modem's own data context, as its socket family brings it up."""
        left = max(1.0, deadline - self._clock())
        ip: Optional[str] = self.modem.activate_data(self.apn, left)
        return ip

    def _after_up(self) -> None:
        with self._state_lock:
            link = self._link
            self._up_since = self._clock()
        payload: dict[str, Any] = {"mode": self.mode}
        if link is not None:
            payload.update(interface=link.interface, local_ip=link.local_ip,
                           remote_ip=link.remote_ip, dns=list(link.dns))
            self._log.info("Connected: local %s, remote %s", link.local_ip, link.remote_ip)
        else:
            payload.update(local_ip=self._serial_ip)
            self._log.info("Connected in serial mode")
        self.event.broadcast(CELLULAR_CONNECTED, payload)
        self._notify(True, None)

    def _take_down(self) -> bool:
        """Stop what is running (pppd or the modem sockets); True if a link was up."""
        was_up = self.getConnectionStatus() == CLOUD_CONNECTED
        if self._runner is not None:
            self._drop_runner()
        with self._state_lock:
            stack, self._stack = self._stack, None
            self._transport = None
            self._link = None
            self._serial_ip = None
        if stack is not None:
            stack.close()
            with contextlib.suppress(HologramError):
                self.modem.deactivate_data()
        self.modem.set_ip_addresses(None, None)
        return was_up

    def _on_ppp_down(self, runner: PPPRunner, error: Optional[NetworkError]) -> None:
        """pppd exited on its own while it was ours (runner's reader thread)."""
        with self._state_lock:
            if runner is not self._runner or self._status != CLOUD_CONNECTED:
                # a runner we are stopping, or still connecting (connect() reports it)
                return
            self._status = CLOUD_DISCONNECTED
            reason = f"the link dropped: {error}" if error else "the link was closed by the peer"
            self._reason = reason
            self._link = None
            up_for = self._clock() - (self._up_since or self._clock())
        self.modem.set_ip_addresses(None, None)
        self._log.warning("Link lost: %s", reason)
        if up_for >= self.reconnect_policy.stable_after:
            self._backoff_level = 0
        self.event.broadcast(CELLULAR_DISCONNECTED, {"reason": reason, "expected": False})
        self._notify(False, reason)
        if self.reconnect_policy.enabled and not self._closed:
            self._start_reconnect(reason)

    def _start_reconnect(self, reason: str) -> None:
        self._stop_reconnect.clear()
        thread = threading.Thread(target=self._reconnect_loop, args=(reason,),
                                  name="cellular-reconnect", daemon=True)
        self._reconnector = thread
        thread.start()

    def _cancel_reconnect(self) -> None:
        self._stop_reconnect.set()
        thread = self._reconnector
        runner = self._runner
        if thread is not None and thread.is_alive() and runner is not None:
            runner.stop()  # an attempt in progress gives up at once
        if thread is not None and thread is not threading.current_thread():
            thread.join()
            self._reconnector = None

    def _reconnect_loop(self, reason: str) -> None:
        policy = self.reconnect_policy
        failures = 0
        while not self._stop_reconnect.is_set():
            attempt = self._backoff_level
            delay = policy.delay(attempt, self._rand())
            self._backoff_level += 1
            self.event.broadcast(NETWORK_RECONNECTING, {
                "attempt": failures + 1, "level": attempt, "delay": delay, "reason": reason,
            })
            self._log.info("Reconnecting in %.1f s (attempt %d)", delay, failures + 1)
            if self._stop_reconnect.wait(delay):
                return
            try:
                ok = self._connect(policy.attempt_timeout)
            except HologramError as exc:
                ok = False
                self._set_status(CLOUD_ERR_CONNECT, str(exc))
            if ok:
                return
            failures += 1
            reason = self.status_reason
            gave_up = policy.max_attempts is not None and failures >= policy.max_attempts
            self.event.broadcast(NETWORK_RECONNECT_FAILED, {
                "attempt": failures, "status": self.getConnectionStatus(), "reason": reason,
                "gave_up": gave_up,
            })
            if gave_up:
                self._log.error("Giving up reconnecting after %d attempts: %s", failures, reason)
                return
