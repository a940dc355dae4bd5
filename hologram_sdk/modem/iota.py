"""The reference's ``IOTA`` modem class (Hologram iota, u-blox SARA-U201); facts in profiles.py."""

from __future__ import annotations

from hologram_sdk.modem.modem import Modem
from hologram_sdk.modem.profiles import IOTA_PROFILE
from hologram_sdk.modem.usocket import USocketStack

#: the reference's default device for this modem
IOTA_DEVICE_NAME = IOTA_PROFILE.default_device


class IOTA(Modem):
    """A Hologram iota: ``IOTA(mode='ppp', deviceName=IOTA_DEVICE_NAME,
    baudRate='9600', chatScriptFile=None)``, parameters as for :class:`Modem`;
    ``mode`` is ``'ppp'`` or ``'serial'`` (the modem's own TCP sockets).
    """

    profile = IOTA_PROFILE

    def sockets(self) -> USocketStack:
        """The modem's own TCP/UDP sockets (the reference's "serial mode").

        The caller closes the returned stack; the sockets share the modem's port.
        """
        return USocketStack(self._at())
