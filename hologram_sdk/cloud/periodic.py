"""``PeriodicSender``: one background job sending the same message every interval
(hologram-python 0.10's ``sendPeriodicMessage``; there it died on Python 3.9+).

The thread waits on an :class:`threading.Event`, so :meth:`PeriodicSender.stop`
ends it at once, and a cloud's ``close()`` stops it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Optional

from hologram_sdk.base.errors import ConfigurationError

logger = logging.getLogger(__name__)

#: the shortest interval accepted, in seconds
MIN_PERIODIC_INTERVAL = 1


class PeriodicSender:
    """Calls ``send()`` every ``interval`` seconds until stopped, or until
    ``keep_going(result)`` says no, or ``send`` raises.

    :raises ConfigurationError: ``interval`` under :data:`MIN_PERIODIC_INTERVAL`
    """

    def __init__(
        self,
        interval: float,
        send: Callable[[], Any],
        keep_going: Callable[[Any], bool],
        name: str = "hologram-periodic",
    ) -> None:
        if isinstance(interval, bool) or not isinstance(interval, (int, float)):
            raise ConfigurationError(f"interval must be a number of seconds, not {interval!r}")
        if interval < MIN_PERIODIC_INTERVAL:
            raise ConfigurationError(
                f"Interval cannot be less than {MIN_PERIODIC_INTERVAL} seconds."
            )
        self.interval = float(interval)
        self._send = send
        self._keep_going = keep_going
        self._stop = threading.Event()
        self.sent = 0
        self.last_result: Any = None
        self.error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                result = self._send()
            except Exception as exc:  # the job ends; the caller sees .error
                logger.info("periodic send raised %s: stopping", exc)
                self.error = exc
                break
            self.sent += 1
            self.last_result = result
            if not self._keep_going(result):
                logger.info("periodic send answered %r: stopping", result)
                break
            self._stop.wait(self.interval)
        self._stop.set()

    def stop(self, timeout: Optional[float] = 10.0) -> None:
        """Stop the job and wait (at most ``timeout`` s) for a send in progress (idempotent)."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
