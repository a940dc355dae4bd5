"""u-blox SARA: sockets bridged to loopback (+USO*), +UDCONF, +UPSD* (U201), +ULOC, +UUSBCONF."""

from __future__ import annotations

import datetime as _dt
from typing import Optional

from hologram_sdk.emulator.atcommand import (
    Command,
    CommandFailed,
    CommandTable,
    PromptForInput,
    cme,
    int_arg,
    require,
)
from hologram_sdk.emulator.cmd_network import PDP_ADDRESS
from hologram_sdk.emulator.line import LineDiscipline
from hologram_sdk.emulator.location import Location
from hologram_sdk.emulator.radio import Radio
from hologram_sdk.emulator.sockets import BridgedSocket, SocketTable, Unreachable
from hologram_sdk.emulator.transport import Link

#: u-blox sockets are numbered 0-6
CAPACITY = 7


class _BinaryWrite:
    """The bytes after ``AT+USOWR=<id>,<length>``'s ``@`` prompt."""

    def __init__(self, sockets: UbloxSockets, bsock: BridgedSocket, length: int) -> None:
        self._sockets = sockets
        self._bsock = bsock
        self._length = length
        self._data = bytearray()

    def take(self, byte: int, line: LineDiscipline) -> bool:
        self._data.append(byte)
        if len(self._data) < self._length:
            return False
        sid = self._bsock.sid
        try:
            self._sockets.send(sid, bytes(self._data))
        except CommandFailed as failure:
            line.answer_failure(failure)
        else:
            line.answer([f"+USOWR: {sid},{self._length}"])
        return True


