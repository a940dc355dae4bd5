"""Fixtures: the modem emulator on a real pty, and modems attached to it."""

import pytest

from hologram_sdk.emulator.modem import ModemEmulator


@pytest.fixture
def make_emulator():
    """``make_emulator(profile, **kw)`` -> a started emulator (closed after the test)."""
    made = []

    def make(profile="e303", **kwargs):
        emu = ModemEmulator(profile, **kwargs)
        made.append(emu)
        emu.start()
        return emu

    yield make
    for emu in made:
        emu.close()


@pytest.fixture
def emulator(make_emulator):
    return make_emulator("e303")
