"""What the two AT socket families share: a URC-fed socket table and its sockets.

The u-blox (``+USO*``, :mod:`~hologram_sdk.modem.usocket`) and Quectel
(``+QI*``, :mod:`~hologram_sdk.modem.qsocket`) families speak different
commands, but their bookkeeping is the same: the channel's reader delivers
URCs, the table records per socket id what they announce (data, a close by
the peer, an accepted connection) under one condition variable, and callers
block on that condition with float-second timeouts. That half lives here,
once; each family adds how its URCs read and what its commands are.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import ClassVar, Optional, TypeVar

from hologram_sdk.base.errors import (
    ATCommandError,
    ConfigurationError,
    ModemError,
    ModemTimeoutError,
)
from hologram_sdk.modem.at import ATChannel
from hologram_sdk.modem.at_codec import URC

logger = logging.getLogger(__name__)

T = TypeVar("T")
Peer = tuple[int, str, int]  # (new socket id, peer address, peer port)


def check_port(port: int) -> int:
    """``port`` as an int in 1-65535.

    :raises ConfigurationError: outside that range
    """
    if not 0 < int(port) < 65536:
        raise ConfigurationError(f"port must be 1-65535, not {port}")
    return int(port)


class SocketTable:
    """A modem's socket table: what the URCs said, per socket id.

    Subclasses implement :meth:`_on_urc` (record a URC, holding ``_cond``, and
    notify) and :meth:`_has_data`; they extend :meth:`_forget` for their own
    per-socket state.

    :param channel: the modem's :class:`ATChannel`
    """

    def __init__(self, channel: ATChannel) -> None:
        self.channel = channel
        self._cond = threading.Condition()
        self._closed_by_peer: set[int] = set()
        self._accepted: dict[int, deque[Peer]] = {}
        self._closed = False
        channel.add_urc_handler(self._on_urc)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` ran (waits on the table then return at once)."""
        return self._closed

    def close(self) -> None:
        """Stop following URCs (sockets themselves are closed by their owners)."""
        if not self._closed:
            self._closed = True
            self.channel.remove_urc_handler(self._on_urc)
            with self._cond:
                self._cond.notify_all()

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _on_urc(self, urc: URC) -> None:
        raise NotImplementedError

    def _has_data(self, sock: int) -> bool:
        """Whether data is announced for ``sock`` (callers hold ``_cond``)."""
        raise NotImplementedError

    def _forget(self, sock: int) -> None:
        """Drop what is recorded for ``sock`` (callers hold ``_cond``)."""
        self._closed_by_peer.discard(sock)
        self._accepted.pop(sock, None)

    def _release(self, sock: int) -> None:
        """``sock`` is closed or reused: nothing recorded for it applies any more."""
        with self._cond:
            self._forget(sock)

    def _record_accept(self, listener: int, new: int, host: str, port: int) -> None:
        # callers hold self._cond; the modem reuses ids, so the new one starts clean
        self._forget(new)
        self._accepted.setdefault(listener, deque()).append((new, host, port))

    def _wait(self, ready: Callable[[], Optional[T]], timeout: Optional[float]) -> Optional[T]:
        """Block until ``ready()`` (called holding ``_cond``) gives a value, or time runs out.

        :returns: that value, or None on timeout or when the table is closed
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                value = ready()
                if value is not None:
                    return value
                if self._closed:
                    return None
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._cond.wait(left)

    def wait_readable(self, sock: int, timeout: Optional[float]) -> bool:
        """Wait for data to be announced on ``sock`` (or a close); True if it was."""

        def ready() -> Optional[bool]:
            if self._has_data(sock):
                return True
            return False if sock in self._closed_by_peer else None

        return bool(self._wait(ready, timeout))

    def wait_accept(self, listener: int, timeout: Optional[float]) -> Optional[Peer]:
        """Wait for a connection accepted on ``listener``: (new id, peer ip, port) or None."""

        def ready() -> Optional[Peer]:
            pending = self._accepted.get(listener)
            return pending.popleft() if pending else None

        return self._wait(ready, timeout)


S = TypeVar("S", bound="TableSocket")


class TableSocket:
    """One socket of a :class:`SocketTable`; blocking calls, float-second timeouts.

    Subclasses set :attr:`CLOSE_COMMAND` and :attr:`ACCEPT_URC` and implement
    ``connect``, ``send``, ``receive`` and ``listen``.
    """

    #: the command that frees the id on the modem (``AT+USOCL``, ``AT+QICLOSE``)
    CLOSE_COMMAND: ClassVar[str] = ""
    #: how an accepted connection is announced, for the timeout message
    ACCEPT_URC: ClassVar[str] = ""

    def __init__(
        self, stack: SocketTable, sock: int, peer: Optional[tuple[str, int]] = None
    ) -> None:
        self.stack = stack
        self.id = sock
        self.peer = peer
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` ran."""
        return self._closed

    def _check(self) -> None:
        if self._closed:
            raise ModemError(f"socket {self.id} is closed")

    def send(self, data: bytes, timeout: float = 10.0) -> int:
        raise NotImplementedError

    def receive(self, max_bytes: int = 1024, timeout: Optional[float] = 10.0) -> bytes:
        raise NotImplementedError

    def sendall(self, data: bytes, timeout: float = 10.0) -> int:
        """The same as :meth:`send` (which already sends everything it can)."""
        return self.send(data, timeout)

    def recv(self, max_bytes: int = 1024, timeout: Optional[float] = 10.0) -> bytes:
        """The same as :meth:`receive`."""
        return self.receive(max_bytes, timeout)

    def accept(self: S, timeout: Optional[float] = 30.0) -> S:
        """Wait for a connection on this listening socket and return it.

        :raises ModemTimeoutError: no connection in time
        """
        self._check()
        got = self.stack.wait_accept(self.id, timeout)
        if got is None:
            raise ModemTimeoutError(f"{self.ACCEPT_URC} for socket {self.id}", [], timeout or 0.0)
        new, ip, port = got
        return type(self)(self.stack, new, (ip, port))

    def close(self, timeout: float = 10.0) -> None:
        """Free the id on the modem; safe to call twice, and after the peer closed."""
        if self._closed:
            return
        self._closed = True
        try:
            self.stack.channel.command(f"{self.CLOSE_COMMAND}={self.id}", timeout=timeout)
        except ATCommandError as exc:  # already closed on the modem side
            logger.debug("%s=%d: %s", self.CLOSE_COMMAND, self.id, exc.result)
        finally:
            self.stack._release(self.id)

    def __enter__(self: S) -> S:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
