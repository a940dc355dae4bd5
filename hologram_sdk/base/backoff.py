"""THE backoff: how long to wait before retry number n, in one formula.

``Backoff(base, cap, multiplier, jitter)``: attempt ``n`` (0-based) waits
``min(cap, base * multiplier**n)`` seconds, then jitter spreads it:

- ``spread="below"`` (default): shortened by up to ``jitter`` of itself, so a
  delay never exceeds the full value (the outbox's flusher);
- ``spread="around"``: scaled into ``[1 - jitter, 1 + jitter]`` of itself and
  capped again (the cellular reconnect).

The random source is passed in (``random``, a function returning a float in
[0, 1)), so tests pin it instead of patching.
"""

from __future__ import annotations

import random as _random
from dataclasses import dataclass, field
from typing import Callable, Optional

from hologram_sdk.base.errors import ConfigurationError

#: the largest exponent used (beyond it every delay is the cap anyway)
_MAX_EXPONENT = 64
_SPREADS = ("below", "around")


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with a cap and jitter.

    :param base: seconds before the first retry (attempt 0)
    :param cap: the longest delay, seconds
    :param multiplier: growth per attempt (>= 1)
    :param jitter: fraction of random spread, 0 (none) to 1
    :param spread: ``"below"`` (only shorter) or ``"around"`` (shorter or longer)
    :param random: source of uniform floats in [0, 1)
    :raises ConfigurationError: a negative base, a cap below the base, a
        multiplier below 1, jitter outside [0, 1] or an unknown spread
    """

    base: float
    cap: float
    multiplier: float = 2.0
    jitter: float = 0.0
    spread: str = "below"
    random: Callable[[], float] = field(default=_random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.base <= self.cap:
            raise ConfigurationError(f"backoff needs 0 <= base <= cap, got {self.base!r} and "
                                     f"{self.cap!r}")
        if self.multiplier < 1:
            raise ConfigurationError(f"multiplier must be >= 1, got {self.multiplier!r}")
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError(f"jitter must be between 0 and 1, got {self.jitter!r}")
        if self.spread not in _SPREADS:
            raise ConfigurationError(f"spread must be 'below' or 'around', not {self.spread!r}")

    def full(self, attempt: int) -> float:
        """The delay before ``attempt`` (0-based) without jitter."""
        exponent = min(max(attempt, 0), _MAX_EXPONENT)
        return min(self.cap, self.base * self.multiplier**exponent)

    def delay(self, attempt: int, rand: Optional[float] = None) -> float:
        """Seconds to wait before ``attempt`` (0-based), jitter included.

        :param rand: the random number to use (default: one from ``random``)
        """
        full = self.full(attempt)
        if not self.jitter:
            return full
        r = self.random() if rand is None else rand
        if self.spread == "below":
            return full * (1.0 - self.jitter * r)
        return min(self.cap, max(0.0, full * (1.0 - self.jitter + 2.0 * self.jitter * r)))
