"""``E372`` (Huawei E372 HSPA+ stick): the E303's family, PPP only; facts in profiles.py."""

from __future__ import annotations

from hologram_sdk.modem.modem import Modem
from hologram_sdk.modem.profiles import E372_PROFILE


class E372(Modem):
    """A Huawei E372: parameters as for :class:`~hologram_sdk.modem.modem.Modem`
    (``'ppp'`` is the only mode).
    """

    profile = E372_PROFILE
