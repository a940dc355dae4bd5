"""u-blox AT sockets (+USOCR/+USOCO/+USOWR/+USORD/+USOCL/+USOLI) for "serial mode"."""

from __future__ import annotations

from typing import Optional, Union

from hologram_sdk.base.digits import is_digits
from hologram_sdk.base.errors import ConfigurationError, ModemError, ModemTimeoutError
from hologram_sdk.modem.at import ATChannel
from hologram_sdk.modem.at_codec import URC
from hologram_sdk.modem.sockettable import SocketTable, TableSocket, check_port

TCP = 6
UDP = 17
#: bytes per +USOWR in hex mode (a 256-byte hex write fails on the U201)
WRITE_CHUNK = 255
#: bytes per +USORD
READ_CHUNK = 512
#: +UUSORD length the U201 uses for "closed by the peer" (-1 as unsigned 32-bit)
CLOSED_LENGTH = 4294967295


def _fields(args: str) -> list[str]:
    return [f.strip().strip('"') for f in args.split(",")]


class USocketStack(SocketTable):
    """The modem's socket table: owns the URC bookkeeping for all its sockets.

    :param channel: an open-able :class:`ATChannel` to a u-blox modem
    :param hex_mode: exchange payloads as hex (``AT+UDCONF=1,1``), as the SDK does
    """

    def __init__(self, channel: ATChannel, *, hex_mode: bool = True) -> None:
        self.hex_mode = hex_mode
        self._available: dict[int, int] = {}
        self._announcements: dict[int, int] = {}  # +UUSORD URCs seen, per socket
        self._hex_set = False
        super().__init__(channel)

    def _on_urc(self, urc: URC) -> None:
        fields = _fields(urc.args)
        with self._cond:
            if urc.name in ("+UUSORD", "+UUSORF") and len(fields) >= 2:
                if is_digits(fields[0]) and is_digits(fields[1]):
                    sock, count = int(fields[0]), int(fields[1])
                    if count == CLOSED_LENGTH:
                        self._closed_by_peer.add(sock)
                    else:
                        self._available[sock] = count
                        # counted, not compared by value: a new +UUSORD may
                        # announce the same count as the one a read started with
                        self._announcements[sock] = self._announcements.get(sock, 0) + 1
            elif urc.name == "+UUSOCL" and fields and is_digits(fields[0]):
                self._closed_by_peer.add(int(fields[0]))
            elif urc.name == "+UUSOLI" and len(fields) >= 4:
                try:
                    new, ip, port, listener = (
                        int(fields[0]),
                        fields[1],
                        int(fields[2]),
                        int(fields[3]),
                    )
                except ValueError:
                    return
                self._record_accept(listener, new, ip, port)
            else:
                return
            self._cond.notify_all()

    def _has_data(self, sock: int) -> bool:
        return self._available.get(sock, 0) > 0

    def _forget(self, sock: int) -> None:
        super()._forget(sock)
        self._available.pop(sock, None)
        self._announcements.pop(sock, None)

    def _ensure_hex(self) -> None:
        if self.hex_mode and not self._hex_set:
            self.channel.command("AT+UDCONF=1,1")
            self._hex_set = True

    def create(self, protocol: int = TCP) -> ModemSocket:
        """``AT+USOCR``: a new socket.

        :param protocol: :data:`TCP` (6) or :data:`UDP` (17)
        """
        if protocol not in (TCP, UDP):
            raise ConfigurationError(f"protocol must be 6 (TCP) or 17 (UDP), not {protocol}")
        lines = self.channel.command(f"AT+USOCR={protocol}")
        for line in lines:
            if line.startswith("+USOCR:"):
                sock = _fields(line.partition(":")[2])[0]
                if is_digits(sock):
                    # the modem reuses ids: nothing cached for an earlier socket applies
                    self._release(int(sock))
                    return ModemSocket(self, int(sock))
        raise ModemError(f"AT+USOCR={protocol} gave no socket id: {lines!r}")


