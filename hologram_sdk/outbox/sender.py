"""Sending one outbox row over TCP as the clouds do, with an early connect for the next."""

from __future__ import annotations

import errno
import functools
import select
import socket
import time
from typing import Callable, Optional

from hologram_sdk.base.digits import is_digits
from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.outbox.item import OutboxItem
from hologram_sdk.transport.tcp import (
    Connector,
    Releaser,
    Transport,
    connect_tcp,
    literal_family,
    send_request,
)
from hologram_sdk.wire.protocol import ResultCode, reply_code, reply_complete


@functools.lru_cache(maxsize=256)
def parse_destination(destination: str) -> tuple[str, int]:
    """Split a destination key ``host:port`` (or ``[v6addr]:port``) into its parts.

    Remembered: a round asks for the same few keys twice per message.

    :raises ConfigurationError: not ``host:port`` with a port from 1 to 65535
    """
    host, sep, port = destination.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not is_digits(port) or not 0 < int(port) < 65536:
        raise ConfigurationError(f"destination {destination!r} is not host:port")
    return host, int(port)


def destination_key(host: str, port: int) -> str:
    """The destination key of ``host`` and ``port`` (IPv6 addresses bracketed)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def tcp_send(
    item: OutboxItem,
    timeout: float = 5.0,
    transport: Optional[Transport] = None,
    connect: Optional[Connector] = None,
    after_send: Optional[Callable[[], object]] = None,
    release: Optional[Releaser] = None,
) -> ResultCode:
    """Deliver one row over TCP to its destination, as the clouds do.

    ``message``/``sms`` rows get the Hologram cloud's result code (the reply is
    read until it parses). ``raw`` rows (``CustomCloud``) are written, the
    write side is shut down, and any reply or a clean close means ``ERR_OK``.

    :param transport: replaces ``send_request`` (e.g. a cloud's own)
    :param connect: opens the connection (default: :func:`connect_tcp`)
    :param after_send: called once the request is written, before the reply
        is awaited (default transport only)
    :param release: takes the socket at the end instead of it being closed
        (default transport only; see ``send_request``)
    :raises CloudConnectionError: refused, reset or unreachable
    :raises CloudTimeoutError: no connection or no reply within ``timeout``
    """
    host, port = parse_destination(item.destination)
    raw = item.kind == "raw"
    if transport is not None:
        if raw:
            transport(host, port, item.body, timeout, None, half_close=True)
            return ResultCode.ERR_OK
        reply = transport(host, port, item.body, timeout, reply_complete)
    else:
        reply = send_request(
            host,
            port,
            item.body,
            timeout,
            None if raw else reply_complete,
            half_close=raw,
            connect=connect if connect is not None else connect_tcp,
            after_send=after_send,
            release=release,
        )
        if raw:
            return ResultCode.ERR_OK
    return reply_code(reply)


class TcpSender:
    """A ``send`` for :class:`OutboxDelivery`: :func:`tcp_send`, plus an early connect.

    The round announces the message that follows with :meth:`prepare`. Once
    message *n*'s request is written, and while the server works on it, the
    connection for message *n + 1* is opened and *n - 1*'s socket closed.
    Nothing is written on the new connection before *n*'s reply was received
    and *n* acknowledged, so order and the "at most one message in flight"
    rule are kept; the TCP handshake and the server's accept just leave the
    critical path. A spare that is older than :attr:`spare_max_age`, closed
    by the server, or not connected is discarded and a fresh connection is
    made instead. Only numeric addresses are connected early (no name lookups
    in between), and only with the default transport.

    :param timeout: seconds per message (connect and reply)
    :param transport: replaces ``send_request`` (no early connects then)
    :param transport_for: asked before each message for a transport; ``None``
        from it means ``send_request`` (a cloud whose route can change, e.g.
        the modem's sockets in serial mode)
    """

    #: Seconds a spare connection may wait before it is thrown away.
    spare_max_age = 2.0

    def __init__(
        self,
        timeout: float = 5.0,
        transport: Optional[Transport] = None,
        *,
        transport_for: Optional[Callable[[], Optional[Transport]]] = None,
    ) -> None:
        self.timeout = timeout
        self.transport = transport
        self.transport_for = transport_for
        self._spare: Optional[tuple[tuple[str, int], socket.socket, float]] = None
        self._next: Optional[tuple[str, int]] = None
        self._retired: Optional[socket.socket] = None
        self._meanwhile: Optional[Callable[[], object]] = None

    def _transport(self) -> Optional[Transport]:
        if self.transport is not None:
            return self.transport
        return self.transport_for() if self.transport_for is not None else None

    def __call__(self, item: OutboxItem) -> ResultCode:
        try:
            transport = self._transport()
            if transport is not None:
                self.idle()
                return tcp_send(item, self.timeout, transport)
            if self._next is None and self._meanwhile is None:  # a lone send: close at once
                return tcp_send(item, self.timeout, None, self._connector, self._close_retired)
            return tcp_send(item, self.timeout, None, self._connector, self._between, self._retire)
        finally:
            self._meanwhile = None  # once, or not at all

    def while_waiting(self, work: Callable[[], object]) -> None:
        """Run ``work`` once during the next send, after its request is written.

        For bookkeeping that may overlap the server's work (the round claims
        its next batch here). ``work`` must not raise. It is skipped when the
        next send uses another transport, or fails before its request is written.
        """
        self._meanwhile = work

    def prepare(self, item: OutboxItem) -> None:
        """``item`` is sent next: connect for it once the current request is written."""
        self._next = None
        try:
            address = parse_destination(item.destination)
        except ConfigurationError:
            return
        if literal_family(address[0]) is not None:
            self._next = address

    def _retire(self, sock: socket.socket, ended: bool) -> None:
        """Keep a used socket to close while the server works on the next request."""
        self._close_retired()
        self._retired = sock

    def _close_retired(self) -> None:
        retired, self._retired = self._retired, None
        if retired is not None:
            retired.close()

    def _between(self) -> None:
        """A request is written: the previous socket's close, the round's work, the next connect."""
        self._close_retired()
        work, self._meanwhile = self._meanwhile, None
        if work is not None:
            work()  # may announce the next message (prepare)
        address, self._next = self._next, None
        if address is None:
            return
        self._discard_spare()
        family = literal_family(address[0])
        if family is None:
            return
        try:  # e.g. out of file descriptors: no spare, the next send connects itself
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            return
        sock.setblocking(False)
        if sock.connect_ex(address) not in (0, errno.EINPROGRESS):
            sock.close()
            return
        self._spare = (address, sock, time.monotonic())

    def _take(self, address: tuple[str, int]) -> Optional[socket.socket]:
        spare, self._spare = self._spare, None
        if spare is None:
            return None
        where, sock, born = spare
        try:
            if where == address and time.monotonic() - born <= self.spare_max_age:
                poller = select.poll()
                poller.register(sock, select.POLLIN | select.POLLOUT)
                events = sum(mask for _, mask in poller.poll(0))
                error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if events == select.POLLOUT and not error:  # connected, nothing came back
                    return sock
        except OSError:
            pass
        sock.close()
        return None

    def _connector(self, address: tuple[str, int], timeout: float) -> socket.socket:
        sock = self._take(address)
        if sock is None:
            return connect_tcp(address, timeout)
        sock.settimeout(timeout)
        return sock

    def _discard_spare(self) -> None:
        spare, self._spare = self._spare, None
        if spare is not None:
            spare[1].close()

    def idle(self) -> None:
        """Close the spare and the used sockets and forget the next message (the round is over)."""
        self._next = None
        self._meanwhile = None
        self._discard_spare()
        self._close_retired()

    close = idle


def tcp_sender(timeout: float = 5.0, transport: Optional[Transport] = None) -> TcpSender:
    """A ``send`` for :class:`OutboxDelivery` (a :class:`TcpSender`)."""
    return TcpSender(timeout, transport)
