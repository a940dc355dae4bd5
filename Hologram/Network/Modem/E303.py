"""The ``Hologram.Network.Modem.E303`` path of both generations."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modems import E303
from hologram_sdk.modem.e303 import E303_DEVICE_NAME

__all__ = ["E303", "E303_DEVICE_NAME"]

expose(E303, __name__, __all__)
