"""The SIM card: its state (ready, absent, PIN, PUK...), codes and identities, and +CPIN."""

from __future__ import annotations

from typing import Callable, Optional

from hologram_sdk.base.digits import is_digits
from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.atcommand import Command, CommandFailed, CommandTable, cme, require

#: SIM states -> the CME error a SIM-dependent command gets (None = works)
SIM_STATES: dict[str, Optional[int]] = {
    "ready": None,
    "absent": 10,
    "pin": 11,
    "puk": 12,
    "failure": 13,
    "busy": 14,
}
#: the 27.005 CMS error matching each SIM CME error
SIM_CMS = {10: 310, 11: 311, 12: 316, 13: 313, 14: 314}
CPIN_TEXT = {"ready": "READY", "pin": "SIM PIN", "puk": "SIM PUK"}


class Sim:
    """The SIM and what it holds (ICCID, IMSI, PIN, PUK); ``state`` is a key of SIM_STATES."""

    def __init__(self, *, iccid: str, imsi: str, pin: str, puk: str, state: str) -> None:
        for name, value, lengths in (
            ("iccid", iccid, (19, 20)),
            ("imsi", imsi, tuple(range(6, 16))),
        ):
            if not (is_digits(value) and len(value) in lengths):
                raise ConfigurationError(f"{name} must be {'/'.join(map(str, lengths))} digits")
        if not (is_digits(pin) and 4 <= len(pin) <= 8):
            raise ConfigurationError("pin must be 4 to 8 digits")
        self.iccid, self.imsi = iccid, imsi
        self.pin, self.puk = pin, puk
        self.state = "ready"
        self.pin_attempts = 3
        self.set_state(state)

    def set_state(self, state: str) -> None:
        """Put the SIM in ``state`` (a new PIN prompt gets 3 attempts).

        :raises ConfigurationError: not a key of SIM_STATES
        """
        if state not in SIM_STATES:
            raise ConfigurationError(f"sim must be one of {', '.join(SIM_STATES)}, not {state!r}")
        self.state = state
        if state == "pin":
            self.pin_attempts = 3

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def require(self, kind: str) -> None:
        """Fail as a command needing the SIM fails: ``kind`` is "cme" or "cms"."""
        code = SIM_STATES[self.state]
        if code is not None:
            if kind == "cms":
                raise CommandFailed("cms", SIM_CMS[code])
            raise cme(code)

    def unlock(self, code: str, new_pin: Optional[str]) -> None:
        """``AT+CPIN=<pin>`` or ``AT+CPIN=<puk>,<new pin>``.

        :raises CommandFailed: nothing to unlock, or a wrong code
        """
        if self.state not in ("pin", "puk"):
            current = SIM_STATES[self.state]
            raise cme(current if current is not None else 3)
        if self.state == "pin":
            if code != self.pin:
                self.pin_attempts -= 1
                if self.pin_attempts <= 0:
                    self.state = "puk"
                raise cme(16)
        else:
            require(new_pin is not None and is_digits(new_pin) and 4 <= len(new_pin) <= 8)
            if code != self.puk:
                raise cme(16)
            assert new_pin is not None
            self.pin = new_pin
        self.state = "ready"
        self.pin_attempts = 3


class SimCommands:
    """+CPIN, +CIMI and +CCID.

    :param changing: wraps a SIM state change so the radio can report what it changes
    :param ccid_pad: +CCID pads a 19-digit ICCID with a trailing F (Huawei)
    """

    def __init__(
        self, sim: Sim, changing: Callable[[Callable[[], None]], None], *, ccid_pad: bool
    ) -> None:
        self.sim = sim
        self._changing = changing
        self._ccid_pad = ccid_pad

    def cpin(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return []
        if op == "read":
            if self.sim.state in CPIN_TEXT:
                return [f"+CPIN: {CPIN_TEXT[self.sim.state]}"]
            self.sim.require("cme")
        require(op == "set" and bool(args[0]))
        new_pin = args[1] if len(args) == 2 else None
        self._changing(lambda: self.sim.unlock(args[0], new_pin))
        return []

    def cimi(self, op: str, args: list[str]) -> list[str]:
        return [] if op == "test" else [self.sim.imsi]

    def ccid(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return []
        value = self.sim.iccid
        if self._ccid_pad and len(value) == 19:
            value += "F"
        return [f"+CCID: {value}"]

    def commands(self) -> CommandTable:
        return {
            "+CPIN": Command(self.cpin),
            "+CIMI": Command(self.cimi, sim="cme"),
            "+CCID": Command(self.ccid, sim="cme"),
        }
