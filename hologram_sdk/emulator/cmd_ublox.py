"""u-blox sockets bridged to loopback TCP (+USO*), +UDCONF, +UPSD* and +UUSBCONF."""

from __future__ import annotations

import selectors
import socket
from typing import Optional

from hologram_sdk.emulator.atargs import _Fail, _int, _Prompt, _syntax
from hologram_sdk.emulator.records import _USocket
from hologram_sdk.emulator.state import EmulatorState

_LOOPBACK = ("127.0.0.1", "::1")
_MAX_SOCKETS = 7


class UbloxCommands(EmulatorState):
    """The u-blox socket bridge, its binary write entry and the u-blox command handlers."""

    # --- binary socket writes -------------------------------------------------------

    def _binary_byte(self, byte: int) -> None:
        self._entry.append(byte)
        if len(self._entry) < self._entry_ctx["length"]:
            return
        self._mode = "command"
        data = bytes(self._entry)
        self._entry.clear()
        sid = self._entry_ctx["sid"]
        try:
            self._socket_send(sid, data)
            out = self._info_bytes([f"+USOWR: {sid},{len(data)}"]) + self._final_bytes("OK")
        except _Fail as failure:
            out = self._final_bytes(self._error_text(failure))
        self._send(out, delay=self.faults.delay)
        self._flush_urcs()

    # --- u-blox socket bridge -----------------------------------------------------

    def _usock(self, value: str) -> _USocket:
        sid = _int(value, 0, _MAX_SOCKETS - 1)
        usock = self._socks.get(sid)
        if usock is None:
            self._usoer = 9  # EBADF
            raise _Fail("cme", 3)
        return usock

    def _sock_error(self, usock: Optional[_USocket], code: int) -> _Fail:
        self._usoer = code
        if usock is not None:
            usock.last_error = code
        return _Fail("cme", 3)

    def _socket_send(self, sid: int, data: bytes) -> None:
        usock = self._socks.get(sid)
        if usock is None:
            raise self._sock_error(None, 9)
        if usock.sock is None or usock.listening or usock.remote_closed:
            raise self._sock_error(usock, 107)  # ENOTCONN
        try:
            usock.sock.settimeout(5.0)
            usock.sock.sendall(data)
        except OSError as exc:
            raise self._sock_error(usock, exc.errno or 32) from None
        finally:
            usock.sock.setblocking(False)
        usock.sent += len(data)

    def _register(self, usock: _USocket, kind: str) -> None:
        assert usock.sock is not None
        self._sel.register(usock.sock, selectors.EVENT_READ, (kind, usock.sid))

    def _unregister(self, usock: _USocket) -> None:
        if usock.sock is not None:
            try:
                self._sel.unregister(usock.sock)
            except (KeyError, ValueError):
                pass

    def _close_usock(self, usock: _USocket) -> None:
        self._unregister(usock)
        if usock.sock is not None:
            usock.sock.close()
            usock.sock = None

    def _close_sockets(self) -> None:
        for usock in list(self._socks.values()):
            self._close_usock(usock)
        self._socks.clear()

    def _free_sid(self) -> Optional[int]:
        for sid in range(_MAX_SOCKETS):
            if sid not in self._socks:
                return sid
        return None

    def _accept(self, lsid: int) -> None:
        listener = self._socks.get(lsid)
        if listener is None or listener.sock is None:
            return
        try:
            conn, addr = listener.sock.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return
        sid = self._free_sid()
        if sid is None:
            conn.close()
            return
        conn.setblocking(False)
        usock = _USocket(sid, 6, conn, peer=(str(addr[0]), int(addr[1])))
        usock.local_port = listener.local_port
        self._socks[sid] = usock
        self._register(usock, "sock")
        local = str(conn.getsockname()[0])
        self._urc(
            f'+UUSOLI: {sid},"{addr[0]}",{addr[1]},{lsid},"{local}",{listener.local_port}'
        )

    def _socket_readable(self, sid: int) -> None:
        usock = self._socks.get(sid)
        if usock is None or usock.sock is None:
            return
        try:
            data = usock.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            usock.remote_closed = True
            self._unregister(usock)
            if not usock.rx and not usock.close_reported:
                usock.close_reported = True
                self._urc(f"+UUSOCL: {sid}")
            return
        was_empty = not usock.rx
        usock.rx += data
        usock.received += len(data)
        if was_empty:
            self._urc(f"+UUSORD: {sid},{len(usock.rx)}")

    def _resolve(self, host: str) -> str:
        ip = self.hosts.get(host.lower(), host)
        if ip in _LOOPBACK:
            return ip
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)
        except OSError:
            raise self._sock_error(None, 163) from None  # DNS: name not found
        raise self._sock_error(None, 113)  # EHOSTUNREACH: only loopback is bridged

    # u-blox ---------------------------------------------------------------------

    def _h_usocr(self, op: str, args: list[str]) -> list[str]:
        if op == "test":
            return ["+USOCR: (6,17),(1-65535)"]
        _syntax(op == "set")
        proto = _int(args[0], 0, 255)
        _syntax(proto in (6, 17))
        if proto == 17:
            raise self._sock_error(None, 93)  # UDP is not bridged: EPROTONOSUPPORT
        port = _int(args[1], 0, 65535) if len(args) > 1 and args[1] else 0
        sid = self._free_sid()
        if sid is None:
            raise self._sock_error(None, 12)  # ENOMEM: all sockets in use
        self._socks[sid] = _USocket(sid, proto, local_port=port)
        return [f"+USOCR: {sid}"]

    def _h_usoco(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set" and len(args) >= 3)
        usock = self._usock(args[0])
        port = _int(args[2], 1, 65535)
        if usock.sock is not None:
            raise self._sock_error(usock, 106)  # EISCONN
        if self._stat() not in (1, 5):
            raise self._sock_error(usock, 100)  # ENETDOWN
        ip = self._resolve(args[1])
        try:
            conn = socket.create_connection((ip, port), timeout=5.0)
        except OSError as exc:
            raise self._sock_error(usock, exc.errno or 111) from None
        conn.setblocking(False)
        usock.sock = conn
        usock.peer = (ip, port)
        self._register(usock, "sock")
        if len(args) > 3 and args[3] == "1":
            self._after.append(f"+UUSOCO: {usock.sid},0")
        return []

    def _h_usowr(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set" and len(args) >= 2)
        usock = self._usock(args[0])
        hex_mode = bool(self._udconf_hex)
        length = _int(args[1], 0, 512 if hex_mode else 1024)
        if usock.sock is None or usock.listening:
            raise self._sock_error(usock, 107)
        if len(args) == 2:
            _syntax(length > 0)
            self._mode = "binary"
            self._entry.clear()
            self._entry_ctx = {"sid": usock.sid, "length": length}
            raise _Prompt(b"\r\n@")
        if hex_mode:
            try:
                data = bytes.fromhex(args[2])
            except ValueError:
                raise _Fail("cme", 50) from None
        else:
            data = args[2].encode("latin-1", errors="replace")
        if len(data) != length:
            raise _Fail("cme", 50)
        self._socket_send(usock.sid, data)
        return [f"+USOWR: {usock.sid},{length}"]

    def _h_usord(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set" and len(args) == 2)
        usock = self._usock(args[0])
        hex_mode = bool(self._udconf_hex)
        wanted = _int(args[1], 0, 512 if hex_mode else 1024)
        if wanted == 0:
            return [f"+USORD: {usock.sid},{len(usock.rx)}"]
        data = bytes(usock.rx[:wanted])
        del usock.rx[: len(data)]
        shown = data.hex().upper() if hex_mode else data.decode("latin-1")
        if usock.rx:
            self._after.append(f"+UUSORD: {usock.sid},{len(usock.rx)}")
        elif usock.remote_closed and not usock.close_reported:
            usock.close_reported = True
            self._after.append(f"+UUSOCL: {usock.sid}")
        return [f'+USORD: {usock.sid},{len(data)},"{shown}"']

    def _h_usocl(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set")
        usock = self._usock(args[0])
        self._close_usock(usock)
        del self._socks[usock.sid]
        return []

    def _h_usoli(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set" and len(args) == 2)
        usock = self._usock(args[0])
        port = _int(args[1], 0, 65535)
        if usock.sock is not None:
            raise self._sock_error(usock, 106)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", port))
            listener.listen(5)
        except OSError as exc:
            listener.close()
            raise self._sock_error(usock, exc.errno or 98) from None
        listener.setblocking(False)
        usock.sock = listener
        usock.listening = True
        usock.local_port = int(listener.getsockname()[1])
        self._register(usock, "listen")
        return []

    def _h_usoer(self, op: str, args: list[str]) -> list[str]:
        return [f"+USOER: {self._usoer}"]

    def _h_usoctl(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set" and len(args) == 2)
        usock = self._usock(args[0])
        param = _int(args[1], 0, 10)
        sid = usock.sid
        if param == 0:
            return [f"+USOCTL: {sid},0,{usock.proto}"]
        if param == 1:
            return [f"+USOCTL: {sid},1,{usock.last_error}"]
        if param == 2:
            return [f"+USOCTL: {sid},2,{usock.sent}"]
        if param == 3:
            return [f"+USOCTL: {sid},3,{usock.received}"]
        if param == 4:
            _syntax(usock.sock is not None and not usock.listening)
            return [f'+USOCTL: {sid},4,"{usock.peer[0]}",{usock.peer[1]}']
        if param == 10:
            state = 0
            if usock.listening:
                state = 1
            elif usock.sock is not None:
                state = 7 if usock.remote_closed else 4
            return [f"+USOCTL: {sid},10,{state}"]
        raise _Fail("cme", 4)

    def _h_udconf(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set")
        key = _int(args[0].rstrip("?"), 0, 100)
        if len(args) == 1:
            _syntax(key == 1)
            return [f"+UDCONF: 1,{self._udconf_hex}"]
        if key == 1:
            self._udconf_hex = _int(args[1], 0, 1)
        return []

    def _h_upsd(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set" and len(args) >= 2)
        _int(args[0], 0, 6)
        param = _int(args[1], 0, 100)
        if len(args) == 2:
            return [f'+UPSD: {args[0]},{param},"{self._psd.get(param, "")}"']
        self._psd[param] = args[2]
        return []

    def _h_upsda(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set" and len(args) == 2)
        _int(args[0], 0, 6)
        action = _int(args[1], 0, 6)
        if action == 3:
            if self._stat() not in (1, 5):
                raise _Fail("cme", 3)
            self._psd_active = True
        elif action == 4:
            self._psd_active = False
        return []

    def _h_upsnd(self, op: str, args: list[str]) -> list[str]:
        _syntax(op == "set" and len(args) == 2)
        _int(args[0], 0, 6)
        param = _int(args[1], 0, 8)
        if param == 8:
            return [f"+UPSND: {args[0]},8,{int(self._psd_active)}"]
        if param == 0:
            if not self._psd_active:
                raise _Fail("cme", 3)
            return [f'+UPSND: {args[0]},0,"10.170.12.34"']
        raise _Fail("cme", 4)

    def _h_uusbconf(self, op: str, args: list[str]) -> list[str]:
        if op == "read":
            return ['+UUSBCONF: 0,"",,"0x1102"']
        return []
