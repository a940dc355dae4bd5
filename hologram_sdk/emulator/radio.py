"""The radio: functionality level, signal, the network's registration answer, its domains."""

from __future__ import annotations

from typing import Callable, Optional, Union

from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.profiles import Profile
from hologram_sdk.emulator.sim import Sim

#: registration names accepted by ``set(registration=...)`` -> 27.007 <stat>
REGISTRATION_STATES: dict[str, int] = {
    "none": 0,
    "not registered": 0,
    "home": 1,
    "searching": 2,
    "denied": 3,
    "unknown": 4,
    "roaming": 5,
}

#: radios a modem can register on: "utran" (3G), "lte" (E-UTRAN: LTE Cat 1/4 or LTE-M),
#: "nbiot" (E-UTRAN NB-S1)
RATS = ("utran", "lte", "nbiot")

#: (stat before, rssi before): what a listener is told after a change
Listener = Callable[[int, int], None]


def parse_registration(registration: Union[str, int]) -> int:
    """A registration name or <stat> number -> <stat>.

    :raises ConfigurationError: neither
    """
    if isinstance(registration, str):
        if registration not in REGISTRATION_STATES:
            raise ConfigurationError(
                f"registration must be one of {', '.join(REGISTRATION_STATES)}"
            )
        return REGISTRATION_STATES[registration]
    if not 0 <= registration <= 5:
        raise ConfigurationError("registration <stat> must be 0-5")
    return registration


class Radio:
    """What the network side looks like to the modem, and what the modem reports of it.

    ``registration`` is what the network would answer; :meth:`stat` is what the
    modem reports (0 while the SIM is not ready or the radio is off).
    Listeners hear about every change (to raise +CREG, ^RSSI... URCs).
    """

    def __init__(
        self,
        sim: Sim,
        profile: Profile,
        *,
        rat: str,
        rssi: int,
        ber: int,
        registration: Union[str, int],
        operator: str,
        operator_numeric: str,
    ) -> None:
        if rat not in RATS:
            raise ConfigurationError(f"rat must be one of {', '.join(RATS)}, not {rat!r}")
        if rat not in profile.rats:
            raise ConfigurationError(
                f"the {profile.name} profile registers on {', '.join(profile.rats)}, not {rat}"
            )
        self.sim = sim
        self.profile = profile
        self.rat = rat
        self.cfun = 1
        self.rssi, self.ber = 20, 99
        self.registration = 1
        self.operator, self.operator_numeric = operator, operator_numeric
        self.listeners: list[Listener] = []
        self.configure(rssi=rssi, ber=ber, registration=registration)

    def configure(
        self,
        *,
        rssi: Optional[int] = None,
        ber: Optional[int] = None,
        registration: Union[str, int, None] = None,
    ) -> None:
        """Check and set the signal and the network's answer (no notification).

        :raises ConfigurationError: an invalid value
        """
        if rssi is not None and not (0 <= rssi <= 31 or rssi == 99):
            raise ConfigurationError(f"rssi must be 0-31 or 99, not {rssi}")
        if ber is not None and not (0 <= ber <= 7 or ber == 99):
            raise ConfigurationError(f"ber must be 0-7 or 99, not {ber}")
        stat = None if registration is None else parse_registration(registration)
        if rssi is not None:
            self.rssi = rssi
        if ber is not None:
            self.ber = ber
        if stat is not None:
            self.registration = stat

    def stat(self) -> int:
        """The registration <stat> the modem reports now."""
        if not self.sim.ready or self.cfun != 1:
            return 0
        return self.registration

    @property
    def registered(self) -> bool:
        return self.stat() in (1, 5)

    def csq(self) -> tuple[int, int]:
        """(rssi, ber) as +CSQ reports them (99,99 with the radio off)."""
        if self.cfun != 1:
            return 99, 99
        return self.rssi, self.ber

    def changing(self, change: Callable[[], None]) -> None:
        """Run ``change`` and tell the listeners what it changed."""
        before, before_rssi = self.stat(), self.csq()[0]
        change()
        for listener in self.listeners:
            listener(before, before_rssi)

    def reports(self, prefix: str) -> bool:
        """Whether registration command ``prefix`` carries the state on this radio.

        On UTRAN +CREG and +CGREG do. On E-UTRAN +CEREG does, and +CREG/+CGREG
        too only on a modem doing combined attach (LTE Cat 1/4 such as the EC2x);
        an LTE-M/NB-IoT modem registers in the EPS domain only, so +CREG and
        +CGREG say 0 there (what makes a client reading only +CREG think the
        modem is not registered).
        """
        if self.rat == "utran":
            return prefix != "+CEREG"
        return prefix == "+CEREG" or self.profile.combined_attach

    @property
    def act(self) -> int:
        """27.007 <AcT> of the radio in use (the profile's numbering)."""
        return self.profile.act[self.rat]
