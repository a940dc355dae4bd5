"""The 0.10 path ``UtilClasses.UtilClasses`` (re-export)."""

from hologram_sdk.compat.utilclasses import SMS, Location, ModemResult, RWLock

__all__ = ["SMS", "Location", "ModemResult", "RWLock"]
