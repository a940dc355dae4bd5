"""The reference's ``E303`` modem class (Huawei E303); its facts live in profiles.py."""

from __future__ import annotations

from hologram_sdk.modem.modem import Modem
from hologram_sdk.modem.profiles import E303_PROFILE

#: the reference's default device for this modem
E303_DEVICE_NAME = E303_PROFILE.default_device


class E303(Modem):
    """A Huawei E303: ``E303(mode='ppp', deviceName=E303_DEVICE_NAME,
    baudRate='9600', chatScriptFile=None)``, parameters as for :class:`Modem`
    (``'ppp'`` is the only mode).
    """

    profile = E303_PROFILE
