"""V.250 basics (E Q V X Z &F I S H O A D) and the identity commands (+CGMI, +CCID...)."""

from __future__ import annotations

import re

from hologram_sdk.emulator.atargs import _Fail, _Final, _int, _syntax
from hologram_sdk.emulator.profiles import DIAL_RESULTS
from hologram_sdk.emulator.state import EmulatorState


class BasicCommands(EmulatorState):
    """Handlers of the V.250 commands, identity queries and the on/off no-ops."""

    def _h_ok(self, op: str, args: list[str]) -> list[str]:
        return []

    def _flag(self, op: str, args: list[str], hi: int = 1) -> int:
        return _int(args[0] or "0", 0, hi)

    def _h_e(self, op: str, args: list[str]) -> list[str]:
        self._echo = bool(self._flag(op, args))
        return []

    def _h_q(self, op: str, args: list[str]) -> list[str]:
        self._quiet = bool(self._flag(op, args))
        return []

    def _h_v(self, op: str, args: list[str]) -> list[str]:
        self._verbose = bool(self._flag(op, args))
        return []

    def _h_x(self, op: str, args: list[str]) -> list[str]:
        self._x = self._flag(op, args, 4)
        return []

    def _h_z(self, op: str, args: list[str]) -> list[str]:
        self._flag(op, args, 1)
        self._reset_settings()
        self._creg_n = self._cgreg_n = self._cereg_n = 0
        return []

    def _h_amp_f(self, op: str, args: list[str]) -> list[str]:
        self._reset_settings()
        self._creg_n = self._cgreg_n = self._cereg_n = 0
        return []

    def _h_amp_any(self, op: str, args: list[str]) -> list[str]:
        _int(args[0] or "0", 0, 9)
        return []

    def _h_i(self, op: str, args: list[str]) -> list[str]:
        n = _int(args[0] or "0", 0, 9)
        if n == 9 and self.profile.ati9:
            return [self.profile.ati9]
        if n == 0:
            return [line.format(imei=self.imei) for line in self.profile.ati]
        return [self.profile.manufacturer]

    def _h_s(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            reg = _int(args[0], 0, 255)
            return [f"{self._sregs.get(reg, 0):03d}"]
        if op == "set":
            reg, value = _int(args[0], 0, 255), _int(args[1], 0, 255)
            self._sregs[reg] = value
        return []

    def _h_h(self, op: str, args: list[str]) -> list[str]:
        self._flag(op, args)
        self._call_up = False
        self._esc_deadline = None
        return []

    def _h_o(self, op: str, args: list[str]) -> list[str]:
        if not self._call_up:
            raise _Final("NO CARRIER")
        self._enter_data()
        raise _Final("CONNECT" if self._x == 0 else self.profile.connect)

    def _h_a(self, op: str, args: list[str]) -> list[str]:
        raise _Final("NO CARRIER")

    def _h_d(self, op: str, args: list[str]) -> list[str]:
        number = args[0].upper().replace(" ", "") if args else ""
        number = number.lstrip("TP")
        if not re.fullmatch(r"\*99(\*{1,3}\d*)?#", number):
            raise _Final("NO CARRIER")  # voice and CSD calls: a data stick has none
        self._need_sim("cme")
        result = self.faults.dial_result
        if result not in DIAL_RESULTS:
            raise _Fail("error")
        if result == "ERROR":
            raise _Fail("error")
        if result == "CONNECT" and self._stat() not in (1, 5):
            result = "NO CARRIER"
        if result == "CONNECT":
            self._enter_data()
            raise _Final("CONNECT" if self._x == 0 else self.profile.connect)
        if self._x == 0:
            result = "NO CARRIER"
        raise _Final(result)

    # identity ------------------------------------------------------------------

    def _h_cgmi(self, op: str, args: list[str]) -> list[str]:
        return [] if op == "test" else [self.profile.manufacturer]

    def _h_cgmm(self, op: str, args: list[str]) -> list[str]:
        return [] if op == "test" else [self.profile.model]

    def _h_cgmr(self, op: str, args: list[str]) -> list[str]:
        return [] if op == "test" else [self.profile.revision]

    def _h_cgsn(self, op: str, args: list[str]) -> list[str]:
        return [] if op == "test" else [self.imei]

    def _h_cimi(self, op: str, args: list[str]) -> list[str]:
        return [] if op == "test" else [self.imsi]

    def _h_ccid(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return []
        value = self.iccid
        if self.profile.ccid_pad and len(value) == 19:
            value += "F"
        return [f"+CCID: {value}"]

    def _h_iccid(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "read")
        return [f"^ICCID: {self.iccid.ljust(20, 'F')}"]

    def _h_gcap(self, op: str, args: list[str]) -> list[str]:
        return ["+GCAP: +CGSM,+DS,+ES"]

    def _h_onoff(self, op: str, args: list[str]) -> list[str]:
        if op == "set":
            _int(args[0], 0, 1)
        return []
