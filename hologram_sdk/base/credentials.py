"""Device credentials: the two formats the cloud accepts and their rules, in one place.

A device authenticates with the seed pair (``cloud_id`` + ``cloud_key``, 4
characters each) or with a ``devicekey`` (8 characters). The client, the
credentials file and the local cloud all check those rules here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from hologram_sdk.base.errors import CredentialsError

if TYPE_CHECKING:
    from typing_extensions import TypeGuard  # for mypy only (typing has it from 3.10)

#: characters in each of ``cloud_id`` and ``cloud_key`` (the seed pair)
SEED_LENGTH = 4
#: characters in a ``devicekey``
DEVICEKEY_LENGTH = 8


def devicekey_ok(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a well-formed device key (a string of 8 characters)."""
    return isinstance(value, str) and len(value) == DEVICEKEY_LENGTH


def seed_part_ok(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a well-formed ``cloud_id`` or ``cloud_key`` (4 characters)."""
    return isinstance(value, str) and len(value) == SEED_LENGTH


def seed_pair_ok(cloud_id: object, cloud_key: object) -> bool:
    """Whether both halves of the seed pair are well formed."""
    return seed_part_ok(cloud_id) and seed_part_ok(cloud_key)


@dataclass(frozen=True)
class Credentials:
    """Either the seed pair (``cloud_id``/``cloud_key``) or a ``devicekey``."""

    cloud_id: Optional[str] = None
    cloud_key: Optional[str] = None
    devicekey: Optional[str] = None

    def __repr__(self) -> str:  # never show key material
        kind = "devicekey" if self.devicekey else "cloud_id/cloud_key"
        return f"Credentials({kind}, masked)"

    @property
    def auth_prefix(self) -> str:
        """What an SMS request carries between ``S`` and the number."""
        if self.devicekey:
            return self.devicekey
        return f"{self.cloud_id}{self.cloud_key}"

    @property
    def device(self) -> str:
        """A non-secret name for the device (for logs and the local cloud)."""
        return self.cloud_id if self.cloud_id else "devicekey"


def parse_credentials(raw: object) -> Credentials:
    """Validate a credentials mapping from the reference API.

    :raises CredentialsError: when neither format is complete and well formed
    """
    if isinstance(raw, Credentials):
        return raw
    if not isinstance(raw, dict):
        raise CredentialsError(
            "credentials must be a dict with 'cloud_id' and 'cloud_key' (4 characters each) "
            "or 'devicekey' (8 characters)"
        )
    devicekey = raw.get("devicekey")
    if devicekey:
        if not devicekey_ok(devicekey):
            raise CredentialsError("'devicekey' must be a string of 8 characters")
        return Credentials(devicekey=devicekey)
    cloud_id, cloud_key = raw.get("cloud_id"), raw.get("cloud_key")
    if not cloud_id or not cloud_key:
        raise CredentialsError(
            "missing credentials: give 'cloud_id' and 'cloud_key' (4 characters each) "
            "or 'devicekey' (8 characters)"
        )
    for name, value in (("cloud_id", cloud_id), ("cloud_key", cloud_key)):
        if not seed_part_ok(value):
            raise CredentialsError(f"'{name}' must be a string of 4 characters")
    return Credentials(cloud_id=cloud_id, cloud_key=cloud_key)
