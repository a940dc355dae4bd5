"""hologram-python 0.10's ``Hologram.Api`` package: ``from Hologram.Api import Api``."""

from hologram_sdk.compat.api import HOLOGRAM_REST_API_BASEURL, Api
from hologram_sdk.compat.faces import keep_classes

__all__ = ["HOLOGRAM_REST_API_BASEURL", "Api"]

keep_classes(__name__, ["Api"])
