"""hologram-python 0.10's ``UtilClasses`` package.

Re-exports of :mod:`hologram_sdk.compat.utilclasses`.
"""

from hologram_sdk.compat.utilclasses import SMS, Location, ModemResult, RWLock

__all__ = ["SMS", "Location", "ModemResult", "RWLock"]
