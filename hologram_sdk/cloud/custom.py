"""``CustomCloud``: send messages to, and receive them from, any TCP server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

from hologram_sdk.base.errors import UnsupportedOperationError
from hologram_sdk.base.events import MESSAGE_SENT
from hologram_sdk.cloud.base import Cloud

if TYPE_CHECKING:
    from hologram_sdk.outbox import OutboxItem

Message = Union[str, bytes]


class SendReply(str):
    """What ``CustomCloud.sendMessage`` returns: the server's reply as text.

    It is a ``str`` (compares, prints and concatenates like the reply). When
    the message was not sent but kept in the outbox, it is ``''`` with
    :attr:`queued` true and :attr:`item` the stored
    :class:`~hologram_sdk.outbox.OutboxItem`.
    """

    #: True when the message waits in the outbox instead of having been sent.
    queued: bool = False
    #: The outbox row when queued, else None.
    item: Optional[OutboxItem] = None

    def __new__(
        cls, text: str = "", *, queued: bool = False, item: Optional[OutboxItem] = None
    ) -> SendReply:
        reply = super().__new__(cls, text)
        if queued or item is not None:  # a sent message keeps the class's defaults
            reply.queued = queued
            reply.item = item
        return reply

    def __repr__(self) -> str:
        return f"SendReply(queued, item={self.item!r})" if self.queued else super().__repr__()


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
    the message. Parameters are those of :class:`~hologram_sdk.cloud.base.Cloud`,
    including ``outbox`` (where messages wait while they cannot be sent).
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

    def sendMessage(self, message: Message, timeout: float = 5) -> SendReply:
        """Send ``message`` and return the server's reply as text.

        The reply is read until the server closes, or until ``timeout`` (which
        bounds connect and reply together); bytes that arrived by then are the
        reply. Broadcasts ``message.sent`` with ``message`` on success.

        When the network is down, something already waits in the outbox, or the
        send fails for a transport reason, the message is kept in the outbox
        (see :class:`~hologram_sdk.cloud.base.Cloud`) and the result is ``''``
        with ``.queued`` true: ``if cloud.sendMessage(m).queued: ...``.

        :param message: str (sent as UTF-8) or bytes
        :param timeout: seconds for connect plus reply
        :returns: the reply decoded as UTF-8 (invalid bytes replaced), '' if none,
            as a :class:`SendReply` (a ``str``)
        :raises ConfigurationError: send_host or send_port is not set
        :raises CloudConnectionError: refused, reset or unreachable (``outbox=False``)
        :raises CloudTimeoutError: no connection, or no reply byte, within ``timeout``
            (``outbox=False``)
        :raises OutboxError: the message had to be queued and the outbox could not
            store it (disk full, unwritable; ``OutboxFullError`` when full)
        """
        if isinstance(message, str):
            payload, text = message.encode("utf-8"), message
        else:
            payload, text = _as_bytes(message), None
        reply, item = self._send_or_queue(
            "raw", payload, timeout, None, self._half_close, None, text
        )
        if item is not None:
            return SendReply(queued=True, item=item)
        assert reply is not None
        self.event.broadcast(MESSAGE_SENT, message)
        # str's own constructor: a sent reply keeps the class's defaults
        return str.__new__(SendReply, reply.decode("utf-8", "replace"))

    def sendSMS(self, destination_number: str, message: str, *args: Any, **kwargs: Any) -> Any:
        """SMS go through the Hologram cloud only.

        :raises UnsupportedOperationError: always
        """
        raise UnsupportedOperationError("Cannot send SMS via custom cloud")

    def getResultString(self, result: Any) -> str:
        """hologram-python 0.10: a custom server's reply as text."""
        return str(result)

    def resultWasSuccess(self, result: Any) -> bool:
        """hologram-python 0.10: a custom server's reply always counts as success."""
        return True
