"""The ``Hologram.Network.Modem.IOTA`` path of both generations."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modems import IOTA
from hologram_sdk.modem.iota import IOTA_DEVICE_NAME

__all__ = ["IOTA", "IOTA_DEVICE_NAME"]

expose(IOTA, __name__, __all__)
