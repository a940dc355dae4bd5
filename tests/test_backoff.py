"""The one Backoff: growth, cap, both jitter spreads, the injected random source."""

import random

import pytest

from hologram_sdk.base.backoff import Backoff
from hologram_sdk.base.errors import ConfigurationError


def test_grows_by_the_multiplier_up_to_the_cap():
    backoff = Backoff(0.5, 8.0, multiplier=3.0)
    assert [backoff.delay(n) for n in range(5)] == [0.5, 1.5, 4.5, 8.0, 8.0]
    assert backoff.delay(10**6) == 8.0  # no overflow for a huge attempt number


def test_below_spread_only_shortens_and_uses_the_given_source():
    rng = random.Random(3)
    backoff = Backoff(1.0, 100.0, jitter=0.5, random=rng.random)
    values = [backoff.delay(2) for _ in range(300)]
    assert all(2.0 <= v <= 4.0 for v in values)
    assert len(set(values)) > 250
    assert Backoff(1.0, 100.0, jitter=0.5, random=lambda: 0.0).delay(2) == 4.0


def test_around_spread_goes_both_ways_and_is_capped_again():
    backoff = Backoff(2.0, 10.0, jitter=0.25, spread="around")
    assert backoff.delay(0, 0.0) == pytest.approx(1.5)
    assert backoff.delay(0, 0.999999) == pytest.approx(2.5, rel=1e-5)
    assert backoff.delay(3, 0.999999) == 10.0


@pytest.mark.parametrize("kwargs", [
    {"base": -1, "cap": 1}, {"base": 2, "cap": 1}, {"base": 1, "cap": 2, "multiplier": 0.5},
    {"base": 1, "cap": 2, "jitter": 1.5}, {"base": 1, "cap": 2, "spread": "sideways"},
])
def test_bad_settings_are_configuration_errors(kwargs):
    with pytest.raises(ConfigurationError):
        Backoff(**kwargs)