class UbloxSockets:
    """+USOCR/+USOCO/+USOWR/+USORD/+USOCL/+USOLI/+USOER/+USOCTL and +UDCONF=1 (hex mode)."""

    def __init__(
        self, link: Link, line: LineDiscipline, radio: Radio, hosts: dict[str, str]
    ) -> None:
        self.line = line
        self.radio = radio
        self.table = SocketTable(
            link,
            CAPACITY,
            hosts,
            on_data=self._data,
            on_closed=lambda bsock: line.urc(f"+UUSOCL: {bsock.sid}"),
            on_incoming=self._incoming,
        )
        self.last_error = 0
        self.hex_mode = 0

    # --- events -------------------------------------------------------------------

    def _data(self, bsock: BridgedSocket, was_empty: bool) -> None:
        if was_empty:
            self.line.urc(f"+UUSORD: {bsock.sid},{len(bsock.rx)}")

    def _incoming(
        self, listener: BridgedSocket, bsock: Optional[BridgedSocket], peer: tuple[str, int]
    ) -> None:
        if bsock is None or bsock.sock is None:
            return  # no free socket: refused without a word
        local = str(bsock.sock.getsockname()[0])
        self.line.urc(
            f'+UUSOLI: {bsock.sid},"{peer[0]}",{peer[1]},{listener.sid},"{local}",'
            f"{listener.local_port}"
        )

    # --- helpers ------------------------------------------------------------------

    def _socket(self, value: str) -> BridgedSocket:
        sid = int_arg(value, 0, CAPACITY - 1)
        bsock = self.table.sockets.get(sid)
        if bsock is None:
            self.last_error = 9  # EBADF
            raise cme(3)
        return bsock

    def _error(self, bsock: Optional[BridgedSocket], code: int) -> CommandFailed:
        self.last_error = code
        if bsock is not None:
            bsock.last_error = code
        return cme(3)

    def send(self, sid: int, data: bytes) -> None:
        bsock = self.table.sockets.get(sid)
        if bsock is None:
            raise self._error(None, 9)
        if not bsock.connected or bsock.remote_closed:
            raise self._error(bsock, 107)  # ENOTCONN
        try:
            self.table.send(bsock, data)
        except OSError as exc:
            raise self._error(bsock, exc.errno or 32) from None

    # --- handlers -----------------------------------------------------------------

    def usocr(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+USOCR: (6,17),(1-65535)"]
        require(op == "set")
        proto = int_arg(args[0], 0, 255)
        require(proto in (6, 17))
        if proto == 17:
            raise self._error(None, 93)  # UDP is not bridged: EPROTONOSUPPORT
        port = int_arg(args[1], 0, 65535) if len(args) > 1 and args[1] else 0
        sid = self.table.free_id()
        if sid is None:
            raise self._error(None, 12)  # ENOMEM: all sockets in use
        self.table.new(sid, proto, port)
        return [f"+USOCR: {sid}"]

    def usoco(self, op: str, args: list[str]) -> list[str]:
        require(op == "set" and len(args) >= 3)
        bsock = self._socket(args[0])
        port = int_arg(args[2], 1, 65535)
        if bsock.sock is not None:
            raise self._error(bsock, 106)  # EISCONN
        if not self.radio.registered:
            raise self._error(bsock, 100)  # ENETDOWN
        try:
            ip = self.table.resolve(args[1])
        except Unreachable as exc:
            raise self._error(None, 163 if exc.dns else 113) from None  # DNS / EHOSTUNREACH
        try:
            self.table.connect(bsock, ip, port)
        except OSError as exc:
            raise self._error(bsock, exc.errno or 111) from None
        if len(args) > 3 and args[3] == "1":
            self.line.after_answer(f"+UUSOCO: {bsock.sid},0")
        return []

    def usowr(self, op: str, args: list[str]) -> list[str]:
        require(op == "set" and len(args) >= 2)
        bsock = self._socket(args[0])
        length = int_arg(args[1], 0, 512 if self.hex_mode else 1024)
        if not bsock.connected:
            raise self._error(bsock, 107)
        if len(args) == 2:
            require(length > 0)
            raise PromptForInput(b"\r\n@", _BinaryWrite(self, bsock, length))
        if self.hex_mode:
            try:
                data = bytes.fromhex(args[2])
            except ValueError:
                raise cme(50) from None
        else:
            data = args[2].encode("latin-1", errors="replace")
        if len(data) != length:
            raise cme(50)
        self.send(bsock.sid, data)
        return [f"+USOWR: {bsock.sid},{length}"]

    def usord(self, op: str, args: list[str]) -> list[str]:
        require(op == "set" and len(args) == 2)
        bsock = self._socket(args[0])
        wanted = int_arg(args[1], 0, 512 if self.hex_mode else 1024)
        if wanted == 0:
            return [f"+USORD: {bsock.sid},{len(bsock.rx)}"]
        data = self.table.read(bsock, wanted)
        shown = data.hex().upper() if self.hex_mode else data.decode("latin-1")
        if bsock.rx:
            self.line.after_answer(f"+UUSORD: {bsock.sid},{len(bsock.rx)}")
        else:
            self.table.report_closed(bsock)
        return [f'+USORD: {bsock.sid},{len(data)},"{shown}"']

    def usocl(self, op: str, args: list[str]) -> list[str]:
        require(op == "set")
        self.table.close(self._socket(args[0]))
        return []

    def usoli(self, op: str, args: list[str]) -> list[str]:
        require(op == "set" and len(args) == 2)
        bsock = self._socket(args[0])
        port = int_arg(args[1], 0, 65535)
        if bsock.sock is not None:
            raise self._error(bsock, 106)
        try:
            self.table.listen(bsock, port)
        except OSError as exc:
            raise self._error(bsock, exc.errno or 98) from None
        return []

    def usoer(self, op: str, args: list[str]) -> list[str]:
        return [f"+USOER: {self.last_error}"]

    def usoctl(self, op: str, args: list[str]) -> list[str]:
        require(op == "set" and len(args) == 2)
        bsock = self._socket(args[0])
        param = int_arg(args[1], 0, 10)
        sid = bsock.sid
        if param == 0:
            return [f"+USOCTL: {sid},0,{bsock.proto}"]
        if param == 1:
            return [f"+USOCTL: {sid},1,{bsock.last_error}"]
        if param == 2:
            return [f"+USOCTL: {sid},2,{bsock.sent}"]
        if param == 3:
            return [f"+USOCTL: {sid},3,{bsock.received}"]
        if param == 4:
            require(bsock.connected)
            return [f'+USOCTL: {sid},4,"{bsock.peer[0]}",{bsock.peer[1]}']
        if param == 10:
            state = 0
            if bsock.listening:
                state = 1
            elif bsock.sock is not None:
                state = 7 if bsock.remote_closed else 4
            return [f"+USOCTL: {sid},10,{state}"]
        raise cme(4)

    def udconf(self, op: str, args: list[str]) -> list[str]:
        require(op == "set")
        key = int_arg(args[0].rstrip("?"), 0, 100)
        if len(args) == 1:
            require(key == 1)
            return [f"+UDCONF: 1,{self.hex_mode}"]
        if key == 1:
            self.hex_mode = int_arg(args[1], 0, 1)
        return []

    def commands(self) -> CommandTable:
        return {
            "+USOCR": Command(self.usocr),
            "+USOCO": Command(self.usoco),
            "+USOWR": Command(self.usowr),
            "+USORD": Command(self.usord),
            "+USOCL": Command(self.usocl),
            "+USOLI": Command(self.usoli),
            "+USOER": Command(self.usoer),
            "+USOCTL": Command(self.usoctl),
            "+UDCONF": Command(self.udconf),
        }


class UbloxPsd:
    """The SARA-U2 packet-switched data profile: +UPSD, +UPSDA, +UPSND (not on SARA-R4)."""

    def __init__(self, radio: Radio, line: LineDiscipline) -> None:
        self.radio = radio
        self.line = line
        self.params: dict[int, str] = {}
        self.active = False
        radio.listeners.append(self._network_changed)

    def _network_changed(self, before: int, before_rssi: int) -> None:
        """Deregistered with the profile up: the network deactivated it (``+UUPSDD``)."""
        if self.active and not self.radio.registered:
            self.active = False
            self.line.urc("+UUPSDD: 0")

    def upsd(self, op: str, args: list[str]) -> list[str]:
        require(op == "set" and len(args) >= 2)
        int_arg(args[0], 0, 6)
        param = int_arg(args[1], 0, 100)
        if len(args) == 2:
            return [f'+UPSD: {args[0]},{param},"{self.params.get(param, "")}"']
        self.params[param] = args[2]
        return []

    def upsda(self, op: str, args: list[str]) -> list[str]:
        require(op == "set" and len(args) == 2)
        int_arg(args[0], 0, 6)
        action = int_arg(args[1], 0, 6)
        if action == 3:
            if not self.radio.registered:
                raise cme(3)
            self.active = True
        elif action == 4:
            self.active = False
        return []

    def upsnd(self, op: str, args: list[str]) -> list[str]:
        require(op == "set" and len(args) == 2)
        int_arg(args[0], 0, 6)
        param = int_arg(args[1], 0, 8)
        if param == 8:
            return [f"+UPSND: {args[0]},8,{int(self.active)}"]
        if param == 0:
            if not self.active:
                raise cme(3)
            return [f'+UPSND: {args[0]},0,"{PDP_ADDRESS}"']
        raise cme(4)

    def commands(self) -> CommandTable:
        return {
            "+UPSD": Command(self.upsd),
            "+UPSDA": Command(self.upsda),
            "+UPSND": Command(self.upsnd),
        }


class UbloxLocation:
    """CellLocate/GNSS positioning: ``AT+ULOC=2,<sensor>,<response_type>,<timeout>,<accuracy>``.

    Answers OK at once, then the URC ``+UULOC: <date>,<time>,<lat>,<long>,<alt>,
    <uncertainty>`` (response type 0; type 1 adds speed, direction, vertical
    accuracy, sensor used, satellites, antenna and jamming status). With no fix
    (``set(location="none")``) the URC comes when <timeout> runs out, with
    latitude and longitude 0 -- the SARA manual's "no position available".
    """

    def __init__(self, location: Location, radio: Radio, line: LineDiscipline) -> None:
        self.location = location
        self.radio = radio
        self.line = line

    def uloc(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+ULOC: (0-2),(0-15),(0-2),(1-999),(1-999999),(1-16)"]
        require(op == "set" and len(args) >= 2)
        mode = int_arg(args[0], 0, 2)
        int_arg(args[1], 0, 15)
        detailed = int_arg(args[2], 0, 1) if len(args) > 2 and args[2] else 0
        timeout = int_arg(args[3], 1, 999) if len(args) > 3 and args[3] else 10
        if len(args) > 4 and args[4]:
            int_arg(args[4], 1, 999999)
        if mode == 0:
            return []  # stop a running request
        fix = self.location.fix
        if fix is not None and self.radio.cfun == 1:
            when = fix.timestamp
            urc = (
                f"+UULOC: {when:%d/%m/%Y},{when:%H:%M:%S}.{when.microsecond // 1000:03d},"
                f"{fix.latitude:.7f},{fix.longitude:.7f},{fix.altitude:.0f},{fix.uncertainty:.0f}"
            )
            if detailed:
                urc += ",0,0,0,2,0,0,0"  # sensor used: CellLocate
            self.line.after_answer(urc)
            return []
        now = _dt.datetime.now(_dt.timezone.utc)
        urc = f"+UULOC: {now:%d/%m/%Y},{now:%H:%M:%S}.000,0.0000000,0.0000000,0,0"
        if detailed:
            urc += ",0,0,0,0,0,0,0"
        self.line.urc_later(timeout, urc)
        return []

    def commands(self) -> CommandTable:
        return {"+ULOC": Command(self.uloc)}


class UbloxUsb:
    """+UUSBCONF: the USB profile (read only here)."""

    def __init__(self, answer: str) -> None:
        self._answer = answer

    def uusbconf(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return [self._answer]
        return []

    def commands(self) -> CommandTable:
        return {"+UUSBCONF": Command(self.uusbconf)}
