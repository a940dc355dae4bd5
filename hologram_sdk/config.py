"""The documented import path ``hologram_sdk.config``.

The code lives in :mod:`hologram_sdk.base.config` (the bottom layer); this module
re-exports every public name of it, so names added there appear here too.
"""

from hologram_sdk.base.config import *  # noqa: F403
