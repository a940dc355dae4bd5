"""Fixtures: the modem emulator on a real pty (``make_emulator`` comes from
tests/support/emulator.py), and modems attached to it."""

import pytest


@pytest.fixture
def emulator(make_emulator):
    return make_emulator("e303")
