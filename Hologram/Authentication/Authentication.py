"""The 0.10 module ``Hologram.Authentication.Authentication``."""

from hologram_sdk.cloud.authentication import Authentication
from hologram_sdk.compat.faces import expose

__all__ = ["Authentication"]

expose(Authentication, __name__, __all__)
