"""Compatibility path ``Hologram.CustomCloud``."""

from hologram_sdk.cloud.custom import CustomCloud
from hologram_sdk.compat.faces import expose

__all__ = ["CustomCloud"]

expose(CustomCloud, __name__, __all__)
