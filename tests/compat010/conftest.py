"""The network tests' modem-emulator and pppd-double fixtures, for the ModemMode tests."""

from tests.network.conftest import emulator, pppd_double  # noqa: F401
