"""Which devices the local cloud accepts: the devices file and the credential table."""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections.abc import Iterable
from typing import Callable, Optional

from hologram_sdk.base.config import load_hjson_file
from hologram_sdk.base.credentials import (
    DEVICEKEY_LENGTH,
    SEED_LENGTH,
    devicekey_ok,
    seed_pair_ok,
)
from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.emulator.cloud import auth as cloud_auth
from hologram_sdk.emulator.cloud.records import Device, PathLike
from hologram_sdk.emulator.cloud.registration import RegistrationLimit
from hologram_sdk.wire.protocol import Credentials, Request, RequestError, ResultCode


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


def _same(a: Optional[str], b: Optional[str]) -> bool:
    if a is None or b is None:
        return False
    return hmac.compare_digest(
        a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    )


#: a key kept only as its salted hash (the store's ``seal``; see store.SEALED)
_SEALED = "hmac-sha256$"
Seal = Callable[[str], str]


def load_devices_file(path: PathLike) -> list[Device]:
    """Read a devices file (HJSON, comments allowed).

    Either a list or ``{"devices": [...]}``; each entry has ``cloud_id`` and
    ``cloud_key`` (4 characters each) or ``devicekey`` (8 characters), and an
    optional ``name`` (default ``device-N``) and ``inbound_port`` (where the
    device listens for cloud-to-device messages; default 4010)::

        {
          devices: [
            // the seed format
            { name: "sensor-1", cloud_id: "1d3g", cloud_key: "5a7b" }
            // the device-key format
            { name: "tracker", devicekey: "k3y0f8ch" }
          ]
        }

    :raises ConfigurationError: missing file, bad HJSON, or a bad entry
    """
    name = os.fspath(path)
    parsed = load_hjson_file(path, "devices file")
    entries = parsed.get("devices") if isinstance(parsed, dict) else parsed
    if not isinstance(entries, list):
        raise ConfigurationError(
            f"devices file {name}: expected a list of devices or {{devices: [...]}}"
        )
    devices: list[Device] = []
    seen: set[str] = set()
    # who holds each credential, to refuse a file where two entries share one
    # (the second's messages would be stored under the first's name, or it
    # could never authenticate); keyed by a digest so no key sits in a dict
    holders: dict[tuple[str, bytes], str] = {}

    def claim(what: str, secret: str, where_now: str) -> None:
        first = holders.setdefault((what, _digest(secret)), where_now)
        if first != where_now:
            raise ConfigurationError(
                f"devices file {name}: {first} and {where_now} have the same {what}; "
                "each device needs its own"
            )

    for index, entry in enumerate(entries, start=1):
        where = f"devices file {name}, entry {index}"
        if not isinstance(entry, dict):
            raise ConfigurationError(f"{where}: expected an object")
        for key in ("name", "cloud_id", "cloud_key", "devicekey"):
            if key in entry and not isinstance(entry[key], str):
                raise ConfigurationError(f"{where}: '{key}' must be a string (quote it)")
        dev_name = entry.get("name") or f"device-{index}"
        if dev_name in seen:
            raise ConfigurationError(f"{where}: the name {dev_name!r} is used twice")
        seen.add(dev_name)
        if cloud_auth.is_auth_entry(entry):  # TOTP/SIM-OTP devices: see .auth
            continue
        port = entry.get("inbound_port")
        if port is not None and (
            isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535
        ):
            raise ConfigurationError(f"{where}: 'inbound_port' must be a number 1..65535")
        if entry.get("devicekey"):
            if not devicekey_ok(entry["devicekey"]):
                raise ConfigurationError(
                    f"{where}: 'devicekey' must be {DEVICEKEY_LENGTH} characters"
                )
            label = f"entry {index} ({dev_name!r})"
            claim("devicekey", entry["devicekey"], label)
            claim("SMS credentials (devicekey or cloud_id+cloud_key)", entry["devicekey"], label)
            devices.append(Device(dev_name, devicekey=entry["devicekey"], inbound_port=port))
        elif entry.get("cloud_id") and entry.get("cloud_key"):
            if not seed_pair_ok(entry["cloud_id"], entry["cloud_key"]):
                raise ConfigurationError(
                    f"{where}: 'cloud_id' and 'cloud_key' must be {SEED_LENGTH} characters each"
                )
            label = f"entry {index} ({dev_name!r})"
            claim("cloud_id", entry["cloud_id"], label)
            claim(
                "SMS credentials (devicekey or cloud_id+cloud_key)",
                entry["cloud_id"] + entry["cloud_key"],
                label,
            )
            devices.append(
                Device(dev_name, entry["cloud_id"], entry["cloud_key"], inbound_port=port)
            )
        else:
            raise ConfigurationError(f"{where}: give 'cloud_id' and 'cloud_key', or 'devicekey'")
    return devices


