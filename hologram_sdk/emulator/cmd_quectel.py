"""Quectel (BG96, EC21, EC25): TCP/IP over +QI* bridged to loopback, +QCCID, GNSS (+QGPS*).

The socket commands follow Quectel's TCP/IP application notes: PDP context
+QICSGP/+QIACT/+QIDEACT; +QIOPEN answers OK, then ``+QIOPEN: <id>,<err>``;
data goes out with +QISEND (``>`` prompt) or +QISENDEX (hex) and ``SEND OK``;
in buffer access mode (0) arriving data is announced by ``+QIURC: "recv",<id>``
and read with +QIRD, in direct push mode (1) it comes in the URC itself
(``+QIURC: "recv",<id>,<len>`` and the data); ``+QIURC: "closed",<id>`` when
the peer closes; a "TCP LISTENER" announces ``+QIURC: "incoming",...``.
"""

from __future__ import annotations

from typing import Optional

from hologram_sdk.emulator.atcommand import (
    Command,
    CommandFailed,
    CommandTable,
    FinalResult,
    PromptForInput,
    cme,
    int_arg,
    require,
)
from hologram_sdk.emulator.cmd_network import PDP_ADDRESS, PacketData
from hologram_sdk.emulator.line import CTRL_Z, ESC, LineDiscipline
from hologram_sdk.emulator.location import Location
from hologram_sdk.emulator.radio import Radio
from hologram_sdk.emulator.sim import Sim
from hologram_sdk.emulator.sockets import BridgedSocket, SocketTable, Unreachable
from hologram_sdk.emulator.transport import Link

#: connectIDs 0-11
CAPACITY = 12
#: the TCP/IP error codes (+QIOPEN's <err>, +QIGETERROR)
ERRORS = {
    0: "operation successful",
    550: "unknown error",
    552: "invalid parameters",
    553: "memory not enough",
    554: "create socket failed",
    555: "operation not supported",
    556: "socket bind failed",
    557: "socket listen failed",
    558: "socket write failed",
    561: "open pdp context failed",
    563: "socket identity has been used",
    565: "dns parse failed",
    566: "socket connect failed",
    567: "socket has been closed",
}
_STATES = {"initial": 0, "connected": 2, "listening": 3, "closing": 4}
_SEND_MAX = 1460


class _SendEntry:
    """The data after +QISEND's prompt: ``length`` bytes, or up to Ctrl-Z (ESC cancels)."""

    def __init__(self, sockets: QuectelSockets, bsock: BridgedSocket, length: int) -> None:
        self._sockets = sockets
        self._bsock = bsock
        self._length = length
        self._data = bytearray()

    def take(self, byte: int, line: LineDiscipline) -> bool:
        if self._length == 0 and byte == ESC:
            line.answer([], "SEND FAIL")
            return True
        if self._length == 0 and byte == CTRL_Z:
            return self._done(line)
        self._data.append(byte)
        if line.echo:
            line.send(bytes([byte]))
        if self._length and len(self._data) >= self._length:
            return self._done(line)
        if len(self._data) > _SEND_MAX:
            line.answer_failure(CommandFailed("error"))
            return True
        return False

    def _done(self, line: LineDiscipline) -> bool:
        sent = self._sockets.send(self._bsock, bytes(self._data))
        line.answer([], "SEND OK" if sent else "SEND FAIL")
        return True


