"""The reference's ``IOTA`` modem class (Hologram iota, u-blox SARA-U201); facts in profiles.py."""

from __future__ import annotations

from typing import Any, Optional, Union

from hologram_sdk.modem.modem import Modem
from hologram_sdk.modem.profiles import IOTA_PROFILE
from hologram_sdk.modem.usocket import USocketStack

#: the reference's default device for this modem
IOTA_DEVICE_NAME = IOTA_PROFILE.default_device


class IOTA(Modem):
    """A Hologram iota (u-blox SARA-U201).

    :param mode: ``'ppp'`` or ``'serial'`` (the modem's own TCP sockets)
    :param deviceName: default ``IOTA_DEVICE_NAME``
    :param baudRate: serial speed as a string, default ``'9600'``
    :param chatScriptFile: the reference's default was ``'../../example-script'``;
        here None means the chat script shipped for this modem. A path given
        explicitly is used as is.
    :param kwargs: keyword-only collaborators of :class:`Modem` (``channel``,
        ``opener``, ``event``, ``link``, ``timeout``)
    """

    profile = IOTA_PROFILE

    def __init__(
        self,
        mode: str = "ppp",
        deviceName: str = IOTA_DEVICE_NAME,
        baudRate: Union[str, int] = "9600",
        chatScriptFile: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(mode, deviceName, baudRate, chatScriptFile, **kwargs)

    def sockets(self) -> USocketStack:
        """The modem's own TCP/UDP sockets (the reference's "serial mode").

        The caller closes the returned stack; the sockets share the modem's port.
        """
        return USocketStack(self._at())
