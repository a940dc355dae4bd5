"""The reference's ``E303`` modem class (Huawei E303); its facts live in profiles.py."""

from __future__ import annotations

from typing import Any, Optional, Union

from hologram_sdk.modem.modem import Modem
from hologram_sdk.modem.profiles import E303_PROFILE

#: the reference's default device for this modem
E303_DEVICE_NAME = E303_PROFILE.default_device


class E303(Modem):
    """A Huawei E303.

    :param mode: ``'ppp'`` (the only mode)
    :param deviceName: default ``E303_DEVICE_NAME``
    :param baudRate: serial speed as a string, default ``'9600'``
    :param chatScriptFile: the reference's default was ``'../../example-script'``;
        here None means the chat script shipped for this modem. A path given
        explicitly is used as is.
    :param kwargs: keyword-only collaborators of :class:`Modem` (``channel``,
        ``opener``, ``event``, ``link``, ``timeout``)
    """

    profile = E303_PROFILE

    def __init__(
        self,
        mode: str = "ppp",
        deviceName: str = E303_DEVICE_NAME,
        baudRate: Union[str, int] = "9600",
        chatScriptFile: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(mode, deviceName, baudRate, chatScriptFile, **kwargs)
