"""Radio, SIM and registration state and their commands (+CFUN, +CPIN, +CREG, +COPS...)."""

from __future__ import annotations

from typing import Optional, Union

from hologram_sdk.base.digits import is_digits
from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.atargs import _Fail, _int, _syntax
from hologram_sdk.emulator.profiles import _CPIN_TEXT, REGISTRATION_STATES, SIM_STATES
from hologram_sdk.emulator.state import EmulatorState

#: registration commands and the attribute holding each one's ``<n>`` setting
_REG_SETTINGS = {"+CREG": "_creg_n", "+CGREG": "_cgreg_n", "+CEREG": "_cereg_n"}


class NetworkCommands(EmulatorState):
    """The radio and SIM state, its URCs, and the network command handlers."""

    # --- radio and SIM state ------------------------------------------------------

    def _stat(self) -> int:
        if self._sim != "ready" or self._cfun != 1:
            return 0
        return self._registration

    def _apply(
        self,
        *,
        sim: Optional[str],
        rssi: Optional[int],
        ber: Optional[int],
        registration: Union[str, int, None],
        urcs: bool,
    ) -> None:
        if sim is not None and sim not in SIM_STATES:
            raise ConfigurationError(f"sim must be one of {', '.join(SIM_STATES)}, not {sim!r}")
        if rssi is not None and not (0 <= rssi <= 31 or rssi == 99):
            raise ConfigurationError(f"rssi must be 0-31 or 99, not {rssi}")
        if ber is not None and not (0 <= ber <= 7 or ber == 99):
            raise ConfigurationError(f"ber must be 0-7 or 99, not {ber}")
        stat: Optional[int] = None
        if isinstance(registration, str):
            if registration not in REGISTRATION_STATES:
                raise ConfigurationError(
                    f"registration must be one of {', '.join(REGISTRATION_STATES)}"
                )
            stat = REGISTRATION_STATES[registration]
        elif registration is not None:
            if not 0 <= registration <= 5:
                raise ConfigurationError("registration <stat> must be 0-5")
            stat = registration
        before, before_rssi = self._stat(), self._csq()[0]
        if sim is not None:
            self._sim = sim
            if sim == "pin":
                self._pin_attempts = 3
        if rssi is not None:
            self._rssi = rssi
        if ber is not None:
            self._ber = ber
        if stat is not None:
            self._registration = stat
        if urcs:
            self._state_urcs(before, before_rssi)

    def _state_urcs(self, before: int, before_rssi: int) -> None:
        after = self._stat()
        huawei = "huawei" in self.profile.families and self._curc
        if after != before:
            for prefix in _REG_SETTINGS:
                n = getattr(self, _REG_SETTINGS[prefix])
                if n and self._reports(prefix):
                    self._urc(f"{prefix}: " + self._reg_fields(after, n == 2))
            if huawei and (after in (1, 5)) != (before in (1, 5)):
                self._urc("^MODE:5,4" if after in (1, 5) else "^MODE:0,0")
        rssi = self._csq()[0]
        if huawei and rssi != before_rssi:
            self._urc(f"^RSSI:{rssi}")

    def _reports(self, prefix: str) -> bool:
        """Whether ``prefix`` carries the registration state on this radio.

        An LTE Cat-M modem registers in the EPS domain only: +CREG and +CGREG
        say 0 there while +CEREG says home (what makes a client that reads
        only +CREG think the modem is not registered).
        """
        return (prefix == "+CEREG") == (self.rat == "lte")

    @property
    def _act(self) -> int:
        """27.007 <AcT>: the profile's (2, UTRAN), or 7 (E-UTRAN) on LTE."""
        return 7 if self.rat == "lte" else self.profile.act

    def _reg_fields(self, stat: int, location: bool) -> str:
        if location and stat in (1, 5):
            return f'{stat},"00C3","0000A1B2",{self._act}'
        return str(stat)

    def _csq(self) -> tuple[int, int]:
        if self._cfun != 1:
            return 99, 99
        return self._rssi, self._ber

    # --- command handlers ------------------------------------------------------

    def _h_cmee(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"+CMEE: {self._cmee}"]
        if op == "test":
            return ["+CMEE: (0-2)"]
        self._cmee = _int(args[0] or "0", 0, 2) if op == "set" else 0
        return []

    def _h_cfun(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"+CFUN: {self._cfun}"]
        if op == "test":
            return ["+CFUN: (0,1,4,7,15,16),(0-1)"]
        _syntax(op == "set")
        value = _int(args[0], 0, 16)
        _syntax(value in (0, 1, 4, 7, 15, 16))
        before, before_rssi = self._stat(), self._csq()[0]
        if value in (15, 16):
            self._reset_settings()
            value = 1
        self._cfun = value
        self._state_urcs(before, before_rssi)
        return []

    def _h_cpin(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return []
        code = SIM_STATES[self._sim]
        if op == "read":
            if self._sim in _CPIN_TEXT:
                return [f"+CPIN: {_CPIN_TEXT[self._sim]}"]
            assert code is not None
            raise _Fail("cme", code)
        _syntax(op == "set" and bool(args[0]))
        if self._sim not in ("pin", "puk"):
            raise _Fail("cme", code if code is not None else 3)
        before, before_rssi = self._stat(), self._csq()[0]
        if self._sim == "pin":
            if args[0] != self.pin:
                self._pin_attempts -= 1
                if self._pin_attempts <= 0:
                    self._sim = "puk"
                raise _Fail("cme", 16)
        else:
            _syntax(len(args) == 2 and is_digits(args[1]) and 4 <= len(args[1]) <= 8)
            if args[0] != self.puk:
                raise _Fail("cme", 16)
            self.pin = args[1]
        self._sim = "ready"
        self._pin_attempts = 3
        self._state_urcs(before, before_rssi)
        return []

    def _h_csq(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+CSQ: (0-31,99),(0-7,99)"]
        _syntax(op == "exec")
        rssi, ber = self._csq()
        return [f"+CSQ: {rssi},{ber}"]

    def _reg_cmd(self, prefix: str, op: str, args: list[str]) -> list[str]:
        attr = _REG_SETTINGS[prefix]
        if prefix == "+CEREG" and self.rat != "lte":
            raise _Fail("error")  # a 3G modem does not know the EPS domain
        if op == "test":
            return [f"{prefix}: (0-2)"]
        if op == "read":
            n = int(getattr(self, attr))
            stat = self._stat() if self._reports(prefix) else 0
            return [f"{prefix}: {n}," + self._reg_fields(stat, n == 2)]
        _syntax(op == "set")
        setattr(self, attr, _int(args[0] or "0", 0, 2))
        return []

    def _h_creg(self, op: str, args: list[str]) -> list[str]:
        return self._reg_cmd("+CREG", op, args)

    def _h_cgreg(self, op: str, args: list[str]) -> list[str]:
        return self._reg_cmd("+CGREG", op, args)

    def _h_cereg(self, op: str, args: list[str]) -> list[str]:
        return self._reg_cmd("+CEREG", op, args)

    def _h_cops(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return [
                f'+COPS: (2,"{self.operator}","{self.operator[:8]}",'
                f'"{self.operator_numeric}",{self._act}),,(0-4),(0-2)'
            ]
        if op == "read":
            self._need_sim("cme")
            if self._stat() not in (1, 5):
                return [f"+COPS: {self._cops_mode}"]
            name = {
                0: self.operator,
                1: self.operator[:8],
                2: self.operator_numeric,
            }[self._cops_format]
            return [f'+COPS: {self._cops_mode},{self._cops_format},"{name}",{self._act}']
        _syntax(op == "set")
        mode = _int(args[0] or "0", 0, 4)
        if mode == 3:
            _syntax(len(args) >= 2)
            self._cops_format = _int(args[1], 0, 2)
            return []
        self._need_sim("cme")
        if len(args) >= 2 and args[1]:
            _int(args[1], 0, 2)
        self._cops_mode = mode
        return []

    def _h_curc(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"^CURC: {int(self._curc)}"]
        _syntax(op == "set")
        self._curc = bool(_int(args[0], 0, 1))
        return []

    def _h_sysinfo(self, op: str, args: list[str]) -> list[str]:
        stat = self._stat()
        registered = stat in (1, 5)
        sim = {"ready": 1, "absent": 255}.get(self._sim, 0)
        return [
            f"^SYSINFO:{2 if registered else 0},{3 if registered else 0},"
            f"{1 if stat == 5 else 0},{5 if registered else 0},{sim},,{4 if registered else 0}"
        ]

    def _h_cgdcont(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ['+CGDCONT: (1-16),"IP",,,(0-2),(0-4)']
        if op == "read":
            return [
                f'+CGDCONT: {cid},"{kind}","{apn}","0.0.0.0",0,0'
                for cid, (kind, apn) in sorted(self._contexts.items())
            ]
        _syntax(op == "set")
        cid = _int(args[0], 1, 16)
        if len(args) == 1:
            self._contexts.pop(cid, None)
            return []
        kind = args[1].upper()
        _syntax(kind in ("IP", "IPV6", "IPV4V6", "PPP"))
        self._contexts[cid] = (kind, args[2] if len(args) > 2 else "")
        return []

    def _h_cgatt(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"+CGATT: {int(self._stat() in (1, 5))}"]
        if op == "test":
            return ["+CGATT: (0-1)"]
        _syntax(op == "set")
        _int(args[0], 0, 1)
        return []