class ModemSocket(TableSocket):
    """One u-blox AT socket; blocking calls with float-second timeouts.

    Create with :meth:`USocketStack.create`.
    """

    CLOSE_COMMAND = "AT+USOCL"
    ACCEPT_URC = "+UUSOLI"
    stack: USocketStack

    @property
    def peer_closed(self) -> bool:
        """Whether the remote side closed (``+UUSOCL``) and nothing is left to read."""
        with self.stack._cond:
            return self.id in self.stack._closed_by_peer and not self.stack._available.get(
                self.id, 0
            )

    def connect(self, host: str, port: int, timeout: float = 20.0) -> None:
        """``AT+USOCO``: connect to ``host:port`` (blocks up to ``timeout``)."""
        self._check()
        check_port(port)
        if '"' in host:
            raise ConfigurationError(f"bad host name {host!r}")
        self.stack.channel.command(f'AT+USOCO={self.id},"{host}",{int(port)}', timeout=timeout)
        self.peer = (host, int(port))

    def send(self, data: Union[bytes, bytearray], timeout: float = 10.0) -> int:
        """``AT+USOWR`` in chunks; returns the number of bytes the modem took."""
        self._check()
        self.stack._ensure_hex()
        sent = 0
        view = bytes(data)
        while sent < len(view):
            if self.peer_closed:
                raise ModemError(
                    f"socket {self.id} was closed by the peer (+UUSOCL) "
                    f"after {sent} of {len(view)} bytes"
                )
            chunk = view[sent : sent + WRITE_CHUNK]
            payload = chunk.hex().upper() if self.stack.hex_mode else chunk.decode("latin-1")
            lines = self.stack.channel.command(
                f'AT+USOWR={self.id},{len(chunk)},"{payload}"', timeout=timeout
            )
            taken = len(chunk)
            for line in lines:
                if line.startswith("+USOWR:"):
                    fields = _fields(line.partition(":")[2])
                    if len(fields) >= 2 and is_digits(fields[1]):
                        taken = int(fields[1])
            sent += taken
            if taken == 0:
                break
        return sent

    def receive(self, max_bytes: int = 1024, timeout: Optional[float] = 10.0) -> bytes:
        """Read what is buffered, waiting up to ``timeout`` for ``+UUSORD``.

        :returns: the bytes read; ``b''`` when the peer closed
        :raises ModemTimeoutError: nothing arrived in time
        """
        self._check()
        stack = self.stack
        if not stack.wait_readable(self.id, timeout):
            if self.peer_closed or stack.closed:
                return b""
            raise ModemTimeoutError(f"+UUSORD for socket {self.id}", [], timeout or 0.0)
        stack._ensure_hex()
        with stack._cond:
            announced = stack._available.get(self.id, 0)
            generation = stack._announcements.get(self.id, 0)
        want = max(1, min(max_bytes, announced, READ_CHUNK))
        lines = stack.channel.command(f"AT+USORD={self.id},{want}")
        data = b""
        for line in lines:
            if line.startswith("+USORD:"):
                data = self._parse_usord(line)
        with stack._cond:
            # a +UUSORD with the remaining count may have overtaken us: it wins
            if stack._announcements.get(self.id, 0) == generation:
                stack._available[self.id] = max(0, announced - len(data))
        return data

    def _parse_usord(self, line: str) -> bytes:
        args = line.partition(":")[2].strip()
        _sock, _, rest = args.partition(",")
        count_text, _, quoted = rest.partition(",")
        if not is_digits(count_text.strip()):
            return b""
        count = int(count_text)
        body = quoted.strip()
        if body.startswith('"'):
            body = body[1:]
        if self.stack.hex_mode:
            hex_text = body[: 2 * count]
            try:
                return bytes.fromhex(hex_text)
            except ValueError as exc:
                raise ModemError(f"bad hex in +USORD: {hex_text[:40]!r}") from exc
        return body[:count].encode("latin-1")

    def listen(self, port: int) -> None:
        """``AT+USOLI``: accept TCP connections on ``port``."""
        self._check()
        check_port(port)
        self.stack.channel.command(f"AT+USOLI={self.id},{int(port)}")
