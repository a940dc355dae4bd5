"""The ``Hologram.Network.Modem.MS2131`` path of both generations."""

from hologram_sdk.compat.faces import expose
from hologram_sdk.compat.modems import MS2131
from hologram_sdk.modem.ms2131 import MS2131_DEVICE_NAME

__all__ = ["MS2131", "MS2131_DEVICE_NAME"]

expose(MS2131, __name__, __all__)
