"""A real Mosquitto for the fleet tests, started per test on a free loopback port.

Where mosquitto is missing the broker tests are left out with one line saying
what to install -- unless we are root (CI), where a missing broker is a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.fleet.broker import Broker, find_mosquitto

MOSQUITTO = find_mosquitto()
INSTALL = "the fleet tests need mosquitto: apt-get install mosquitto"


@pytest.fixture
def broker(tmp_path):
    """A running mosquitto (persistence in the test's temp dir), stopped by its pid."""
    if MOSQUITTO is None:
        if os.geteuid() == 0:
            pytest.fail(f"mosquitto is missing; {INSTALL}")
        pytest.skip(INSTALL)
    with Broker(MOSQUITTO, tmp_path / "mosquitto") as running:
        yield running


@pytest.fixture
def hologram_cli():
    """The ``hologram`` command of this checkout, as argv."""
    exe = shutil.which("hologram", path=os.path.dirname(os.sys.executable))
    return [exe] if exe else [os.sys.executable, "-m", "hologram_sdk"]
