"""Hypothesis budget shared by the property tests: 10,000 examples in CI,
ten times more under ``make fuzz`` (HOLOGRAM_FUZZ_FACTOR=10)."""

import os

from hypothesis import HealthCheck, settings

FACTOR = int(os.environ.get("HOLOGRAM_FUZZ_FACTOR", "1"))
FUZZ = settings(
    max_examples=10_000 * FACTOR,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
