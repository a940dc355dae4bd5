"""Compatibility path ``Hologram.HologramCloud`` with its ``ERR_*`` result codes."""

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
