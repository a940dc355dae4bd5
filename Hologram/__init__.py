"""Compatibility face: the reference's ``Hologram`` import paths, re-exported lazily."""

import importlib
import sys
import types

_LAZY = {
    "Cloud": "hologram_sdk.cloud.base",
    "CustomCloud": "hologram_sdk.cloud.custom",
    "HologramCloud": "hologram_sdk.cloud.hologram",
    "Event": "hologram_sdk.base.events",
}

__all__ = ["Cloud", "CustomCloud", "Event", "HologramCloud"]


class _CompatPackage(types.ModuleType):
    """Keeps ``Hologram.HologramCloud`` (etc.) the class after its submodule is imported.

    The import system sets a package attribute for every submodule it loads;
    here a submodule named like a class must not replace the class.
    """

    def __setattr__(self, name, value):
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


def __getattr__(name):
    if name == "Hologram":  # the reference's example: `from Hologram import Hologram`
        return sys.modules[__name__]
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'Hologram' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


sys.modules[__name__].__class__ = _CompatPackage
