"""The 0.10 module ``Exceptions.HologramError``: its names are the SDK's own error classes.

Nothing here is a second tree: ``except Exceptions.HologramError.HologramError``
catches every error the SDK raises, and ``SerialError``, ``NetworkError``,
``PPPError`` ... are the very classes :mod:`hologram_sdk.errors` defines.
"""

from hologram_sdk.errors import (
    ApiError,
    AuthenticationError,
    HologramError,
    ModemError,
    NetworkError,
    PPPConnectionError,
    PPPError,
    SerialError,
)

__all__ = [
    "ApiError",
    "AuthenticationError",
    "HologramError",
    "ModemError",
    "NetworkError",
    "PPPConnectionError",
    "PPPError",
    "SerialError",
]
