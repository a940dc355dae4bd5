"""Compatibility path ``Hologram.Event``."""

from hologram_sdk.base.events import Event
from hologram_sdk.compat.faces import expose

__all__ = ["Event"]

expose(Event, __name__, __all__)
