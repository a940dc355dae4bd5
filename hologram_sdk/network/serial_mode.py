"""Serial mode: the cloud's TCP traffic carried by the modem's own sockets.

Both socket families drive it the same way (:mod:`hologram_sdk.modem.sockets`):
the transport and the listener are given a socket table and call only
``create``/``connect``/``send``/``receive``/``listen``/``accept``/``close``,
whether that is u-blox ``+USOCR``/``+USOCO``/``+USOWR``/``+UUSORD``/``+USOLI``
or Quectel ``+QIOPEN``/``+QISENDEX``/``+QIURC``/``+QIRD``/``"TCP LISTENER"``.

:class:`ModemSocketTransport` has the signature of
:func:`hologram_sdk.transport.tcp.send_request`, so a cloud sends through
the modem without knowing it. :class:`ModemSocketListener` is the inbound
side: it hands each accepted connection's bytes (one connection, one
message, ended by the peer's close) to a callback.

A socket the modem reports closed before the request was written, or before
any reply byte came (``+UUSOCL``, ``+QIURC: "closed"``), is a
:class:`~hologram_sdk.base.errors.CloudConnectionError`: the outbox keeps the
message for the next round.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any, Callable, Optional

from hologram_sdk.base.errors import (
    ATCommandError,
    CloudConnectionError,
    CloudTimeoutError,
    ConfigurationError,
    ModemError,
    ModemTimeoutError,
    SerialError,
)
from hologram_sdk.modem.sockets import SocketStack
from hologram_sdk.transport.tcp import CompletionCheck

#: the protocol number of TCP, as both families' ``create()`` take it
TCP = 6

__all__ = ["ModemSocketListener", "ModemSocketTransport"]

logger = logging.getLogger(__name__)

_READ_SIZE = 1024


class ModemSocketTransport:
    """Send one request over a modem TCP socket and return the reply.

    :param stack: the modem's socket table (closed by its owner, not here)
    :param connect_timeout: the most one socket connect may take (the request's
        own timeout also bounds it)
    """

    def __init__(self, stack: SocketStack, *, connect_timeout: float = 20.0) -> None:
        self.stack = stack
        self.connect_timeout = float(connect_timeout)
        self._lock = threading.Lock()  # one request at a time on the modem

    def __call__(
        self,
        host: str,
        port: int,
        payload: bytes,
        timeout: float,
        is_complete: Optional[CompletionCheck] = None,
        *,
        half_close: bool = False,
    ) -> bytes:
        """Like :func:`~hologram_sdk.transport.tcp.send_request`, through the modem.

        AT sockets cannot half-close; with ``half_close`` the reply is read
        until the server closes or the deadline passes, as without it.

        :raises CloudConnectionError: the modem could not connect or write
        :raises CloudTimeoutError: no reply byte before the deadline
        """
        if timeout <= 0:
            raise ConfigurationError(f"timeout must be > 0 seconds, got {timeout!r}")
        where = f"{host}:{port}"
        deadline = time.monotonic() + timeout
        with self._lock:
            try:
                sock = self.stack.create(TCP)
            except (ModemError, SerialError) as exc:
                raise CloudConnectionError(f"the modem could not open a socket: {exc}") from exc
            try:
                return self._exchange(sock, host, port, payload, deadline, is_complete, where,
                                      timeout)
            finally:
                with contextlib.suppress(ModemError, SerialError):
                    sock.close(timeout=5.0)

    def _exchange(
        self,
        sock: Any,
        host: str,
        port: int,
        payload: bytes,
        deadline: float,
        is_complete: Optional[CompletionCheck],
        where: str,
        timeout: float,
    ) -> bytes:
        try:
            sock.connect(host, port, timeout=min(self.connect_timeout, _left(deadline)))
        except ModemTimeoutError as exc:
            raise CloudTimeoutError(f"no connection to {where} within {timeout:g} s") from exc
        except (ModemError, SerialError) as exc:
            raise CloudConnectionError(f"the modem cannot connect to {where}: {exc}") from exc
        try:
            sent = sock.send(payload, timeout=max(1.0, _left(deadline)))
        except (ModemError, SerialError) as exc:
            raise CloudConnectionError(f"the modem could not send to {where}: {exc}") from exc
        if sent != len(payload):
            raise CloudConnectionError(f"the modem sent {sent} of {len(payload)} bytes to {where}")
        data = b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                chunk: bytes = sock.receive(_READ_SIZE, timeout=left)
            except ModemTimeoutError:
                break
            except (ModemError, SerialError) as exc:
                if data:
                    return data
                raise CloudConnectionError(f"reading the reply from {where} failed: {exc}") from exc
            if not chunk:
                if data:
                    return data
                raise CloudConnectionError(
                    f"the modem's socket to {where} was closed before any reply came"
                )
            data += chunk
            if is_complete is not None and is_complete(data, False):
                return data
        if data:
            return data
        raise CloudTimeoutError(f"no reply from {where} within {timeout:g} s")


def _left(deadline: float) -> float:
    return max(0.001, deadline - time.monotonic())


class ModemSocketListener:
    """Accept inbound TCP connections on the modem (``+USOLI``), one message each.

    With ``owns_stack`` (the default) the listener has the socket table to
    itself and closing it closes the table, which wakes the accept wait at
    once. Sharing the table of a :class:`ModemSocketTransport` (as serial mode
    does) keeps one view of the modem's socket ids, which the modem reuses
    (a table that missed a socket's close would mistake the next socket with
    the same id for a closed one); the accept wait then wakes every
    ``poll_interval`` seconds to see whether the listener was closed.

    :param stack: the modem's socket table
    :param port: the modem's listening port (Hologram's inbound port is 4010)
    :param on_message: called with the bytes of each message, on the listener thread
    :param idle_timeout: seconds a connection may stay silent before its bytes
        so far are delivered and it is closed
    :param max_message_size: larger messages are dropped with a warning
    :raises ConfigurationError: a bad port or limit
    :raises ModemError: the modem refused ``+USOCR``/``+USOLI``
    """

    def __init__(
        self,
        stack: SocketStack,
        port: int,
        on_message: Callable[[bytes], object],
        *,
        idle_timeout: float = 10.0,
        max_message_size: int = 64 * 1024,
        owns_stack: bool = True,
        poll_interval: float = 0.2,
    ) -> None:
        if not isinstance(port, int) or not 0 < port < 65536 or isinstance(port, bool):
            if owns_stack:
                stack.close()
            raise ConfigurationError(f"inbound port must be 1-65535, got {port!r}")
        if idle_timeout <= 0 or max_message_size < 1 or poll_interval <= 0:
            if owns_stack:
                stack.close()
            raise ConfigurationError(
                "idle_timeout and poll_interval must be > 0 and max_message_size >= 1"
            )
        self.stack = stack
        self._owns_stack = owns_stack
        self._poll = None if owns_stack else float(poll_interval)
        self.port = port
        self._on_message = on_message
        self._idle_timeout = float(idle_timeout)
        self._max_size = max_message_size
        self._closed = False
        self._close_lock = threading.Lock()
        try:
            self._socket = stack.create(TCP)
            try:
                self._socket.listen(port)
            except BaseException:
                with contextlib.suppress(ModemError, SerialError):
                    self._socket.close(timeout=5.0)
                raise
        except BaseException:
            if owns_stack:
                stack.close()
            raise
        self._thread = threading.Thread(
            target=self._serve, name=f"modem-listener-{port}", daemon=True
        )
        self._thread.start()
        logger.info("listening on the modem's port %d", port)

    @property
    def is_open(self) -> bool:
        """Whether the listener still accepts connections."""
        return not self._closed and self._thread.is_alive()

    def _serve(self) -> None:
        while not self._closed:
            try:
                conn = self._socket.accept(timeout=self._poll)
            except ModemTimeoutError:
                if self.stack.closed:
                    return  # its owner closed the table: accept() would return at once
                continue  # poll: the loop condition sees close()
            except (ModemError, SerialError) as exc:
                if not self._closed:
                    logger.warning("modem listener on port %d stopped: %s", self.port, exc)
                return
            self._read_message(conn)

    def _read_message(self, conn: Any) -> None:
        data = b""
        dropped = False
        try:
            while not self._closed:
                try:
                    chunk = conn.receive(_READ_SIZE, timeout=self._idle_timeout)
                except ModemTimeoutError:
                    break  # idle: deliver what came so far
                if not chunk:
                    break
                data += chunk
                if len(data) > self._max_size:
                    logger.warning(
                        "inbound message over %d bytes dropped (port %d)", self._max_size,
                        self.port,
                    )
                    dropped = True
                    break
        except (ModemError, SerialError) as exc:
            logger.warning("inbound connection on the modem failed: %s", exc)
        finally:
            with contextlib.suppress(ModemError, SerialError, ATCommandError):
                conn.close(timeout=5.0)
        if data and not dropped:
            try:
                self._on_message(data)
            except Exception:
                logger.exception("inbound message callback raised")

    def close(self) -> None:
        """Stop listening, close the modem socket and join the thread (idempotent)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        if self._owns_stack:
            self.stack.close()  # wakes accept()/receive() waits at once
        if self._thread is not threading.current_thread():
            self._thread.join(30.0)
        with contextlib.suppress(ModemError, SerialError):
            self._socket.close(timeout=5.0)

    def __enter__(self) -> ModemSocketListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
