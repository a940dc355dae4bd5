"""The ``Hologram.Network.Cellular`` path (re-export), with its status codes.

The codes are also attributes of the class (``Cellular.CLOUD_CONNECTED``), so
``import Hologram.Network.Cellular as c; c.CLOUD_CONNECTED`` works whichever of
the class or the module that name binds.
"""

from hologram_sdk.compat.faces import expose
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

expose(Cellular, __name__, __all__)
