"""Reading a child process's output line by line with a deadline (no select on a
buffered pipe, which can miss lines already read into the buffer)."""

from __future__ import annotations

import queue
import threading
import time


class Lines:
    """Collects the lines of ``stream`` on a thread; :meth:`until` waits for a text."""

    def __init__(self, stream) -> None:
        self.text = ""
        self._queue: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self._queue.put(line)

    def until(self, wanted: str, timeout: float) -> str:
        """Everything read so far, once ``wanted`` is in it or ``timeout`` s passed."""
        deadline = time.monotonic() + timeout
        while wanted not in self.text and time.monotonic() < deadline:
            try:
                self.text += self._queue.get(timeout=0.1)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    break
        return self.text

    def join(self, timeout: float = 10.0) -> None:
        self._thread.join(timeout)
