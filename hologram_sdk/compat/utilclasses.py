"""0.10's small value classes: ``Location``, ``SMS``, ``ModemResult`` and ``RWLock``."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Optional


class Location:
    """A position as a modem's cell-locate answer gives it (fields kept as given)."""

    def __init__(
        self,
        date: Optional[str] = None,
        time: Optional[str] = None,
        latitude: Optional[str] = None,
        longitude: Optional[str] = None,
        altitude: Optional[str] = None,
        uncertainty: Optional[str] = None,
    ) -> None:
        self.date = date
        self.time = time
        self.latitude = latitude
        self.longitude = longitude
        self.altitude = altitude
        self.uncertainty = uncertainty

    def __repr__(self) -> str:
        return type(self).__name__


class SMS:
    """A received SMS: ``sender`` (digits, no '+'), ``timestamp`` (naive UTC) and ``message``."""

    def __init__(self, sender: str, timestamp: datetime, message: str) -> None:
        self.sender = sender
        self.timestamp = timestamp
        self.message = message

    def __repr__(self) -> str:
        when = self.timestamp.strftime("%c")
        return f"SMS: sender: {self.sender}, timestamp: {when}, message: {self.message}"


class ModemResult:
    """The outcome of a 0.10 modem command (string constants, compared with ``==``)."""

    Invalid = "Invalid"
    NoMatch = "NoMatch"
    Error = "Error"
    Timeout = "Timeout"
    OK = "OK"


class RWLock:
    """Many readers or one writer; ``acquire``/``release`` take the writer side."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.readers = 0
        self.writer = False

    def acquire(self) -> None:
        self.writer_acquire()

    def release(self) -> None:
        self.writer_release()

    def reader_acquire(self) -> None:
        with self._cond:
            self._cond.wait_for(lambda: not self.writer)
            self.readers += 1

    def reader_release(self) -> None:
        with self._cond:
            self.readers -= 1
            if self.readers == 0:
                self._cond.notify_all()

    def writer_acquire(self) -> None:
        with self._cond:
            self._cond.wait_for(lambda: not self.writer and self.readers == 0)
            self.writer = True

    def writer_release(self) -> None:
        with self._cond:
            self.writer = False
            self._cond.notify_all()

    def __enter__(self) -> RWLock:
        self.writer_acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.writer_release()
