"""Compatibility path ``Hologram.Event``."""

from hologram_sdk.base.events import Event

__all__ = ["Event"]
