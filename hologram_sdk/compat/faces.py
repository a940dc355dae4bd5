"""One name, both generations' import forms.

In hologram-python 0.10, ``Hologram.Network.NetworkManager`` (and ``Cellular``,
``Ethernet``, the modem modules, ...) is a *module* holding a class of the same
name; in the 2017 reference and in this SDK it is the *class*. Code of both
generations must run::

    from Hologram.Network import NetworkManager
    NetworkManager.NetworkManager(event, '')   # 0.10: module.Class
    NetworkManager(event, '')                  # 2017 / ours: the class

The face packages keep the class as the package attribute (their module class
refuses to let the import system replace it with the submodule), and
:func:`expose` gives the class the public names of its face module as class
attributes: the class itself under its own name, and module constants such as
``ERR_OK`` or ``CLOUD_CONNECTED``. So ``import Hologram.HologramCloud as hc``
(which binds the class) still finds ``hc.ERR_OK`` and ``hc.HologramCloud``.

This is the least magic that serves both: no callable modules, no import hooks;
``isinstance`` and subclassing keep working on the class. A name already defined
on the class is never overwritten.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterable
from typing import Any


def expose(cls: type, module_name: str, names: Iterable[str]) -> None:
    """Give ``cls`` the listed public names of the face module ``module_name``."""
    module = sys.modules[module_name]
    for name in names:
        if name not in vars(cls) and hasattr(module, name):
            setattr(cls, name, getattr(module, name))


def keep_classes(module_name: str, names: Iterable[str]) -> None:
    """Make the package ``module_name`` keep its class attributes ``names`` when a
    submodule of the same name is imported (the import system would otherwise
    replace the class with the submodule), and let each such class answer its
    own name (``NetworkManager.NetworkManager``), as 0.10's module did."""
    kept = frozenset(names)
    package = sys.modules[module_name]
    for name in kept:
        value = getattr(package, name, None)
        if isinstance(value, type) and name not in vars(value):
            setattr(value, name, value)
    base = type(package)

    class _ClassesStay(base):  # type: ignore[misc,valid-type]
        def __setattr__(self, name: str, value: Any) -> None:
            if name in kept and isinstance(value, types.ModuleType) and name in vars(self):
                return  # the submodule stays reachable through sys.modules
            super().__setattr__(name, value)

    package.__class__ = _ClassesStay
