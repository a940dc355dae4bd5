"""The documented import path ``hologram_sdk.errors``.

The code lives in :mod:`hologram_sdk.base.errors` (the bottom layer); this module
re-exports every public name of it, so names added there appear here too.
"""

from hologram_sdk.base.errors import *  # noqa: F403
