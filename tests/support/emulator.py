"""The modem emulator fixture (a pytest plugin, loaded by tests/conftest.py)."""

from __future__ import annotations

import pytest

from hologram_sdk.emulator.modem import ModemEmulator


@pytest.fixture
def make_emulator():
    """``make_emulator(profile="e303", **settings)`` -> a started emulator on a
    real pty; every one made is closed after the test."""
    made = []

    def make(profile="e303", **settings):
        emu = ModemEmulator(profile, **settings)
        made.append(emu)
        emu.start()
        return emu

    yield make
    for emu in made:
        emu.close()
