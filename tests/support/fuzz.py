"""Hypothesis budgets as named profiles, chosen with ``--hypothesis-profile``.

- ``dev`` (the default; ``make test``, ``make test-matrix``, plain ``pytest``):
  a quick pass over each property, so the suite stays fast.
- ``ci`` (``.ci/run``): more examples, and a failure prints the blob that
  reproduces it (``@reproduce_failure``).
- ``fuzz`` (``make fuzz``): ten times ``ci``.

The property tests take their number of examples from the profile through
``@FUZZ``; one whose examples are each costly takes ``fuzz_share(n)``.
Tests with a fixed budget (over real sockets) keep their own ``settings``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

CI_EXAMPLES = 1_000

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}
settings.register_profile("dev", max_examples=200, **_COMMON)
settings.register_profile("ci", max_examples=CI_EXAMPLES, print_blob=True, **_COMMON)
settings.register_profile("fuzz", max_examples=10 * CI_EXAMPLES, print_blob=True, **_COMMON)
# Before collection; --hypothesis-profile (read at pytest_configure) overrides it.
settings.load_profile("dev")


def FUZZ(test):  # noqa: N802 (read as a settings object: ``@FUZZ``)
    """Give ``test`` the loaded profile's budget. Applied when the test module
    is imported, which is after pytest has loaded --hypothesis-profile."""
    return settings(settings.default)(test)


def fuzz_share(divisor: int) -> settings:
    """The loaded profile with ``1/divisor`` of its examples, at least one:
    for a property whose examples are each costly."""
    return settings(settings.default,
                    max_examples=max(1, settings.default.max_examples // divisor))
