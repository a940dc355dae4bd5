"""Quectel modules: ``BG96`` (LTE-M/NB-IoT), ``EC21`` (LTE Cat 1), ``EC25`` (LTE Cat 4).

One base class, :class:`Quectel`; the models differ only in their profile
(USB id, description, registration domains). Serial mode uses the Quectel
socket family (``+QICSGP``/``+QIACT``, ``+QIOPEN``/``+QISENDEX``/``+QIRD``),
location the GNSS (``+QGPS``/``+QGPSLOC``), reset ``AT+CFUN=1,1``.
"""

from __future__ import annotations

from hologram_sdk.modem.modem import Modem
from hologram_sdk.modem.profiles import BG96_PROFILE, EC21_PROFILE, EC25_PROFILE


class Quectel(Modem):
    """A Quectel LTE module; parameters as for :class:`~hologram_sdk.modem.modem.Modem`,
    ``mode`` ``'ppp'`` or ``'serial'``.
    """

    profile = BG96_PROFILE


class BG96(Quectel):
    """Quectel BG96: LTE Cat-M1 / NB-IoT, registers in EPS (``+CEREG``), GNSS."""

    profile = BG96_PROFILE


class EC21(Quectel):
    """Quectel EC21: LTE Cat 1."""

    profile = EC21_PROFILE


class EC25(Quectel):
    """Quectel EC25: LTE Cat 4."""

    profile = EC25_PROFILE
