"""The 0.10 module ``Hologram.Authentication.CSRPSKAuthentication``."""

from hologram_sdk.cloud.authentication import DEVICE_KEY_LEN, CSRPSKAuthentication
from hologram_sdk.compat.faces import expose

__all__ = ["DEVICE_KEY_LEN", "CSRPSKAuthentication"]

expose(CSRPSKAuthentication, __name__, __all__)
