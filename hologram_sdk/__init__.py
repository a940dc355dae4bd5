"""Hologram cellular-IoT SDK: cloud messaging, a durable outbox, modems and PPP.

Layers (a layer imports only the ones below it)::

    façade     cloud/ (Cloud, CustomCloud, HologramCloud)  network/ (NetworkManager, Cellular)
    services   events (Event)  outbox (durable queue)  config (credentials files)
    protocol   cloud/protocol (pure)  modem/at parsing  network/ppp parsing
    transport  serial ports, TCP client and listener, subprocesses

``emulator/`` (modem emulator, local cloud) and ``cli/`` sit beside the stack.
Public names are imported lazily so that ``import hologram_sdk`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "1.0.0.dev0"

# name -> module that defines it; imported on first access (PEP 562).
_LAZY = {
    "Cloud": "hologram_sdk.cloud.base",
    "CustomCloud": "hologram_sdk.cloud.custom",
    "HologramCloud": "hologram_sdk.cloud.hologram",
    "ResultCode": "hologram_sdk.cloud.protocol",
    "Event": "hologram_sdk.events",
    "Outbox": "hologram_sdk.outbox",
    "NetworkManager": "hologram_sdk.network.manager",
    "Cellular": "hologram_sdk.network.cellular",
    "Modem": "hologram_sdk.modem.modem",
    "E303": "hologram_sdk.modem.e303",
    "MS2131": "hologram_sdk.modem.ms2131",
    "IOTA": "hologram_sdk.modem.iota",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hologram_sdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
