"""The reference's ``MS2131`` modem class (Huawei MS2131); its facts live in profiles.py."""

from __future__ import annotations

from typing import Any, Optional, Union

from hologram_sdk.modem.modem import Modem
from hologram_sdk.modem.profiles import MS2131_PROFILE

#: the reference's default device for this modem
MS2131_DEVICE_NAME = MS2131_PROFILE.default_device


class MS2131(Modem):
    """A Huawei MS2131.

    :param mode: ``'ppp'`` (the only mode)
    :param deviceName: default ``MS2131_DEVICE_NAME``
    :param baudRate: serial speed as a string, default ``'9600'``
    :param chatScriptFile: the reference's default was ``'../../example-script'``;
        here None means the chat script shipped for this modem. A path given
        explicitly is used as is.
    :param kwargs: keyword-only collaborators of :class:`Modem` (``channel``,
        ``opener``, ``event``, ``link``, ``timeout``)
    """

    profile = MS2131_PROFILE

    def __init__(
        self,
        mode: str = "ppp",
        deviceName: str = MS2131_DEVICE_NAME,
        baudRate: Union[str, int] = "9600",
        chatScriptFile: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(mode, deviceName, baudRate, chatScriptFile, **kwargs)
