"""V.250 basics (E Q V X Z &F I S H O A D), +CMEE, identity (+CGMI, +CGSN...), +CLAC."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Callable

from hologram_sdk.base.digits import is_digits
from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.atcommand import (
    Command,
    CommandFailed,
    CommandTable,
    FinalResult,
    int_arg,
    require,
)
from hologram_sdk.emulator.line import LineDiscipline
from hologram_sdk.emulator.profiles import DIAL_RESULTS, Profile
from hologram_sdk.emulator.radio import Radio
from hologram_sdk.emulator.records import Faults

Clock = Callable[[], _dt.datetime]


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


class BasicCommands:
    """The V.250 command set, the packet-data dial, +CMEE and the real-time clock (+CCLK).

    :param restore: puts back the settings ATZ and AT&F restore (all families')
    :param clock: the time the modem's clock starts from (UTC)
    """

    def __init__(
        self,
        line: LineDiscipline,
        radio: Radio,
        faults: Faults,
        profile: Profile,
        restore: Callable[[], None],
        clock: Clock = utc_now,
    ) -> None:
        self.line = line
        self.radio = radio
        self.faults = faults
        self.profile = profile
        self._restore = restore
        self._clock = clock
        #: what AT+CCLK=<time> set, relative to ``clock``
        self._clock_offset = _dt.timedelta(0)
        self.sregs: dict[int, int] = {0: 0, 2: 43, 3: 13, 4: 10, 5: 8, 7: 50, 12: 50}

    @staticmethod
    def _flag(args: list[str], hi: int = 1) -> int:
        return int_arg(args[0] or "0", 0, hi)

    def e(self, op: str, args: list[str]) -> list[str]:
        self.line.echo = bool(self._flag(args))
        return []

    def q(self, op: str, args: list[str]) -> list[str]:
        self.line.quiet = bool(self._flag(args))
        return []

    def v(self, op: str, args: list[str]) -> list[str]:
        self.line.verbose = bool(self._flag(args))
        return []

    def x(self, op: str, args: list[str]) -> list[str]:
        self.line.x = self._flag(args, 4)
        return []

    def z(self, op: str, args: list[str]) -> list[str]:
        self._flag(args, 1)
        self._restore()
        return []

    def amp_f(self, op: str, args: list[str]) -> list[str]:
        self._restore()
        return []

    def amp_any(self, op: str, args: list[str]) -> list[str]:
        int_arg(args[0] or "0", 0, 9)
        return []

    def s(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            reg = int_arg(args[0], 0, 255)
            return [f"{self.sregs.get(reg, 0):03d}"]
        if op == "set":
            reg, value = int_arg(args[0], 0, 255), int_arg(args[1], 0, 255)
            self.sregs[reg] = value
        return []

    def h(self, op: str, args: list[str]) -> list[str]:
        self._flag(args)
        self.line.end_call()
        return []

    def _connect(self) -> str:
        return "CONNECT" if self.line.x == 0 else self.profile.connect

    def o(self, op: str, args: list[str]) -> list[str]:
        if not self.line.call_up:
            raise FinalResult("NO CARRIER")
        self.line.enter_data()
        raise FinalResult(self._connect())

    def a(self, op: str, args: list[str]) -> list[str]:
        raise FinalResult("NO CARRIER")

    def d(self, op: str, args: list[str]) -> list[str]:
        number = args[0].upper().replace(" ", "") if args else ""
        number = number.lstrip("TP")
        if not re.fullmatch(r"\*99(\*{1,3}\d*)?#", number):
            raise FinalResult("NO CARRIER")  # voice and CSD calls: a data modem has none
        self.radio.sim.require("cme")
        result = self.faults.dial_result
        if result not in DIAL_RESULTS or result == "ERROR":
            raise CommandFailed("error")
        if result == "CONNECT" and not self.radio.registered:
            result = "NO CARRIER"
        if result == "CONNECT":
            self.line.enter_data()
            raise FinalResult(self._connect())
        if self.line.x == 0:
            result = "NO CARRIER"
        raise FinalResult(result)

    def cmee(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"+CMEE: {self.line.cmee}"]
        if op == "test":
            return ["+CMEE: (0-2)"]
        self.line.cmee = int_arg(args[0] or "0", 0, 2) if op == "set" else 0
        return []

    def cclk(self, op: str, args: list[str]) -> list[str]:
        """``+CCLK: "yy/MM/dd,hh:mm:ss±zz"`` (zz: quarter hours; this clock keeps UTC)."""
        if op == "test":
            return []
        if op == "read":
            now = self._clock().astimezone(_dt.timezone.utc) + self._clock_offset
            return [f'+CCLK: "{now:%y/%m/%d,%H:%M:%S}+00"']
        require(op == "set")
        match = re.fullmatch(
            r"(\d{2})/(\d{2})/(\d{2}),(\d{2}):(\d{2}):(\d{2})([+-]\d{1,2})?", args[0]
        )
        require(match is not None)
        assert match is not None
        yy, mo, dd, hh, mi, ss = (int(g) for g in match.groups()[:6])
        quarters = int(match.group(7) or 0)
        try:
            wanted = _dt.datetime(2000 + yy, mo, dd, hh, mi, ss, tzinfo=_dt.timezone.utc)
        except ValueError:
            raise CommandFailed("error") from None
        wanted -= _dt.timedelta(minutes=15 * quarters)
        self._clock_offset = wanted - self._clock().astimezone(_dt.timezone.utc)
        return []

    def clac(self, op: str, args: list[str]) -> list[str]:
        require(op == "exec")
        return [f"AT{name}" for name in self.line.commands if name[0] in "+^"]

    def ok(self, op: str, args: list[str]) -> list[str]:
        """Accepted and ignored."""
        return []

    def onoff(self, op: str, args: list[str]) -> list[str]:
        if op == "set":
            int_arg(args[0], 0, 1)
        return []

    def commands(self) -> CommandTable:
        return {
            "E": Command(self.e),
            "Q": Command(self.q),
            "V": Command(self.v),
            "X": Command(self.x),
            "Z": Command(self.z),
            "S": Command(self.s),
            "H": Command(self.h),
            "O": Command(self.o),
            "A": Command(self.a),
            "D": Command(self.d),
            "L": Command(self.amp_any),
            "M": Command(self.amp_any),
            "&F": Command(self.amp_f),
            "&C": Command(self.amp_any),
            "&D": Command(self.amp_any),
            "&K": Command(self.amp_any),
            "&W": Command(self.amp_any),
            "+CMEE": Command(self.cmee),
            "+CCLK": Command(self.cclk),
            "+CLAC": Command(self.clac),
            "+CTZU": Command(self.onoff),
            "+CTZR": Command(self.onoff),
        }


class Identity:
    """Who the modem says it is: ATI, +CGMI/+CGMM/+CGMR/+CGSN (and +GMI...), +GCAP.

    :raises ConfigurationError: the IMEI is not 15 digits
    """

    def __init__(self, profile: Profile, imei: str) -> None:
        if not (is_digits(imei) and len(imei) == 15):
            raise ConfigurationError("imei must be 15 digits")
        self.profile = profile
        self.imei = imei

    def i(self, op: str, args: list[str]) -> list[str]:
        n = int_arg(args[0] or "0", 0, 9)
        if n == 9 and self.profile.ati9:
            return [self.profile.ati9]
        if n == 0:
            return [line.format(imei=self.imei) for line in self.profile.ati]
        return [self.profile.manufacturer]

    def cgmi(self, op: str, args: list[str]) -> list[str]:
        return [] if op == "test" else [self.profile.manufacturer]

    def cgmm(self, op: str, args: list[str]) -> list[str]:
        return [] if op == "test" else [self.profile.model]

    def cgmr(self, op: str, args: list[str]) -> list[str]:
        return [] if op == "test" else [self.profile.revision]

    def cgsn(self, op: str, args: list[str]) -> list[str]:
        return [] if op == "test" else [self.imei]

    def gcap(self, op: str, args: list[str]) -> list[str]:
        return ["+GCAP: +CGSM,+DS,+ES"]

    def commands(self) -> CommandTable:
        return {
            "I": Command(self.i),
            "+CGMI": Command(self.cgmi),
            "+GMI": Command(self.cgmi),
            "+CGMM": Command(self.cgmm),
            "+GMM": Command(self.cgmm),
            "+CGMR": Command(self.cgmr),
            "+GMR": Command(self.cgmr),
            "+CGSN": Command(self.cgsn),
            "+GSN": Command(self.cgsn),
            "+GCAP": Command(self.gcap),
        }
