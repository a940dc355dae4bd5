"""hologram-python 0.10's ``Hologram.Authentication`` package.

``from Hologram.Authentication import CSRPSKAuthentication`` gives the class; it
also answers ``CSRPSKAuthentication.CSRPSKAuthentication`` (0.10 imported the
module of that name); see :mod:`hologram_sdk.compat.faces`.
"""

from hologram_sdk.cloud.authentication import (
    Authentication,
    CSRPSKAuthentication,
    HologramAuthentication,
    SIMOTPAuthentication,
    TOTPAuthentication,
)
from hologram_sdk.compat.faces import keep_classes

__all__ = [
    "Authentication",
    "CSRPSKAuthentication",
    "HologramAuthentication",
    "SIMOTPAuthentication",
    "TOTPAuthentication",
]

keep_classes(__name__, __all__)
