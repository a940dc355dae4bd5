"""Compatibility path ``Hologram.HologramCloud`` with its ``ERR_*`` result codes.

The codes are class attributes too, so ``import Hologram.HologramCloud as hc``
(which binds the class) still finds ``hc.ERR_OK``.
"""

from hologram_sdk.cloud.hologram import (
    ERR_AUTHINVALID,
    ERR_CONNCLOSED,
    ERR_INTERNAL,
    ERR_METADATA,
    ERR_MSGINVALID,
    ERR_OK,
    ERR_PAYLOADINVALID,
    ERR_PROTINVALID,
    ERR_QUEUED,
    ERR_TOPICINVALID,
    ERR_UNKNOWN,
    HologramCloud,
)
from hologram_sdk.compat.faces import expose

__all__ = [
    "ERR_AUTHINVALID",
    "ERR_CONNCLOSED",
    "ERR_INTERNAL",
    "ERR_METADATA",
    "ERR_MSGINVALID",
    "ERR_OK",
    "ERR_PAYLOADINVALID",
    "ERR_PROTINVALID",
    "ERR_QUEUED",
    "ERR_TOPICINVALID",
    "ERR_UNKNOWN",
    "HologramCloud",
]

expose(HologramCloud, __name__, __all__)
