"""The 0.10 module ``Hologram.Authentication.TOTPAuthentication``."""

from hologram_sdk.cloud.authentication import TOTPAuthentication
from hologram_sdk.compat.faces import expose

__all__ = ["TOTPAuthentication"]

expose(TOTPAuthentication, __name__, __all__)
