"""The 0.10 module ``Hologram.Authentication.HologramAuthentication``."""

from hologram_sdk.cloud.authentication import HologramAuthentication
from hologram_sdk.compat.faces import expose

__all__ = ["HologramAuthentication"]

expose(HologramAuthentication, __name__, __all__)
