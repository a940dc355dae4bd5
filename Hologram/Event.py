"""Compatibility path ``Hologram.Event``."""

from hologram_sdk.events import Event

__all__ = ["Event"]
