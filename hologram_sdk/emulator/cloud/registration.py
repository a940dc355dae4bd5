"""How fast the local cloud registers new devices (open registration, no ``--devices``).

Without a devices file any well-formed credentials register a device on first
contact. That must not let one address fill the database: :class:`RegistrationLimit`
gives each source address a token bucket for *new* devices (``per_minute``, and
as many at once: the bucket holds a minute's worth) and the whole cloud a total
cap (``max_devices``). Known devices never ask it: they are found before.

Refusals, chosen so a device's outbox does the right thing:

* over the rate: ``6`` (ERR_INTERNAL, "try again later"): an outbox keeps the
  message and retries, and a later attempt registers it;
* over the total cap: ``3`` (ERR_AUTHINVALID), as for a device missing from a
  devices file: the cloud does not take new devices until an operator raises
  ``--max-devices``.

Each refusal is counted; at most one log line per ``log_every`` seconds says
how many were refused since the last one and from where (an address, never a
credential). IPv6 sources count per /64, the block one host usually holds.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections import OrderedDict
from typing import Callable

from hologram_sdk.base.errors import ConfigurationError
from hologram_sdk.wire.protocol import RequestError, ResultCode

logger = logging.getLogger("hologram_sdk.emulator.cloud")

#: new devices per minute from one source address (and at once)
DEFAULT_PER_MINUTE = 600.0
#: devices the cloud registers in all
DEFAULT_MAX_DEVICES = 100_000
#: source addresses remembered (least recently seen forgotten first)
MAX_SOURCES = 65_536


class RegistrationRefused(RequestError):
    """A new device not registered (rate or cap); logged by :class:`RegistrationLimit`."""


def source_of(peer: str) -> str:
    """The address a peer ``host:port`` counts under: the host, an IPv6 one by its /64."""
    host = peer.rsplit(":", 1)[0] if ":" in peer else peer
    host = host.strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class RegistrationLimit:
    """Token bucket per source for new devices, and a total cap.

    :param per_minute: new devices per minute from one source (``0``: no limit);
        a source may register this many at once, then one every ``60/per_minute`` s
    :param max_devices: devices registered in all (``0``: no cap)
    :param clock: monotonic seconds (pass one in tests)
    :param log_every: seconds between two log lines about refusals
    :raises ConfigurationError: a negative or non-finite limit
    """

    def __init__(
        self,
        per_minute: float = DEFAULT_PER_MINUTE,
        max_devices: int = DEFAULT_MAX_DEVICES,
        *,
        clock: Callable[[], float] = time.monotonic,
        log: logging.Logger = logger,
        log_every: float = 10.0,
        max_sources: int = MAX_SOURCES,
    ) -> None:
        if not 0 <= per_minute < float("inf") or isinstance(max_devices, bool) or max_devices < 0:
            raise ConfigurationError(
                f"registration rate must be >= 0 per minute and max devices >= 0, "
                f"not {per_minute!r} and {max_devices!r}"
            )
        self.per_minute = float(per_minute)
        self.max_devices = int(max_devices)
        self._clock = clock
        self._log = log
        self._log_every = log_every
        self._max_sources = max(1, max_sources)
        #: source -> (tokens, when counted), least recently used first
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        #: refusals in all, and since the last log line
        self.refused = 0
        self._unlogged = 0
        self._last_line = float("-inf")

    def admit(self, peer: str, registered: int) -> None:
        """Take a token for one new device from ``peer`` (``host:port``).

        :param registered: devices registered so far
        :raises RegistrationRefused: over the cap (3) or over the source's rate (6)
        """
        source = source_of(peer)
        if self.max_devices and registered >= self.max_devices:
            self._refuse(
                source,
                ResultCode.ERR_AUTHINVALID,
                f"the cloud holds its maximum of {self.max_devices} devices",
            )
        if not self.per_minute:
            return
        now = self._clock()
        burst = max(1.0, self.per_minute)
        tokens, then = self._buckets.pop(source, (burst, now))
        tokens = min(burst, tokens + (now - then) * self.per_minute / 60.0)
        if tokens < 1.0:
            self._keep(source, tokens, now)
            self._refuse(
                source,
                ResultCode.ERR_INTERNAL,
                f"over {self.per_minute:g} new devices per minute from this address",
            )
        self._keep(source, tokens - 1.0, now)

    def _keep(self, source: str, tokens: float, now: float) -> None:
        self._buckets[source] = (tokens, now)
        while len(self._buckets) > self._max_sources:
            self._buckets.popitem(last=False)

    def _refuse(self, source: str, code: ResultCode, reason: str) -> None:
        self.refused += 1
        self._unlogged += 1
        now = self._clock()
        if now - self._last_line >= self._log_every:
            self._log.warning(
                "new device from %s refused: %d (%s); %d refused since the last such line",
                source,
                int(code),
                reason,
                self._unlogged,
            )
            self._last_line = now
            self._unlogged = 0
        raise RegistrationRefused(code, reason)
