"""The local cloud: a stand-in for the Hologram cloud on loopback, backed by SQLite.

``LocalCloud`` (:mod:`.server`) serves the device protocol, answering with
:mod:`.requests`; ``CloudStore`` (:mod:`.store`) is its database, also opened
read-only by ``hologram messages``;
:mod:`.devices` decides which credentials are accepted; :mod:`.records` holds
what is stored. Everything importable from ``hologram_sdk.emulator.cloud``
before it became a package still is.
"""

from hologram_sdk.emulator.cloud.devices import DeviceTable, load_devices_file
from hologram_sdk.emulator.cloud.records import Device, StoredMessage, StoredSMS
from hologram_sdk.emulator.cloud.requests import (
    RequestHandler,
    find_terminator,
    push,
    request_kind,
)
from hologram_sdk.emulator.cloud.server import (
    DEFAULT_DRAIN_TIMEOUT,
    DEFAULT_HOST,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_REQUEST_BYTES,
    DEFAULT_PORT,
    LocalCloud,
)
from hologram_sdk.emulator.cloud.store import CloudStore

__all__ = [
    "DEFAULT_DRAIN_TIMEOUT",
    "DEFAULT_HOST",
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_REQUEST_BYTES",
    "DEFAULT_PORT",
    "CloudStore",
    "Device",
    "DeviceTable",
    "LocalCloud",
    "RequestHandler",
    "StoredMessage",
    "StoredSMS",
    "find_terminator",
    "load_devices_file",
    "push",
    "request_kind",
]
