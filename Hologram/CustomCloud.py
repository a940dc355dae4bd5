"""Compatibility path ``Hologram.CustomCloud``."""

from hologram_sdk.cloud.custom import CustomCloud

__all__ = ["CustomCloud"]
