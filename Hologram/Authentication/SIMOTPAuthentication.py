"""The 0.10 module ``Hologram.Authentication.SIMOTPAuthentication``."""

from hologram_sdk.cloud.authentication import SIMOTPAuthentication
from hologram_sdk.compat.faces import expose

__all__ = ["SIMOTPAuthentication"]

expose(SIMOTPAuthentication, __name__, __all__)
