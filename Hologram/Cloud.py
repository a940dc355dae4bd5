"""Compatibility path ``Hologram.Cloud``."""

from hologram_sdk.cloud.base import Cloud

__all__ = ["Cloud"]
