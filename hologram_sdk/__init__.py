"""Hologram cellular-IoT SDK: cloud messaging, a durable outbox, modems and PPP.

Layers, bottom up (a layer imports only the ones below it; the library never
imports ``emulator/`` or ``cli/``; docs/ARCHITECTURE.md has the whole map)::

    base       errors, events, credentials and config, backoff, paths, digits
    wire       protocol and auth codecs (pure)
    transport  tcp (connect/send), server (the one selector loop), listener (inbound)
    modem      AT channel, ports (+ URL schemes), registry of drivers, drivers
    network    NetworkManager, Cellular, PPP, serial mode
    outbox     the durable queue (given a send function)
    cloud      the facade: Cloud, CustomCloud, HologramCloud
    compat     the 0.10 surface (Hologram/, Exceptions/, UtilClasses/ re-export it)
    emulator   stand-ins (modem emulator, local cloud), on top
    cli        the ``hologram`` command

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
    "ResultCode": "hologram_sdk.wire.protocol",
    "Event": "hologram_sdk.base.events",
    "Outbox": "hologram_sdk.outbox",
    "NetworkManager": "hologram_sdk.network.manager",
    "Cellular": "hologram_sdk.network.cellular",
    "Modem": "hologram_sdk.modem.modem",
    "E303": "hologram_sdk.modem.e303",
    "MS2131": "hologram_sdk.modem.ms2131",
    "IOTA": "hologram_sdk.modem.iota",
    "Nova_U201": "hologram_sdk.modem.nova",
    "NovaM": "hologram_sdk.modem.nova",
    "BG96": "hologram_sdk.modem.quectel",
    "EC21": "hologram_sdk.modem.quectel",
    "EC25": "hologram_sdk.modem.quectel",
    "E372": "hologram_sdk.modem.e372",
    "Location": "hologram_sdk.modem.location",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hologram_sdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
