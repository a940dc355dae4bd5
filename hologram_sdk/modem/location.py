"""Where the modem is: the :class:`Location` value and the parsers of the answers giving it.

Two sources, one value:

* u-blox CellLocate (SARA-U201, and the R4 the same way): ``AT+ULOC=2,2,0,<timeout>,
  <accuracy>`` is answered ``OK`` at once and the fix comes later in the URC
  ``+UULOC: <date>,<time>,<lat>,<long>,<alt>,<uncertainty>[,...]`` (date
  ``DD/MM/YYYY``, time ``HH:MM:SS.sss``, UTC; the extended answer adds fields
  after these six, which are ignored);
* Quectel GNSS (BG96, EC21, EC25): ``AT+QGPSLOC=2`` answers
  ``+QGPSLOC: <utc>,<lat>,<lon>,<hdop>,<alt>,<fix>,<cog>,<spkm>,<spkn>,<date>,<nsat>``
  (``hhmmss.sss``; degrees as signed decimals in mode 2; date ``ddmmyy``), or
  ``+CME ERROR: 516`` while there is no fix yet.

The parsers are pure and raise :class:`~hologram_sdk.errors.ModemError` on
anything they cannot read, never another exception.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from typing import Any, Optional

from hologram_sdk.base.errors import ModemError

#: CME code with which Quectel's ``AT+QGPSLOC`` says "no fix yet"
QUECTEL_NO_FIX = 516
#: CME code with which Quectel says the GNSS session is not running (``AT+QGPS=1`` first)
QUECTEL_SESSION_INACTIVE = 505
#: CME code with which Quectel says the GNSS session already runs (``AT+QGPS=1`` twice)
QUECTEL_SESSION_ONGOING = 504

_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$", re.ASCII)


@dataclass(frozen=True)
class Location:
    """One position fix.

    :param date: the day of the fix (UTC)
    :param time: the time of day of the fix (UTC)
    :param latitude: degrees, north positive (-90..90)
    :param longitude: degrees, east positive (-180..180)
    :param altitude: metres above mean sea level, when known
    :param uncertainty: radius of the horizontal uncertainty in metres, when the
        source gives one (CellLocate does; GNSS gives an HDOP, kept in ``hdop``)
    :param source: ``"celllocate"`` or ``"gnss"``
    :param hdop: GNSS horizontal dilution of precision, when known
    :param satellites: GNSS satellites used, when known
    """

    date: _dt.date
    time: _dt.time
    latitude: float
    longitude: float
    altitude: Optional[float] = None
    uncertainty: Optional[float] = None
    source: str = "celllocate"
    hdop: Optional[float] = None
    satellites: Optional[int] = None

    @property
    def timestamp(self) -> _dt.datetime:
        """Date and time together, in UTC."""
        return _dt.datetime.combine(self.date, self.time, tzinfo=_dt.timezone.utc)

    def to_dict(self) -> dict[str, Any]:
        """The six fields of the 0.10 SDK (date and time as ISO text) and the source."""
        return {
            "date": self.date.isoformat(),
            "time": self.time.isoformat(),
            "latitude": self.latitude,
            "longitude": self.longitude,
            "altitude": self.altitude,
            "uncertainty": self.uncertainty,
            "source": self.source,
        }


def _fields(args: str) -> list[str]:
    return [field.strip().strip('"').strip() for field in args.split(",")]


def _number(text: str, what: str) -> float:
    if not _NUMBER_RE.match(text):
        raise ModemError(f"location: {what} is not a number: {text[:40]!r}")
    value = float(text)
    if not math.isfinite(value):
        raise ModemError(f"location: {what} is not finite: {text[:40]!r}")
    return value


def _optional_number(text: str, what: str) -> Optional[float]:
    return None if text == "" else _number(text, what)


def _check_position(latitude: float, longitude: float) -> None:
    if not -90.0 <= latitude <= 90.0:
        raise ModemError(f"location: latitude {latitude} is outside -90..90")
    if not -180.0 <= longitude <= 180.0:
        raise ModemError(f"location: longitude {longitude} is outside -180..180")


def _time_of_day(hours: str, minutes: str, seconds: str) -> _dt.time:
    """``hh``, ``mm`` and ``ss[.fff]`` as a :class:`datetime.time`."""
    if not (hours.isdigit() and minutes.isdigit() and hours.isascii() and minutes.isascii()):
        raise ModemError(f"location: bad time {hours}:{minutes}:{seconds}")
    second = _number(seconds, "seconds")
    whole = int(second)
    micro = min(999_999, round((second - whole) * 1_000_000))
    try:
        return _dt.time(int(hours), int(minutes), whole, micro)
    except ValueError as exc:
        raise ModemError(f"location: bad time {hours}:{minutes}:{seconds}") from exc


def _day(year: int, month: int, day: int) -> _dt.date:
    try:
        return _dt.date(year, month, day)
    except ValueError as exc:
        raise ModemError(f"location: bad date {day:02d}/{month:02d}/{year}") from exc


_ULOC_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", re.ASCII)
_ULOC_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$", re.ASCII)


def parse_uuloc(args: str) -> Location:
    """The :class:`Location` in a ``+UULOC`` URC (the text after ``+UULOC:``).

    :raises ModemError: fewer than six fields, or one that is not what it should be
    """
    fields = _fields(args)
    if len(fields) < 6:
        raise ModemError(f"location: +UULOC needs 6 fields, got {len(fields)}: {args[:80]!r}")
    date_match = _ULOC_DATE_RE.match(fields[0])
    time_match = _ULOC_TIME_RE.match(fields[1])
    if date_match is None or time_match is None:
        raise ModemError(f"location: bad +UULOC date/time: {fields[0]!r} {fields[1]!r}")
    day, month, year = (int(group) for group in date_match.groups())
    latitude = _number(fields[2], "latitude")
    longitude = _number(fields[3], "longitude")
    _check_position(latitude, longitude)
    uncertainty = _optional_number(fields[5], "uncertainty")
    if uncertainty is not None and uncertainty < 0:
        raise ModemError(f"location: negative uncertainty {uncertainty}")
    return Location(
        date=_day(year, month, day),
        time=_time_of_day(*time_match.groups()),
        latitude=latitude,
        longitude=longitude,
        altitude=_optional_number(fields[4], "altitude"),
        uncertainty=uncertainty,
        source="celllocate",
    )


_QGPS_TIME_RE = re.compile(r"^(\d{2})(\d{2})(\d{2}(?:\.\d+)?)$", re.ASCII)
_QGPS_DATE_RE = re.compile(r"^(\d{2})(\d{2})(\d{2})$", re.ASCII)


def parse_qgpsloc(args: str) -> Location:
    """The :class:`Location` in a ``+QGPSLOC`` answer (mode 2: decimal degrees).

    :raises ModemError: fewer than eleven fields, or one that is not what it should be
    """
    fields = _fields(args)
    if len(fields) < 11:
        raise ModemError(
            f"location: +QGPSLOC needs 11 fields, got {len(fields)}: {args[:80]!r}"
        )
    time_match = _QGPS_TIME_RE.match(fields[0])
    date_match = _QGPS_DATE_RE.match(fields[9])
    if time_match is None or date_match is None:
        raise ModemError(f"location: bad +QGPSLOC time/date: {fields[0]!r} {fields[9]!r}")
    day, month, year = (int(group) for group in date_match.groups())
    latitude = _number(fields[1], "latitude")
    longitude = _number(fields[2], "longitude")
    _check_position(latitude, longitude)
    satellites = fields[10]
    return Location(
        date=_day(2000 + year, month, day),
        time=_time_of_day(*time_match.groups()),
        latitude=latitude,
        longitude=longitude,
        altitude=_optional_number(fields[4], "altitude"),
        uncertainty=None,
        source="gnss",
        hdop=_optional_number(fields[3], "hdop"),
        satellites=int(satellites) if satellites.isdigit() and satellites.isascii() else None,
    )
