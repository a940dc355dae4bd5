"""Hologram Nova modems (u-blox SARA): ``Nova_U201`` (SARA-U201) and ``NovaM`` (SARA-R404M/R410M).

Facts in :mod:`hologram_sdk.modem.profiles`: USB ids, ports, the socket
family serial mode uses (``+UPSD`` context on the U201, ``+CGDCONT``/``+CGACT``
on the R4), the registration domains (the R4 registers in EPS only), the
reset command (``AT+CFUN=16`` / ``AT+CFUN=15``) and CellLocate location.
"""

from __future__ import annotations

import logging

from hologram_sdk.base.errors import HologramError
from hologram_sdk.modem.modem import Modem
from hologram_sdk.modem.profiles import NOVA_U201_PROFILE, NOVAM_PROFILE

logger = logging.getLogger(__name__)


class Nova(Modem):
    """What the u-blox based Novas share: ``ATI9`` version, ``+USO*`` sockets.

    Parameters as for :class:`~hologram_sdk.modem.modem.Modem`; ``mode`` is
    ``'ppp'`` or ``'serial'`` (the modem's own TCP sockets, no pppd).
    """

    profile = NOVA_U201_PROFILE


class Nova_U201(Nova):  # noqa: N801 - the 0.10 SDK's class name
    """Hologram Nova Global 3G/2G (u-blox SARA-U201); the 2017 ``IOTA`` is the same hardware."""

    profile = NOVA_U201_PROFILE


class NovaM(Nova):
    """Hologram Nova R404/R410 (u-blox SARA-R4, LTE Cat-M1)."""

    profile = NOVAM_PROFILE

    @property
    def description(self) -> str:
        """The profile's description, naming the R404 when the modem says it is one."""
        try:
            model = self.modem_id or ""
        except HologramError as exc:
            logger.debug("cannot read the model: %s", exc)
            return self.profile.description
        if "R404" in model.upper():
            return self.profile.description.replace("(R410)", "(R404)")
        return self.profile.description
