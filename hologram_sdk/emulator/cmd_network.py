"""The radio's commands: +CFUN, +CSQ, +CREG/+CGREG/+CEREG, +COPS, and packet data (+CGDCONT...)."""

from __future__ import annotations

from typing import Callable

from hologram_sdk.emulator.atcommand import (
    Command,
    CommandFailed,
    CommandTable,
    cme,
    int_arg,
    require,
)
from hologram_sdk.emulator.line import LineDiscipline
from hologram_sdk.emulator.profiles import Profile
from hologram_sdk.emulator.radio import Radio

_REGISTRATION = ("+CREG", "+CGREG", "+CEREG")
#: the address an active PDP context gets
PDP_ADDRESS = "10.170.12.34"


class PacketData:
    """The PDP contexts (+CGDCONT) and which of them are active."""

    def __init__(self) -> None:
        self.contexts: dict[int, tuple[str, str]] = {1: ("IP", "hologram")}
        self.active: set[int] = set()

    def activate(self, cid: int, radio: Radio) -> None:
        """Bring context ``cid`` up (it must be defined; the modem registered)."""
        if cid not in self.contexts or not radio.registered:
            raise cme(3)
        self.active.add(cid)

    def reset(self) -> None:
        self.active.clear()


class NetworkCommands:
    """Functionality, signal, registration, operator and the 27.007 packet commands.

    :param reboot: what a rebooting +CFUN does besides the radio (settings, sockets)
    """

    def __init__(
        self,
        radio: Radio,
        line: LineDiscipline,
        packet: PacketData,
        profile: Profile,
        reboot: Callable[[], None],
    ) -> None:
        self.radio = radio
        self.line = line
        self.packet = packet
        self.profile = profile
        self._reboot = reboot
        self.reg_n = dict.fromkeys(_REGISTRATION, 0)
        self.cops_format = 0
        self.cops_mode = 0
        radio.listeners.append(self._registration_urcs)

    def reset_settings(self) -> None:
        """What ATZ restores here: no registration URCs."""
        self.reg_n = dict.fromkeys(_REGISTRATION, 0)

    def _registration_urcs(self, before: int, before_rssi: int) -> None:
        after = self.radio.stat()
        if after == before:
            return
        for prefix in _REGISTRATION:
            n = self.reg_n[prefix]
            if n and self.radio.reports(prefix) and self._knows(prefix):
                self.line.urc(f"{prefix}: " + self._reg_fields(after, n == 2))

    def _knows(self, prefix: str) -> bool:
        # a 3G modem does not know the EPS domain
        return prefix != "+CEREG" or self.profile.eps or self.radio.rat != "utran"

    def _reg_fields(self, stat: int, location: bool) -> str:
        if location and stat in (1, 5):
            return f'{stat},"00C3","0000A1B2",{self.radio.act}'
        return str(stat)

    # --- handlers ---------------------------------------------------------------

    def cfun(self, op: str, args: list[str]) -> list[str]:
        radio = self.radio
        if op == "read":
            return [f"+CFUN: {radio.cfun}"]
        if op == "test":
            funs = ",".join(map(str, self.profile.cfun))
            return [f"+CFUN: ({funs}),(0-1)"]
        require(op == "set")
        value = int_arg(args[0], 0, 127)
        require(value in self.profile.cfun)
        rst = int_arg(args[1], 0, 1) if len(args) > 1 and args[1] else 0
        require(rst == 0 or self.profile.cfun_rst)
        reboot = value in self.profile.cfun_reset or rst == 1
        if reboot:
            value = 1

        def change() -> None:
            if reboot:
                self._reboot()
            radio.cfun = value

        radio.changing(change)
        if reboot and self.profile.cfun_rst:
            self.line.after_answer("RDY")  # a Quectel module says so once it is back
        return []

    def csq(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+CSQ: (0-31,99),(0-7,99)"]
        require(op == "exec")
        rssi, ber = self.radio.csq()
        return [f"+CSQ: {rssi},{ber}"]

    def _registration(self, prefix: str, op: str, args: list[str]) -> list[str]:
        if not self._knows(prefix):
            raise CommandFailed("error")
        if op == "test":
            return [f"{prefix}: (0-2)"]
        if op == "read":
            n = self.reg_n[prefix]
            stat = self.radio.stat() if self.radio.reports(prefix) else 0
            return [f"{prefix}: {n}," + self._reg_fields(stat, n == 2)]
        require(op == "set")
        self.reg_n[prefix] = int_arg(args[0] or "0", 0, 2)
        return []

    def creg(self, op: str, args: list[str]) -> list[str]:
        return self._registration("+CREG", op, args)

    def cgreg(self, op: str, args: list[str]) -> list[str]:
        return self._registration("+CGREG", op, args)

    def cereg(self, op: str, args: list[str]) -> list[str]:
        return self._registration("+CEREG", op, args)

    def cops(self, op: str, args: list[str]) -> list[str]:
        radio = self.radio
        if op == "test":
            return [
                f'+COPS: (2,"{radio.operator}","{radio.operator[:8]}",'
                f'"{radio.operator_numeric}",{radio.act}),,(0-4),(0-2)'
            ]
        if op == "read":
            radio.sim.require("cme")
            if not radio.registered:
                return [f"+COPS: {self.cops_mode}"]
            name = {
                0: radio.operator,
                1: radio.operator[:8],
                2: radio.operator_numeric,
            }[self.cops_format]
            return [f'+COPS: {self.cops_mode},{self.cops_format},"{name}",{radio.act}']
        require(op == "set")
        mode = int_arg(args[0] or "0", 0, 4)
        if mode == 3:
            require(len(args) >= 2)
            self.cops_format = int_arg(args[1], 0, 2)
            return []
        radio.sim.require("cme")
        if len(args) >= 2 and args[1]:
            int_arg(args[1], 0, 2)
        self.cops_mode = mode
        return []

    def cgdcont(self, op: str, args: list[str]) -> list[str]:
        contexts = self.packet.contexts
        if op == "test":
            return ['+CGDCONT: (1-16),"IP",,,(0-2),(0-4)']
        if op == "read":
            return [
                f'+CGDCONT: {cid},"{kind}","{apn}","0.0.0.0",0,0'
                for cid, (kind, apn) in sorted(contexts.items())
            ]
        require(op == "set")
        cid = int_arg(args[0], 1, 16)
        if len(args) == 1:
            contexts.pop(cid, None)
            self.packet.active.discard(cid)
            return []
        kind = args[1].upper()
        require(kind in ("IP", "IPV6", "IPV4V6", "PPP"))
        contexts[cid] = (kind, args[2] if len(args) > 2 else "")
        return []

    def cgatt(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"+CGATT: {int(self.radio.registered)}"]
        if op == "test":
            return ["+CGATT: (0-1)"]
        require(op == "set")
        int_arg(args[0], 0, 1)
        return []

    def commands(self) -> CommandTable:
        return {
            "+CFUN": Command(self.cfun),
            "+CSQ": Command(self.csq),
            "+CREG": Command(self.creg),
            "+CGREG": Command(self.cgreg),
            "+CEREG": Command(self.cereg),
            "+COPS": Command(self.cops),
            "+CGDCONT": Command(self.cgdcont),
            "+CGATT": Command(self.cgatt),
        }


class PdpCommands:
    """+CGACT and +CGPADDR: a PDP context brought up by 27.007 commands (SARA-R4, Quectel)."""

    def __init__(self, radio: Radio, packet: PacketData) -> None:
        self.radio = radio
        self.packet = packet

    def cgact(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+CGACT: (0,1)"]
        if op == "read":
            return [
                f"+CGACT: {cid},{int(cid in self.packet.active)}"
                for cid in sorted(self.packet.contexts)
            ]
        require(op == "set")
        state = int_arg(args[0], 0, 1)
        cids = [int_arg(a, 1, 16) for a in args[1:] if a] or sorted(self.packet.contexts)
        for cid in cids:
            if state:
                self.packet.activate(cid, self.radio)
            else:
                self.packet.active.discard(cid)
        return []

    def cgpaddr(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+CGPADDR: (" + ",".join(map(str, sorted(self.packet.contexts))) + ")"]
        cids = [int_arg(a, 1, 16) for a in args if a] if op == "set" else sorted(
            self.packet.contexts
        )
        return [
            f'+CGPADDR: {cid},"{PDP_ADDRESS if cid in self.packet.active else "0.0.0.0"}"'
            for cid in cids
        ]

    def commands(self) -> CommandTable:
        return {
            "+CGACT": Command(self.cgact),
            "+CGPADDR": Command(self.cgpaddr),
        }
