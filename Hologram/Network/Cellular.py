"""The reference's ``Hologram.Network.Cellular`` path (re-export), with its status codes."""

from hologram_sdk.network.cellular import (
    CLOUD_CONNECTED,
    CLOUD_DISCONNECTED,
    CLOUD_ERR_CONNECT,
    CLOUD_ERR_SIGNAL,
    CLOUD_ERR_SIM,
    Cellular,
)

__all__ = [
    "CLOUD_CONNECTED",
    "CLOUD_DISCONNECTED",
    "CLOUD_ERR_CONNECT",
    "CLOUD_ERR_SIGNAL",
    "CLOUD_ERR_SIM",
    "Cellular",
]
