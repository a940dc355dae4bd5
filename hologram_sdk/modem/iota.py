"""The reference's ``IOTA`` modem class (Hologram iota, u-blox SARA-U201); facts in profiles.py."""

from __future__ import annotations

from hologram_sdk.modem.nova import Nova_U201
from hologram_sdk.modem.profiles import IOTA_PROFILE

#: the reference's default device for this modem
IOTA_DEVICE_NAME = IOTA_PROFILE.default_device


class IOTA(Nova_U201):
    """A Hologram iota, the 2017 name of the Nova U201: ``IOTA(mode='ppp',
    deviceName=IOTA_DEVICE_NAME, baudRate='9600', chatScriptFile=None)``,
    parameters as for :class:`~hologram_sdk.modem.modem.Modem`; ``mode`` is
    ``'ppp'`` or ``'serial'`` (the modem's own TCP sockets).
    """

    profile = IOTA_PROFILE
