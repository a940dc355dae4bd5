"""The 0.10 module ``Hologram.Api.Api``."""

from hologram_sdk.compat.api import HOLOGRAM_REST_API_BASEURL, Api
from hologram_sdk.compat.faces import expose

__all__ = ["HOLOGRAM_REST_API_BASEURL", "Api"]

expose(Api, __name__, __all__)