class DeviceTable:
    """Which credentials the local cloud accepts.

    With ``open_registration`` any well-formed credentials are accepted and
    the device is registered on first contact (``on_register`` is told);
    otherwise only the listed devices are.
    """

    def __init__(
        self,
        devices: Iterable[Device] = (),
        *,
        open_registration: bool = True,
        on_register: Optional[Callable[[Device], None]] = None,
        name_prefix: str = "device",
        seal: Optional[Seal] = None,
        limit: Optional[RegistrationLimit] = None,
    ) -> None:
        self._lock = threading.Lock()
        #: turns a key into what the database keeps (devices loaded from it hold that)
        self._seal = seal
        #: devices registered on first contact are named ``<name_prefix>-N``
        self.name_prefix = name_prefix
        self._devices: list[Device] = []
        self._names: set[str] = set()
        #: how fast new devices may register (open registration; None: no limit)
        self.limit = limit
        # Lookups by cloud_id, and by a hash of the device key (so the dict's
        # own comparisons never touch a key); the key itself is then checked
        # with a constant-time comparison. A fleet of thousands stays O(1).
        self._by_id: dict[str, Device] = {}
        self._by_key: dict[bytes, Device] = {}
        for device in devices:
            self._add(device)
        self.open_registration = open_registration
        self._on_register = on_register

    def _add(self, device: Device) -> None:
        self._devices.append(device)
        self._names.add(device.name)
        if device.cloud_id is not None:
            self._by_id.setdefault(device.cloud_id, device)
        if device.devicekey:
            self._by_key.setdefault(_digest(device.devicekey), device)

    def __len__(self) -> int:
        with self._lock:
            return len(self._devices)

    @property
    def names(self) -> list[str]:
        with self._lock:
            return [d.name for d in self._devices]

    def authenticate(self, request: Request, peer: str = "-") -> tuple[Device, bool]:
        """The device that sent ``request`` and whether it was just registered.

        :param peer: ``host:port`` it came from (what the registration limit counts)
        :raises RequestError: ERR_AUTHINVALID for unknown or wrong credentials;
            :class:`RegistrationRefused` for a new device over the limit
        """
        creds = request.credentials
        with self._lock:
            if request.kind == "sms":
                device = self._find_sms(creds.auth_prefix)
            elif creds.devicekey:
                device = self._find_key(creds.devicekey)
            else:
                device = self._find_seed(creds)
            if device is not None:
                return device, False
            if not self.open_registration:
                raise RequestError(ResultCode.ERR_AUTHINVALID, "unknown credentials")
            if self.limit is not None:
                self.limit.admit(peer, len(self._devices))
            device = Device(
                self._next_name(),
                cloud_id=creds.cloud_id,
                cloud_key=creds.cloud_key,
                devicekey=creds.devicekey,
            )
            self._add(device)
        if self._on_register is not None:
            self._on_register(device)
        return device, True

    def _matches(self, stored: Optional[str], given: Optional[str]) -> bool:
        """Constant-time: ``given`` is the key ``stored`` holds (plain or sealed)."""
        if stored is None or given is None:
            return False
        if stored.startswith(_SEALED) and self._seal is not None:
            return _same(stored, self._seal(given))
        return _same(stored, given)

    def _find_key(self, key: str) -> Optional[Device]:
        d = self._by_key.get(_digest(key))  # a key kept as given (a devices file)
        if d is not None and not (d.devicekey or "").startswith(_SEALED):
            return d if _same(d.devicekey, key) else None
        if self._seal is None:
            return None
        sealed = self._seal(key)  # once: the index and the comparison both use it
        d = self._by_key.get(_digest(sealed))
        return d if d is not None and _same(d.devicekey, sealed) else None

    def _find_seed(self, creds: Credentials) -> Optional[Device]:
        d = self._by_id.get(creds.cloud_id) if creds.cloud_id is not None else None
        if d is None:
            return None
        if self._matches(d.cloud_key, creds.cloud_key):
            return d
        raise RequestError(ResultCode.ERR_AUTHINVALID, "wrong cloud_key for this cloud_id")

    def _find_sms(self, auth: str) -> Optional[Device]:
        d = self._find_key(auth)
        if d is not None:
            return d
        d = self._by_id.get(auth[:4])
        if d is not None and self._matches(d.cloud_key, auth[4:]):
            return d
        if d is not None:
            raise RequestError(ResultCode.ERR_AUTHINVALID, "wrong cloud_key for this cloud_id")
        return None

    def _next_name(self) -> str:
        n = len(self._devices) + 1
        while f"{self.name_prefix}-{n}" in self._names:
            n += 1
        return f"{self.name_prefix}-{n}"
