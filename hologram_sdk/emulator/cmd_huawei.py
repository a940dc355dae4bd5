"""Huawei's own commands (^ICCID, ^CURC, ^SYSINFO, ^U2DIAG) and its ^MODE/^RSSI URCs."""

from __future__ import annotations

from hologram_sdk.emulator.atcommand import Command, CommandTable, int_arg, require
from hologram_sdk.emulator.line import LineDiscipline
from hologram_sdk.emulator.radio import Radio


class HuaweiCommands:
    """The Huawei family; with ^CURC=1 (the default) it reports mode and signal changes."""

    def __init__(self, radio: Radio, line: LineDiscipline) -> None:
        self.radio = radio
        self.line = line
        self.curc = True
        radio.listeners.append(self._urcs)

    def _urcs(self, before: int, before_rssi: int) -> None:
        if not self.curc:
            return
        after = self.radio.stat()
        if after != before and (after in (1, 5)) != (before in (1, 5)):
            self.line.urc("^MODE:5,4" if after in (1, 5) else "^MODE:0,0")
        rssi = self.radio.csq()[0]
        if rssi != before_rssi:
            self.line.urc(f"^RSSI:{rssi}")

    def iccid(self, op: str, args: list[str]) -> list[str]:
        require(op == "read")
        return [f"^ICCID: {self.radio.sim.iccid.ljust(20, 'F')}"]

    def curc_(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"^CURC: {int(self.curc)}"]
        require(op == "set")
        self.curc = bool(int_arg(args[0], 0, 1))
        return []

    def sysinfo(self, op: str, args: list[str]) -> list[str]:
        stat = self.radio.stat()
        registered = stat in (1, 5)
        sim = {"ready": 1, "absent": 255}.get(self.radio.sim.state, 0)
        return [
            f"^SYSINFO:{2 if registered else 0},{3 if registered else 0},"
            f"{1 if stat == 5 else 0},{5 if registered else 0},{sim},,{4 if registered else 0}"
        ]

    def u2diag(self, op: str, args: list[str]) -> list[str]:
        return []

    def commands(self) -> CommandTable:
        return {
            "^ICCID": Command(self.iccid, sim="cme"),
            "^CURC": Command(self.curc_),
            "^SYSINFO": Command(self.sysinfo),
            "^U2DIAG": Command(self.u2diag),
        }
