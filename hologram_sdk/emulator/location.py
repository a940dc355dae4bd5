"""Where the emulated modem is: a position fix, or none (``set(location=...)``)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Optional, Union

from hologram_sdk.base.errors import ConfigurationError


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)


@dataclass(frozen=True)
class Fix:
    """A position: degrees (north and east positive), metres, and the time of the fix (UTC)."""

    latitude: float
    longitude: float
    altitude: float = 0.0
    #: horizontal uncertainty in metres (u-blox); Quectel reports HDOP instead
    uncertainty: float = 10.0
    hdop: float = 1.0
    satellites: int = 8
    timestamp: _dt.datetime = field(default_factory=_now)

    def __post_init__(self) -> None:
        if not -90.0 <= self.latitude <= 90.0 or not -180.0 <= self.longitude <= 180.0:
            raise ConfigurationError(
                f"a fix needs latitude -90..90 and longitude -180..180, "
                f"not {self.latitude}, {self.longitude}"
            )


#: the default fix (Hologram's Chicago office)
DEFAULT_FIX = Fix(41.8838, -87.6325, 181.0, 50.0)


def parse_fix(value: Union[Fix, str]) -> Optional[Fix]:
    """A :class:`Fix`, ``"none"`` (no fix) or ``"<lat>,<lon>[,<alt>]"``.

    :raises ConfigurationError: none of those
    """
    if isinstance(value, Fix):
        return value
    if value.strip().lower() in ("none", "no fix", "nofix"):
        return None
    try:
        numbers = [float(part) for part in value.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) not in (2, 3):
        raise ConfigurationError(
            f"location must be 'none' or '<lat>,<lon>[,<alt>]', not {value!r}"
        )
    return Fix(numbers[0], numbers[1], numbers[2] if len(numbers) == 3 else 0.0)


class Location:
    """The fix the modem would report now (None: it has none)."""

    def __init__(self, fix: Optional[Fix] = DEFAULT_FIX) -> None:
        self.fix = fix
