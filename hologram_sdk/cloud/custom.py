"""``CustomCloud``: send messages to, and receive them from, any TCP server."""

from __future__ import annotations

from typing import Any, Union

from hologram_sdk.cloud.base import Cloud
from hologram_sdk.events import MESSAGE_SENT

Message = Union[str, bytes]


def _as_bytes(message: Message) -> bytes:
    if isinstance(message, bytes):
        return message
    if isinstance(message, str):
        return message.encode("utf-8")
    raise TypeError(f"message must be str or bytes, got {type(message).__name__}")


class CustomCloud(Cloud):
    """A cloud of your own: raw messages over TCP, one connection per message.

    The message bytes are written as they are (str as UTF-8), then the write
    side is shut down so a server reading until end of stream sees the end of
    the message. Parameters are those of :class:`~hologram_sdk.cloud.base.Cloud`.
    """

    #: shut down the write side once the request is written
    _half_close = True

    def __init__(
        self,
        credentials: Any,
        send_host: str = "",
        send_port: Any = 0,
        receive_host: str = "",
        receive_port: Any = 0,
        enable_inbound: bool = False,
        network: str = "",
        **options: Any,
    ) -> None:
        super().__init__(
            credentials,
            send_host,
            send_port,
            receive_host,
            receive_port,
            enable_inbound,
            network,
            **options,
        )

    def sendMessage(self, message: Message, timeout: float = 5) -> str:
        """Send ``message`` and return the server's reply as text.

        The reply is read until the server closes, or until ``timeout`` (which
        bounds connect and reply together); bytes that arrived by then are the
        reply. Broadcasts ``message.sent`` with ``message`` on success.

        :param message: str (sent as UTF-8) or bytes
        :param timeout: seconds for connect plus reply
        :returns: the reply decoded as UTF-8 (invalid bytes replaced), '' if none
        :raises ConfigurationError: send_host or send_port is not set
        :raises CloudConnectionError: refused, reset or unreachable
        :raises CloudTimeoutError: no connection, or no reply byte, within ``timeout``
        """
        payload = _as_bytes(message)
        reply = self._deliver(payload, timeout, None, half_close=self._half_close)
        self.event.broadcast(MESSAGE_SENT, message)
        return reply.decode("utf-8", errors="replace")
