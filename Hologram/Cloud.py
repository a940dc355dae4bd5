"""Compatibility path ``Hologram.Cloud``."""

from hologram_sdk.cloud.base import Cloud
from hologram_sdk.compat.faces import expose

__all__ = ["Cloud"]

expose(Cloud, __name__, __all__)