class QuectelSockets:
    """+QICSGP/+QIACT/+QIDEACT and +QIOPEN/+QISEND/+QISENDEX/+QIRD/+QICLOSE/+QISTATE."""

    def __init__(
        self,
        link: Link,
        line: LineDiscipline,
        radio: Radio,
        packet: PacketData,
        hosts: dict[str, str],
    ) -> None:
        self.line = line
        self.radio = radio
        self.packet = packet
        self.table = SocketTable(
            link,
            CAPACITY,
            hosts,
            on_data=self._data,
            on_closed=lambda bsock: line.urc(f'+QIURC: "closed",{bsock.sid}'),
            on_incoming=self._incoming,
            closed_after_read=False,
        )
        #: contextID -> (type, apn, username, password, authentication)
        self.profiles: dict[int, tuple[int, str, str, str, int]] = {}
        self.last_error = 0
        radio.listeners.append(self._network_changed)

    def _network_changed(self, before: int, before_rssi: int) -> None:
        """Deregistered with contexts up: the network tore them down (``"pdpdeact"``)."""
        if self.radio.registered:
            return
        for cid in sorted(self.packet.active):
            self.close_context(cid)
            self.line.urc(f'+QIURC: "pdpdeact",{cid}')

    def close_context(self, cid: int) -> None:
        """The context went down: its sockets close."""
        self.packet.active.discard(cid)
        for bsock in list(self.table.sockets.values()):
            if bsock.options.get("context") == cid:
                self.table.close(bsock)

    # --- events -------------------------------------------------------------------

    def _data(self, bsock: BridgedSocket, was_empty: bool) -> None:
        if bsock.options.get("mode") == 1:  # direct push: the data rides in the URC
            data = self.table.read(bsock, len(bsock.rx))
            self.line.urc(f'+QIURC: "recv",{bsock.sid},{len(data)}\r\n' + data.decode("latin-1"))
        elif was_empty:
            self.line.urc(f'+QIURC: "recv",{bsock.sid}')

    def _incoming(
        self, listener: BridgedSocket, bsock: Optional[BridgedSocket], peer: tuple[str, int]
    ) -> None:
        if bsock is None:
            self.line.urc('+QIURC: "incoming full"')
            return
        bsock.options["service"] = "TCP INCOMING"
        self.line.urc(f'+QIURC: "incoming",{bsock.sid},{listener.sid},"{peer[0]}",{peer[1]}')

    # --- helpers ------------------------------------------------------------------

    def _socket(self, value: str) -> BridgedSocket:
        bsock = self.table.sockets.get(int_arg(value, 0, CAPACITY - 1))
        if bsock is None:
            raise CommandFailed("error")
        return bsock

    def send(self, bsock: BridgedSocket, data: bytes) -> bool:
        """Send on a connected socket; False (SEND FAIL) when it is not."""
        if not bsock.connected or bsock.remote_closed:
            self.last_error = 567
            return False
        try:
            self.table.send(bsock, data)
        except OSError:
            self.last_error = 558
            return False
        return True

    def _open_result(self, sid: int, err: int) -> list[str]:
        self.last_error = err
        self.line.after_answer(f"+QIOPEN: {sid},{err}")
        return []

    # --- PDP context --------------------------------------------------------------

    def qicsgp(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ['+QICSGP: (1-16),(1-3),"APN","USERNAME","PASSWORD",(0-3)']
        require(op == "set")
        cid = int_arg(args[0], 1, 16)
        if len(args) == 1:
            kind, apn, user, password, auth = self.profiles.get(cid, (1, "", "", "", 0))
            return [f'+QICSGP: {kind},"{apn}","{user}","{password}",{auth}']
        require(len(args) in (3, 5, 6))
        kind = int_arg(args[1], 1, 3)
        user = args[3] if len(args) > 3 else ""
        password = args[4] if len(args) > 4 else ""
        auth = int_arg(args[5], 0, 3) if len(args) > 5 else 0
        self.profiles[cid] = (kind, args[2], user, password, auth)
        self.packet.contexts[cid] = ({1: "IP", 2: "IPV6", 3: "IPV4V6"}[kind], args[2])
        return []

    def qiact(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+QIACT: (1-16)"]
        if op == "read":
            return [
                f'+QIACT: {cid},1,{self.profiles.get(cid, (1,))[0]},"{PDP_ADDRESS}"'
                for cid in sorted(self.packet.active)
            ]
        require(op == "set")
        cid = int_arg(args[0], 1, 16)
        if not self.radio.registered or cid not in self.packet.contexts:
            raise CommandFailed("error")
        self.packet.active.add(cid)
        return []

    def qideact(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+QIDEACT: (1-16)"]
        require(op == "set")
        self.close_context(int_arg(args[0], 1, 16))
        return []

    # --- sockets ------------------------------------------------------------------

    def qiopen(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ['+QIOPEN: (1-16),(0-11),"TCP/UDP/TCP LISTENER/UDP SERVICE",'
                    '"<IP_address>/<domain_name>",<remote_port>,<local_port>,(0-2)']
        require(op == "set" and len(args) >= 5)
        cid = int_arg(args[0], 1, 16)
        sid = int_arg(args[1], 0, CAPACITY - 1)
        service = args[2].upper()
        require(service in ("TCP", "UDP", "TCP LISTENER", "UDP SERVICE"))
        remote_port = int_arg(args[4], 0, 65535)
        local_port = int_arg(args[5], 0, 65535) if len(args) > 5 and args[5] else 0
        mode = int_arg(args[6], 0, 2) if len(args) > 6 and args[6] else 0
        require(mode != 2)  # transparent access mode is not emulated
        if sid in self.table.sockets:
            return self._open_result(sid, 563)
        if cid not in self.packet.active:
            return self._open_result(sid, 561)
        if service in ("UDP", "UDP SERVICE"):
            return self._open_result(sid, 555)  # only TCP is bridged
        bsock = self.table.new(sid)
        bsock.options.update(context=cid, mode=mode, service=service)
        if service == "TCP LISTENER":
            try:
                self.table.listen(bsock, local_port)
            except OSError:
                self.table.close(bsock)
                return self._open_result(sid, 556)
            return self._open_result(sid, 0)
        require(remote_port > 0)
        try:
            ip = self.table.resolve(args[3])
            self.table.connect(bsock, ip, remote_port)
        except Unreachable as exc:
            self.table.close(bsock)
            return self._open_result(sid, 565 if exc.dns else 566)
        except OSError:
            self.table.close(bsock)
            return self._open_result(sid, 566)
        return self._open_result(sid, 0)

    def qisend(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return [f"+QISEND: (0-11),(0-{_SEND_MAX})"]
        require(op == "set")
        bsock = self._socket(args[0])
        if len(args) > 1 and args[1] == "0":
            return [f"+QISEND: {bsock.sent},{bsock.sent},0"]
        length = int_arg(args[1], 1, _SEND_MAX) if len(args) > 1 and args[1] else 0
        if not bsock.connected or bsock.remote_closed:
            raise CommandFailed("error")
        raise PromptForInput(b"\r\n> ", _SendEntry(self, bsock, length))

    def qisendex(self, op: str, args: list[str]) -> list[str]:
        require(op == "set" and len(args) == 2)
        bsock = self._socket(args[0])
        try:
            data = bytes.fromhex(args[1])
        except ValueError:
            raise CommandFailed("error") from None
        require(0 < len(data) <= 512)
        raise FinalResult("SEND OK" if self.send(bsock, data) else "SEND FAIL")

    def qird(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+QIRD: (0-11),(0-1500)"]
        require(op == "set")
        bsock = self._socket(args[0])
        require(bsock.options.get("mode") == 0 and not bsock.listening)
        wanted = int_arg(args[1], 0, 1500) if len(args) > 1 and args[1] else 1500
        if wanted == 0:
            unread = len(bsock.rx)
            return [f"+QIRD: {bsock.received},{bsock.received - unread},{unread}"]
        data = self.table.read(bsock, wanted)
        if not data:
            return ["+QIRD: 0"]
        return [f"+QIRD: {len(data)}", data.decode("latin-1")]

    def qiclose(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+QICLOSE: (0-11),(0-65535)"]
        require(op == "set")
        sid = int_arg(args[0], 0, CAPACITY - 1)
        if len(args) > 1 and args[1]:
            int_arg(args[1], 0, 65535)
        bsock = self.table.sockets.get(sid)
        if bsock is not None:
            self.table.close(bsock)
        return []

    def _state_line(self, bsock: BridgedSocket) -> str:
        service = str(bsock.options.get("service", "TCP"))
        if bsock.listening:
            state, ip, remote, local = _STATES["listening"], "127.0.0.1", 0, bsock.local_port
        else:
            state = _STATES["closing" if bsock.remote_closed else "connected"]
            ip, remote = bsock.peer
            local = bsock.sock.getsockname()[1] if bsock.sock is not None else 0
        server = bsock.server if bsock.server is not None else -1
        return (
            f'+QISTATE: {bsock.sid},"{service}","{ip}",{remote},{local},{state},'
            f'{bsock.options.get("context", 1)},{server},{bsock.options.get("mode", 0)},"usbmodem"'
        )

    def qistate(self, op: str, args: list[str]) -> list[str]:
        sockets = sorted(self.table.sockets.values(), key=lambda b: b.sid)
        if op in ("read", "exec"):
            return [self._state_line(b) for b in sockets]
        require(op == "set" and len(args) == 2)
        kind = int_arg(args[0], 0, 1)
        if kind == 1:
            bsock = self.table.sockets.get(int_arg(args[1], 0, CAPACITY - 1))
            return [] if bsock is None else [self._state_line(bsock)]
        cid = int_arg(args[1], 1, 16)
        return [self._state_line(b) for b in sockets if b.options.get("context") == cid]

    def qigeterror(self, op: str, args: list[str]) -> list[str]:
        return [f"+QIGETERROR: {self.last_error},{ERRORS.get(self.last_error, 'unknown error')}"]

    def commands(self) -> CommandTable:
        return {
            "+QICSGP": Command(self.qicsgp),
            "+QIACT": Command(self.qiact),
            "+QIDEACT": Command(self.qideact),
            "+QIOPEN": Command(self.qiopen),
            "+QISEND": Command(self.qisend),
            "+QISENDEX": Command(self.qisendex),
            "+QIRD": Command(self.qird),
            "+QICLOSE": Command(self.qiclose),
            "+QISTATE": Command(self.qistate),
            "+QIGETERROR": Command(self.qigeterror),
        }


class QuectelSim:
    """+QCCID: the ICCID, Quectel's way."""

    def __init__(self, sim: Sim) -> None:
        self.sim = sim

    def qccid(self, op: str, args: list[str]) -> list[str]:
        return [] if op == "test" else [f"+QCCID: {self.sim.iccid}"]

    def commands(self) -> CommandTable:
        return {"+QCCID": Command(self.qccid, sim="cme")}


def _degrees_minutes(value: float, width: int, decimals: int, hemispheres: str) -> str:
    """``ddmm.mmmm`` (or ``dddmm.mmmm``) and N/S or E/W, as +QGPSLOC modes 0 and 1 give them."""
    hemisphere = hemispheres[0] if value >= 0 else hemispheres[1]
    value = abs(value)
    degrees = int(value)
    minutes = (value - degrees) * 60
    return f"{degrees:0{width}d}{minutes:0{3 + decimals}.{decimals}f}{hemisphere}"


class QuectelGnss:
    """+QGPS (on), +QGPSLOC (a fix, or ``+CME ERROR: 516``), +QGPSEND (off)."""

    def __init__(self, location: Location) -> None:
        self.location = location
        self.on = False

    def qgps(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [f"+QGPS: {int(self.on)}"]
        if op == "test":
            return ["+QGPS: (1-3),(1-255),(1-1000),(0-1000),(1-65535)"]
        require(op == "set")
        int_arg(args[0], 1, 3)
        for value, hi in zip(args[1:], (255, 1000, 1000, 65535)):
            if value:
                int_arg(value, 0, hi)
        if self.on:
            raise cme(504)  # session is ongoing
        self.on = True
        return []

    def qgpsend(self, op: str, args: list[str]) -> list[str]:
        require(op == "exec")
        if not self.on:
            raise cme(505)  # session not active
        self.on = False
        return []

    def qgpsloc(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+QGPSLOC: (0-2)"]
        mode = int_arg(args[0], 0, 2) if op == "set" else 0
        if not self.on:
            raise cme(505)
        fix = self.location.fix
        if fix is None:
            raise cme(516)  # not fixed now
        if mode == 2:
            lat, lon = f"{fix.latitude:.5f}", f"{fix.longitude:.5f}"
        else:
            decimals = 4 if mode == 0 else 6
            lat = _degrees_minutes(fix.latitude, 2, decimals, "NS")
            lon = _degrees_minutes(fix.longitude, 3, decimals, "EW")
        when = fix.timestamp
        utc = f"{when:%H%M%S}.{when.microsecond // 1000:03d}"
        return [
            f"+QGPSLOC: {utc},{lat},{lon},{fix.hdop:.1f},{fix.altitude:.1f},3,"
            f"0.00,0.0,0.0,{when:%d%m%y},{fix.satellites:02d}"
        ]

    def commands(self) -> CommandTable:
        return {
            "+QGPS": Command(self.qgps),
            "+QGPSEND": Command(self.qgpsend),
            "+QGPSLOC": Command(self.qgpsloc),
        }
