"""What every modem driver can do besides identity, signal and SMS.

Reset and radio power, version and description, the SIM's GSM AUTHENTICATE
(``AT+CSIM``), location (u-blox CellLocate or Quectel GNSS) and the modem's
own sockets for serial mode. Each model's differences are data in its
:class:`~hologram_sdk.modem.profiles.ModemProfile` (the reset command, the
location method, the socket family), not branches here.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Optional

from hologram_sdk.base import events
from hologram_sdk.base.errors import (
    ATCommandError,
    ConfigurationError,
    DriverNotAvailableError,
    ModemError,
)
from hologram_sdk.modem import simauth
from hologram_sdk.modem.at import ATChannel
from hologram_sdk.modem.at_codec import URC
from hologram_sdk.modem.location import (
    QUECTEL_NO_FIX,
    QUECTEL_SESSION_INACTIVE,
    QUECTEL_SESSION_ONGOING,
    Location,
    parse_qgpsloc,
    parse_uuloc,
)
from hologram_sdk.modem.sockets import SocketFamily, SocketStack, family

if TYPE_CHECKING:
    from hologram_sdk.base.events import Event
    from hologram_sdk.modem.profiles import ModemProfile

logger = logging.getLogger(__name__)

#: seconds ``location()`` waits by default (CellLocate is asked for a 10 s answer)
LOCATION_TIMEOUT = 30.0


class ModemControl:
    """Mixin for :class:`~hologram_sdk.modem.modem.Modem`; reads ``self.profile``."""

    profile: ModemProfile
    event: Event
    log: logging.Logger
    _socket_family: Optional[SocketFamily] = None

    # provided by Modem
    def command(self, command: str, timeout: Optional[float] = None) -> list[str]:
        raise NotImplementedError

    def _at(self) -> ATChannel:
        raise NotImplementedError

    # -- identity ---------------------------------------------------------------------

    @property
    def modem_id(self) -> Optional[str]:
        """The model the modem reports (``AT+CGMM``), as the 0.10 SDK's ``modem_id``."""
        lines = self.command("AT+CGMM")
        return next((line.strip() for line in lines if not line.startswith("+")), None)

    @property
    def description(self) -> str:
        """What the modem is, in words (``type`` in the CLI)."""
        return self.profile.description

    @property
    def type(self) -> str:
        """The registry name of this driver's model (``nova``, ``bg96``...)."""
        return self.profile.name

    @property
    def version(self) -> Optional[str]:
        """The firmware version (``ATI9`` on u-blox, ``AT+CGMR`` elsewhere), one line."""
        lines = [line.strip() for line in self.command(self.profile.version_command)]
        text = ", ".join(line for line in lines if line)
        return text or None

    # -- control ----------------------------------------------------------------------

    def reset(self) -> None:
        """Restart the modem with its model's command (the port may go away after it).

        :raises ATCommandError: the modem refused
        """
        self.log.info("restarting the modem (%s)", self.profile.reset_command)
        self.command(self.profile.reset_command, timeout=30.0)

    def radio_power(self, on: bool) -> bool:
        """Turn the radio on (``AT+CFUN=1``) or off (``AT+CFUN=0``).

        :returns: True when the modem accepted it (as the 0.10 SDK)
        :raises ATCommandError: the modem refused
        """
        self.command("AT+CFUN=1" if on else "AT+CFUN=0", timeout=30.0)
        return True

    # -- SIM authentication -------------------------------------------------------------

    def sim_authenticate(self, rand: bytes) -> tuple[bytes, bytes]:
        """Run the SIM's GSM-context AUTHENTICATE on ``rand`` (``AT+CSIM``).

        :param rand: the 16-byte challenge
        :returns: ``(sres, kc)``: 4 and 8 bytes
        :raises ConfigurationError: ``rand`` is not 16 bytes
        :raises SIMAuthenticationError: the SIM refused (``.status_word``, e.g. ``6982``)
        :raises ATCommandError: the modem refused ``AT+CSIM`` (command and CME code named)
        """
        return simauth.sim_authenticate(self, rand)

    # -- location ------------------------------------------------------------------------

    def get_location(
        self, timeout: float = LOCATION_TIMEOUT, *, accuracy: int = 10, poll_interval: float = 1.0
    ) -> Optional[Location]:
        """Where the modem is, or None when no fix came within ``timeout`` (said at INFO).

        u-blox: ``AT+ULOC=2,2,0,<timeout>,<accuracy>`` (CellLocate, single shot) and
        its ``+UULOC`` URC; Quectel: ``AT+QGPS=1``, then ``AT+QGPSLOC=2`` every
        ``poll_interval`` seconds while it answers CME 516 (no fix), then
        ``AT+QGPSEND`` if this call started the GNSS. A fix is broadcast as
        ``location.received``.

        :raises DriverNotAvailableError: the model has no location method
        :raises ATCommandError: the modem refused a location command (named, with its code)
        """
        if timeout <= 0:
            raise ConfigurationError(f"timeout must be > 0 seconds, not {timeout!r}")
        method = self.profile.location
        if method == "celllocate":
            found = self._celllocate(timeout, accuracy)
        elif method == "gnss":
            found = self._gnss(timeout, poll_interval)
        else:
            raise DriverNotAvailableError(f"{self.profile.description} has no location method")
        if found is not None:
            self.event.broadcast(events.LOCATION_RECEIVED, found)
        return found

    @property
    def location(self) -> Optional[Location]:
        """:meth:`get_location` with its default timeout (the 0.10 property)."""
        return self.get_location()

    def _celllocate(self, timeout: float, accuracy: int) -> Optional[Location]:
        channel = self._at()
        answers: list[str] = []
        arrived = threading.Event()

        def on_urc(urc: URC) -> None:
            if urc.name == "+UULOC":
                answers.append(urc.args)
                arrived.set()

        seconds = max(1, min(999, int(timeout)))
        channel.add_urc_handler(on_urc)
        try:
            channel.command(f"AT+ULOC=2,2,0,{seconds},{max(1, int(accuracy))}")
            if not arrived.wait(timeout):
                self.log.info("no location: no +UULOC within %g s", timeout)
                return None
        finally:
            channel.remove_urc_handler(on_urc)
        found = parse_uuloc(answers[0])
        if found.latitude == 0.0 and found.longitude == 0.0:
            # the manual's "no position available": latitude and longitude set to 0
            self.log.info("no location: CellLocate had no position (+UULOC with 0,0)")
            return None
        return found

    def _gnss(self, timeout: float, poll_interval: float) -> Optional[Location]:
        deadline = time.monotonic() + timeout
        started = False
        try:
            self.command("AT+QGPS=1")
            started = True
        except ATCommandError as exc:
            if _gnss_code(exc) != QUECTEL_SESSION_ONGOING:
                raise
        try:
            while True:
                try:
                    lines = self.command("AT+QGPSLOC=2")
                except ATCommandError as exc:
                    if _gnss_code(exc) != QUECTEL_NO_FIX:
                        raise
                else:
                    for line in lines:
                        if line.upper().startswith("+QGPSLOC:"):
                            return parse_qgpsloc(line.partition(":")[2])
                    raise ModemError(f"AT+QGPSLOC=2 gave no +QGPSLOC line: {lines[:2]!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    self.log.info("no location: GNSS had no fix (CME 516) within %g s", timeout)
                    return None
                time.sleep(min(poll_interval, left))
        finally:
            if started:
                try:
                    self.command("AT+QGPSEND")
                except ATCommandError as exc:
                    self.log.debug("AT+QGPSEND refused: %s", exc.result)

    # -- the modem's own sockets (serial mode) ------------------------------------------------

    @property
    def socket_family(self) -> Optional[SocketFamily]:
        """The strategy serial mode uses on this modem (None: PPP only)."""
        if self._socket_family is None and self.profile.socket_family is not None:
            self._socket_family = family(self.profile.socket_family)
        return self._socket_family

    def _family(self) -> SocketFamily:
        found = self.socket_family
        if found is None:
            raise DriverNotAvailableError(
                f"{self.profile.description} has no own sockets: serial mode needs a modem "
                "with a socket family (Nova, NovaM, BG96, EC21, EC25)"
            )
        return found

    def sockets(self) -> SocketStack:
        """The modem's own TCP socket table (the caller closes it)."""
        return self._family().open_stack(self._at())

    def activate_data(self, apn: str, timeout: float = 30.0) -> Optional[str]:
        """Bring the modem's data context up on ``apn``; returns its IP address if known."""
        return self._family().activate(self._command, apn, timeout)

    def deactivate_data(self) -> None:
        """Take the modem's data context down."""
        self._family().deactivate(self._command)

    def _command(self, line: str, timeout: Optional[float]) -> list[str]:
        return self.command(line, timeout=timeout)


#: Quectel GNSS errors in verbose form (``AT+CMEE=2``), by their numbers
_GNSS_TEXTS = {
    "session is ongoing": QUECTEL_SESSION_ONGOING,
    "session not active": QUECTEL_SESSION_INACTIVE,
    "not fixed now": QUECTEL_NO_FIX,
}


def _gnss_code(exc: ATCommandError) -> Optional[int]:
    """The Quectel GNSS error number of ``exc``, from its code or its verbose text."""
    if exc.cme_code is not None:
        return exc.cme_code
    return _GNSS_TEXTS.get((exc.text or "").strip().lower())
