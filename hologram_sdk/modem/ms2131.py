"""The reference's ``MS2131`` modem class (Huawei MS2131); its facts live in profiles.py."""

from __future__ import annotations

from hologram_sdk.modem.modem import Modem
from hologram_sdk.modem.profiles import MS2131_PROFILE

#: the reference's default device for this modem
MS2131_DEVICE_NAME = MS2131_PROFILE.default_device


class MS2131(Modem):
    """A Huawei MS2131: ``MS2131(mode='ppp', deviceName=MS2131_DEVICE_NAME,
    baudRate='9600', chatScriptFile=None)``, parameters as for :class:`Modem`
    (``'ppp'`` is the only mode).
    """

    profile = MS2131_PROFILE
