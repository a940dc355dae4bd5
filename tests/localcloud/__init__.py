"""Tests of the local cloud (hologram_sdk.emulator.cloud)."""
