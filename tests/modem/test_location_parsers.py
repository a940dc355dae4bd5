"""The Location parsers: +UULOC (u-blox CellLocate) and +QGPSLOC (Quectel GNSS)."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hologram_sdk.base.errors import ModemError
from hologram_sdk.modem.location import Location, parse_qgpsloc, parse_uuloc
from tests.support.fuzz import FUZZ, fuzz_share


def test_uuloc_standard_answer():
    found = parse_uuloc("13/04/2011,09:54:51.000,45.6334520,13.0618620,49,1")
    assert found == Location(
        dt.date(2011, 4, 13), dt.time(9, 54, 51), 45.633452, 13.061862, 49.0, 1.0, "celllocate"
    )
    assert found.timestamp == dt.datetime(2011, 4, 13, 9, 54, 51, tzinfo=dt.timezone.utc)
    assert found.to_dict() == {
        "date": "2011-04-13",
        "time": "09:54:51",
        "latitude": 45.633452,
        "longitude": 13.061862,
        "altitude": 49.0,
        "uncertainty": 1.0,
        "source": "celllocate",
    }


def test_uuloc_detailed_answer_keeps_the_first_six_fields():
    found = parse_uuloc("25/09/2013,10:13:29.250,-45.7140971,-13.7409172,266,17,0,0,18,1,6,3,9")
    assert (found.latitude, found.longitude, found.altitude, found.uncertainty) == (
        -45.7140971, -13.7409172, 266.0, 17.0,
    )
    assert found.time == dt.time(10, 13, 29, 250000)


def test_qgpsloc_mode_2_answer():
    found = parse_qgpsloc("061951.000,31.12738,121.36882,0.9,49.4,3,0.00,0.0,0.0,240718,09")
    assert found.date == dt.date(2018, 7, 24)
    assert found.time == dt.time(6, 19, 51)
    assert (found.latitude, found.longitude, found.altitude) == (31.12738, 121.36882, 49.4)
    assert (found.source, found.hdop, found.satellites, found.uncertainty) == ("gnss", 0.9, 9, None)


@pytest.mark.parametrize(
    "args",
    [
        "",
        "13/04/2011,09:54:51.000,45.6,13.0,49",  # five fields
        "31/02/2011,09:54:51.000,45.6,13.0,49,1",  # no 31 February
        "13/04/2011,25:54:51.000,45.6,13.0,49,1",  # hour 25
        "13/04/2011,09:54:51.000,95.0,13.0,49,1",  # latitude out of range
        "13/04/2011,09:54:51.000,45.6,181,49,1",  # longitude out of range
        "13/04/2011,09:54:51.000,nan,13.0,49,1",
        "13/04/2011,09:54:51.000,45.6,13.0,49,-3",  # negative uncertainty
        "13/04/2011,09:54:51.000,4\uff15.6,13.0,49,1",  # a full-width digit
    ],
)
def test_bad_uuloc_is_a_modem_error(args):
    with pytest.raises(ModemError):
        parse_uuloc(args)


@pytest.mark.parametrize(
    "args",
    [
        "061951.000,31.12738,121.36882,0.9,49.4,3,0.00,0.0,0.0,240718",  # ten fields
        "061951.000,31.12738,121.36882,0.9,49.4,3,0.00,0.0,0.0,300218,09",  # 30 February
        "0619.000,31.12738,121.36882,0.9,49.4,3,0.00,0.0,0.0,240718,09",
        "061951.000,N31.1,121.36882,0.9,49.4,3,0.00,0.0,0.0,240718,09",
    ],
)
def test_bad_qgpsloc_is_a_modem_error(args):
    with pytest.raises(ModemError):
        parse_qgpsloc(args)


@pytest.mark.fuzz
@FUZZ
@given(st.text(max_size=120))
def test_any_text_is_a_location_or_a_modem_error(text):
    for parse in (parse_uuloc, parse_qgpsloc):
        try:
            found = parse(text)
        except ModemError:
            continue
        assert -90 <= found.latitude <= 90 and -180 <= found.longitude <= 180


@pytest.mark.fuzz
@fuzz_share(5)  # each example formats and parses a whole fix
@given(
    lat=st.floats(-90, 90, allow_nan=False),
    lon=st.floats(-180, 180, allow_nan=False),
    alt=st.integers(-500, 9000),
    unc=st.integers(0, 20_000_000),
    when=st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2099, 12, 31)),
)
def test_uuloc_round_trip(lat, lon, alt, unc, when):
    text = (
        f"{when:%d/%m/%Y},{when:%H:%M:%S}.{when.microsecond // 1000:03d},"
        f"{lat:.7f},{lon:.7f},{alt},{unc}"
    )
    found = parse_uuloc(text)
    assert found.date == when.date()
    assert found.time.replace(microsecond=0) == when.time().replace(microsecond=0)
    assert found.latitude == pytest.approx(lat, abs=1e-7)
    assert found.longitude == pytest.approx(lon, abs=1e-7)
    assert (found.altitude, found.uncertainty) == (alt, unc)
