"""The AT command channel: one serial port, one command in flight, URCs on their own thread.

:class:`ATChannel` moves bytes and cuts them into lines, routed (with the pure
codec of :mod:`hologram_sdk.modem.at_codec`) to the one pending command or, for
unsolicited result codes, to a queue that a separate dispatcher thread hands to
the registered callbacks. Who reads the port:

* a plain non-blocking descriptor (a tty/pty, ``socket://``, ``sim://``): the
  thread that sends a command reads its answer itself, with no thread hop per
  line; a watcher thread reads only between commands (it parks while a command
  owns the port, and polls with no timeout when idle). See :mod:`.at_io`.
* any other port object: a reader thread reads everything and hands the
  command's lines over.

Raw traffic is logged at DEBUG on ``hologram_sdk.modem.at.traffic``.

Why ~700 lines: one class whose two read paths, command path and URC dispatcher
share one buffer, one lock and one pending command; the pure parsing
(:mod:`~hologram_sdk.modem.at_codec`) and the descriptor I/O
(:mod:`~hologram_sdk.modem.at_io`) are already apart.
"""

from __future__ import annotations

import errno
import logging
import queue
import threading
import time
from typing import Any, Callable, NoReturn, Optional, Union

from hologram_sdk.base.backoff import Backoff
from hologram_sdk.base.errors import (
    ConfigurationError,
    ModemTimeoutError,
    ModemUnpluggedError,
    PortBusyError,
    SerialError,
    SIMBusyError,
)
from hologram_sdk.modem.at_codec import (
    CTRL_Z,
    ESC,
    URC,
    URCS_WITH_BODY,
    FinalResult,
    LineKind,
    LineRouter,
    error_for,
    find_line_end,
    make_urc,
    mask_line,
    parse_final,
)
from hologram_sdk.modem.at_io import DirectIO, StopRequested, port_fd
from hologram_sdk.modem.ports import Opener, SerialLike, busy_hint, open_port

logger = logging.getLogger(__name__)
#: raw AT traffic, DEBUG only; IMSI and ICCID values are masked
traffic_logger = logger.getChild("traffic")

#: the longest wait between retries of a command the SIM answered "busy", seconds
SIM_BUSY_CAP = 8.0
#: the longest the parked watcher sleeps without looking at the channel, seconds
#: (a command's end wakes it at once; this only bounds the wait)
WATCH_RESUME = 1.0
#: the longest a command waits for the URC handlers to finish with the URCs
#: that came before its answer, seconds (a slow handler delays it this much)
URC_ORDER_WAIT = 2.0

def _default_opener(url: str, baudrate: int, timeout: float) -> SerialLike:
    return open_port(url, baudrate, timeout)


#: given an information line, the number of raw bytes that follow it (None: none)
DataLength = Callable[[str], Optional[int]]


class _Pending:
    def __init__(
        self, command: str, expect_prompt: bool, data_length: Optional[DataLength] = None
    ) -> None:
        self.router = LineRouter(command)
        self.expect_prompt = expect_prompt
        self.data_length = data_length
        self.lines: list[str] = []
        self.final: Optional[FinalResult] = None
        self.prompt = False


UrcHandler = Callable[[URC], Any]


class ATChannel:
    """One AT command port: one command in flight, URCs on their own thread.

    A command returns once the handlers are done with the URCs that came before
    its answer (at most :data:`URC_ORDER_WAIT` later; not when a handler itself
    sends the command): a ``+UUSOCL: 1`` of an old connection is handled before
    ``AT+USOCR`` hands out id 1 again.

    URCs wait for the dispatcher in a queue of at most :attr:`max_urcs`; a
    modem flooding them past that has the newest dropped (counted in
    :attr:`urcs_dropped`, one warning every few seconds). Bytes without a line
    end are dropped past 64 KiB, also with at most one warning every few seconds.

    :param port_or_url: a device path, a pyserial URL or ``sim://<profile>``
    :param baudrate: serial speed (an int or a numeric string)
    :param timeout: default seconds to wait for a command's final result
    :param on_urc: called with each :class:`URC`, on the dispatcher thread
    :param opener: ``opener(url, baudrate, read_timeout) -> port`` (default:
        :func:`open_port`); tests and the emulator pass their own
    :param sim_busy_retries: how often a ``+CME ERROR: 14`` (SIM busy) is retried
    :param sim_busy_backoff: the first retry delay in seconds (doubled each time, at most
        :data:`SIM_BUSY_CAP`)
    """

    def __init__(
        self,
        port_or_url: str,
        baudrate: Union[int, str] = 9600,
        *,
        timeout: float = 5.0,
        on_urc: Optional[UrcHandler] = None,
        opener: Optional[Opener] = None,
        sim_busy_retries: int = 3,
        sim_busy_backoff: float = 0.5,
    ) -> None:
        try:
            self.baudrate = int(baudrate)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"baud rate must be a number, not {baudrate!r}") from exc
        if timeout is not None and timeout <= 0:
            raise ConfigurationError("timeout must be positive")
        self.url = str(port_or_url)
        self.timeout = float(timeout)
        self.sim_busy_retries = sim_busy_retries
        self.sim_busy_backoff = sim_busy_backoff
        self._sim_busy_backoff = Backoff(sim_busy_backoff, max(sim_busy_backoff, SIM_BUSY_CAP))
        self._opener: Opener = opener or _default_opener
        self._handlers: list[UrcHandler] = [on_urc] if on_urc is not None else []
        self._command_lock = threading.Lock()
        self._lock = threading.Lock()
        #: a command's thread waits here (reader-thread ports), close() for the port
        self._cond = threading.Condition(self._lock)
        #: the watcher parks here while a command owns the port (descriptor ports)
        self._park = threading.Condition(self._lock)
        self._io: Optional[DirectIO] = None
        self._busy = False  # a command's thread owns the descriptor
        self._watching = False  # the watcher is (about to be) in its poll
        self._woken = False  # a wake-up byte is in the watcher's pipe
        self._taken = 0  # how often a command's thread took the port
        self._port: Optional[SerialLike] = None
        self._pending: Optional[_Pending] = None
        self._dead: Optional[BaseException] = None
        self._stopping = False
        self._buffer = ""
        self._urc_body_for: Optional[str] = None
        self._last_body_head = ""
        self._raw_left = 0  # bytes of a command's binary payload still to come
        self._raw_parts: list[str] = []
        self._reader: Optional[threading.Thread] = None
        self._dispatcher: Optional[threading.Thread] = None
        self._urcs: queue.Queue[Optional[URC]] = queue.Queue()
        self._urcs_queued = 0  # URCs put in the queue since open()
        self._urcs_handled = 0  # URCs the dispatcher finished with since open()
        self._handled = threading.Condition()
        #: URCs waiting for the dispatcher at most; more are dropped (a flooding modem)
        self.max_urcs = 1024
        #: URCs dropped because the queue was full
        self.urcs_dropped = 0
        self._said: dict[str, tuple[float, int]] = {}
        self._state_lock = threading.Lock()

    # -- lifecycle --------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Whether the port is open and the modem has not gone away."""
        return self._port is not None and self._dead is None

    @property
    def reads_directly(self) -> bool:
        """Whether a command's own thread reads its answer (a descriptor port, open)."""
        return self._io is not None

    def open(self) -> None:
        """Open the port and start the threads (again, after :meth:`close`).

        :raises PortBusyError: another process holds the port
        :raises SerialError: the port cannot be opened
        """
        with self._state_lock:
            if self._port is not None and self._dead is None:
                return
            self._close_locked()
            try:
                port = self._opener(self.url, self.baudrate, 0.2)
            except (SerialError, ConfigurationError):
                raise
            except OSError as exc:
                if exc.errno == errno.EBUSY:
                    raise PortBusyError(busy_hint(self.url)) from exc
                raise SerialError(f"cannot open {self.url}: {exc}") from exc
            fd = port_fd(port)
            try:
                self._io = DirectIO(fd) if fd is not None else None
            except OSError as exc:  # no descriptors left for the pipes
                port.close()
                raise SerialError(f"cannot open {self.url}: {exc}") from exc
            self._port = port
            self._dead = None
            self._stopping = False
            self._busy = self._watching = self._woken = False
            self._buffer = ""
            self._urc_body_for = None
            self._raw_left = 0
            self._raw_parts = []
            self._urcs = queue.Queue()
            self._urcs_queued = self._urcs_handled = 0
            self._reader = threading.Thread(
                target=self._read_loop if self._io is None else self._watch_loop,
                name=f"at-reader {self.url}",
                daemon=True,
            )
            self._dispatcher = threading.Thread(
                target=self._dispatch_loop, name=f"at-urc {self.url}", daemon=True
            )
            self._reader.start()
            self._dispatcher.start()
        logger.debug("opened %s", self.url)

    def close(self) -> None:
        """Close the port and join the threads; safe to call twice."""
        with self._state_lock:
            self._close_locked()

    def _close_locked(self) -> None:
        port, reader, dispatcher = self._port, self._reader, self._dispatcher
        if port is None and reader is None and dispatcher is None:
            return
        self._stopping = True
        io = self._io
        with self._cond:
            if self._dead is None:
                self._dead = ModemUnpluggedError(f"{self.url} is closed")
            self._cond.notify_all()
            self._park.notify_all()
        if io is not None:
            io.stop()  # ends the watcher's poll and a command's wait at once
            with self._cond:  # the command's thread lets go of the port before it closes
                self._cond.wait_for(lambda: not self._busy, 5.0)
        cancel = getattr(port, "cancel_read", None) if io is None else None
        if cancel is not None:
            try:
                cancel()
            except Exception:  # a dead port may refuse; the read timeout covers it
                logger.debug("cancel_read failed on %s", self.url, exc_info=True)
        if reader is not None and reader is not threading.current_thread():
            reader.join(5.0)
        self._urcs.put(None)
        with self._handled:  # a command waiting for URC handlers: stop waiting
            self._handled.notify_all()
        if dispatcher is not None and dispatcher is not threading.current_thread():
            dispatcher.join(5.0)
        if io is not None:
            io.close()
        if port is not None:
            try:
                port.close()
            except Exception:
                logger.debug("closing %s failed", self.url, exc_info=True)
        self._port = self._reader = self._dispatcher = self._io = None
        logger.debug("closed %s", self.url)

    def __enter__(self) -> ATChannel:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- URC subscribers ----------------------------------------------------

    def add_urc_handler(self, handler: UrcHandler) -> None:
        """Call ``handler(urc)`` on the dispatcher thread for every URC."""
        if handler not in self._handlers:
            self._handlers.append(handler)

    def remove_urc_handler(self, handler: UrcHandler) -> None:
        """Stop calling ``handler``; unknown handlers are ignored."""
        if handler in self._handlers:
            self._handlers.remove(handler)

    # -- commands -----------------------------------------------------------

    def command(
        self,
        command: str,
        timeout: Optional[float] = None,
        expect_prompt: bool = False,
        payload: Union[str, bytes, None] = None,
        *,
        data_length: Optional[DataLength] = None,
    ) -> list[str]:
        """Send one command line and return its information lines.

        :param command: e.g. ``AT+CSQ`` (the CR is added)
        :param timeout: seconds to wait for the final result (default: the channel's)
        :param expect_prompt: the command answers ``> `` first (``AT+CMGS``); then
            ``payload`` and Ctrl-Z are sent and the final result awaited
        :param payload: the text or PDU hex to send after the prompt
        :param data_length: for answers with binary data after a header line
            (Quectel ``+QIRD: <n><CR><LF><n bytes>``): called with each
            information line, it returns how many raw bytes follow that line's
            CR LF, or None; those bytes come back as the next "line" (latin-1
            text, CR/LF and all)
        :returns: the information lines (echo, URCs and the final code removed)
        :raises ATCommandError: ``ERROR``/``+CME ERROR``/``+CMS ERROR`` (typed by code)
        :raises ModemTimeoutError: no final result within ``timeout``
        :raises ModemUnpluggedError: the port went away (at once, never a hang)
        """
        if expect_prompt and payload is None:
            raise ConfigurationError("a prompt command needs a payload")
        if not command or any(c in command for c in "\r\n"):
            raise ConfigurationError(f"not a single command line: {command!r}")
        attempt = 0
        while True:
            try:
                return self._command_once(
                    command, timeout, expect_prompt, payload, data_length
                )
            except SIMBusyError:
                if attempt >= self.sim_busy_retries:
                    raise
                delay = self._sim_busy_backoff.delay(attempt)
                attempt += 1
                logger.debug("SIM busy on %s; retry %d in %.2f s", command, attempt, delay)
                time.sleep(delay)

    def _command_once(
        self,
        command: str,
        timeout: Optional[float],
        expect_prompt: bool,
        payload: Union[str, bytes, None],
        data_length: Optional[DataLength] = None,
    ) -> list[str]:
        wait = self.timeout if timeout is None else float(timeout)
        with self._command_lock:
            if self._port is None and self._dead is None:
                self.open()
            pending = _Pending(command, expect_prompt, data_length)
            with self._cond:
                self._raise_if_dead()
                if self._io is not None:
                    self._take_port(self._io)
                self._pending = pending
            try:
                deadline = time.monotonic() + wait
                traffic_logger.debug("-> %s", command)
                self._write((command + "\r").encode("latin-1", "replace"))
                if expect_prompt:
                    self._wait(pending, deadline, wait, prompt=True)
                    if pending.final is None:
                        data = (
                            payload
                            if isinstance(payload, bytes)
                            else str(payload).encode("latin-1", "replace")
                        )
                        with self._cond:
                            pending.router.payload = data.decode("latin-1")
                        traffic_logger.debug("-> <payload, %d bytes> ^Z", len(data))
                        self._write(data + CTRL_Z.encode())
                if pending.final is None:
                    self._wait(pending, deadline, wait, prompt=False)
            finally:
                with self._cond:
                    self._pending = None
                    urcs_before = self._urcs_queued
                    if self._busy:
                        self._busy = False
                        self._cond.notify_all()  # close() may wait for the port
                        # the watcher reads again at once: a URC (+UUSORD after a
                        # send) must not wait for the next command
                        self._park.notify()
        self._await_urcs(urcs_before)
        final = pending.final
        assert final is not None
        if not final.success:
            raise error_for(command, final)
        return list(pending.lines)

    def _await_urcs(self, count: int) -> None:
        """Wait (bounded) until the dispatcher handled the first ``count`` URCs."""
        if self._urcs_handled >= count or threading.current_thread() is self._dispatcher:
            return
        with self._handled:
            done = self._handled.wait_for(
                lambda: self._urcs_handled >= count or self._stopping, URC_ORDER_WAIT
            )
        if not done:
            logger.debug("URC handlers still busy after %.1f s: not waiting", URC_ORDER_WAIT)

    def _take_port(self, io: DirectIO) -> None:
        """Make the command's thread the port's reader (callers hold the lock).

        The watcher is sent out of its poll, and what the port already holds is
        routed before the command is pending: it came before the command was sent.
        """
        self._busy = True
        self._taken += 1
        if self._watching and not self._woken:
            io.wake()
            self._woken = True
        try:
            data = io.read_now()
        except (EOFError, OSError) as exc:
            self._busy = False
            self._mark_dead_locked(exc)
            raise ModemUnpluggedError(f"read from {self.url} failed: {exc}") from exc
        if data:
            self._feed_locked(data)

    def _wait(self, pending: _Pending, deadline: float, wait: float, *, prompt: bool) -> None:
        io = self._io
        if io is not None:
            self._read_answer(io, pending, deadline, wait, prompt=prompt)
            return
        with self._cond:
            while True:
                left = self._time_left(pending, deadline, wait, prompt=prompt)
                if left is None:
                    return
                self._cond.wait(left)

    def _time_left(
        self, pending: _Pending, deadline: float, wait: float, *, prompt: bool
    ) -> Optional[float]:
        """None once the answer (or the prompt) is in, else the seconds left to wait.

        :raises ModemUnpluggedError: the port died
        :raises ModemTimeoutError: the deadline passed
        """
        if pending.final is not None or (prompt and pending.prompt):
            return None
        self._raise_if_dead()
        left = deadline - time.monotonic()
        if left <= 0:
            self._timed_out(pending, wait, prompt=prompt)
        return left

    def _read_answer(
        self, io: DirectIO, pending: _Pending, deadline: float, wait: float, *, prompt: bool
    ) -> None:
        """Read the port in this thread until the answer (or the prompt) is in."""
        while True:
            left = self._time_left(pending, deadline, wait, prompt=prompt)
            if left is None:
                return
            try:
                data = io.read(left)
            except StopRequested:
                self._raise_if_dead()
                raise ModemUnpluggedError(f"{self.url} is closed") from None
            except (EOFError, OSError) as exc:
                self._mark_dead(exc)
                raise ModemUnpluggedError(f"read from {self.url} failed: {exc}") from exc
            if data:
                self.feed(data)

    def _timed_out(self, pending: _Pending, wait: float, *, prompt: bool) -> NoReturn:
        if prompt and pending.expect_prompt:
            # abandon the text entry so the modem leaves prompt mode
            try:
                self._write(ESC.encode())
            except SerialError:
                pass
        raise ModemTimeoutError(pending.router.command or "", pending.lines, wait)

    def _raise_if_dead(self) -> None:
        dead = self._dead
        if dead is not None:
            if isinstance(dead, ModemUnpluggedError):
                raise ModemUnpluggedError(str(dead))
            raise ModemUnpluggedError(f"{self.url}: {dead}") from dead

    def _write(self, data: bytes) -> None:
        port = self._port
        if port is None:
            raise ModemUnpluggedError(f"{self.url} is closed")
        io = self._io
        if io is not None:  # no flush: the answer is awaited anyway
            try:
                io.write(data)
            except StopRequested:
                self._raise_if_dead()
                raise ModemUnpluggedError(f"{self.url} is closed") from None
            except OSError as exc:
                self._mark_dead(exc)
                raise ModemUnpluggedError(f"write to {self.url} failed: {exc}") from exc
            return
        try:
            port.write(data)
            flush = getattr(port, "flush", None)
            if flush is not None:
                flush()
        except Exception as exc:
            self._mark_dead(exc)
            raise ModemUnpluggedError(f"write to {self.url} failed: {exc}") from exc

    def _mark_dead(self, exc: BaseException) -> None:
        with self._cond:
            self._mark_dead_locked(exc)

    def _mark_dead_locked(self, exc: BaseException) -> None:
        if self._dead is None:
            self._dead = ModemUnpluggedError(f"{self.url} went away: {exc}")
            logger.warning("%s went away: %s", self.url, exc)
        self._cond.notify_all()
        self._park.notify_all()

    # -- watcher thread (descriptor ports) ----------------------------------------

    def _watch_loop(self) -> None:
        """Read the port while no command owns it; park while one does."""
        io = self._io
        assert io is not None
        while True:
            with self._park:
                while self._busy and not self._stopping and self._dead is None:
                    self._park.wait(WATCH_RESUME)
                if self._stopping or self._dead is not None:
                    return
                self._watching = True
                taken = self._taken
            try:
                readable, stop = io.wait()
            except OSError as exc:  # the descriptor itself is gone
                if not self._stopping:
                    self._mark_dead(exc)
                return
            with self._cond:
                self._watching = False
                if self._woken:
                    io.drain_wake()
                    self._woken = False
                if stop or self._stopping:
                    return
                if not readable or self._busy or taken != self._taken:
                    continue  # a command read what woke the poll
                try:
                    data = io.read_now(ready=True)
                except (EOFError, OSError) as exc:
                    self._mark_dead_locked(exc)
                    return
                if data:
                    self._feed_locked(data)

    # -- reader thread --------------------------------------------------------

    def _read_loop(self) -> None:
        port = self._port
        assert port is not None
        while not self._stopping:
            try:
                data: Optional[bytes] = port.read(1)
                if data is None:  # some port objects signal EOF this way
                    raise EOFError("end of file")
                if data:
                    waiting = getattr(port, "in_waiting", 0)
                    if isinstance(waiting, int) and waiting > 0:
                        data += port.read(waiting)
            except Exception as exc:
                if not self._stopping:
                    self._mark_dead(exc)
                return
            if data:
                self.feed(data)

    def feed(self, data: bytes) -> None:
        """Route received bytes (the reading thread calls this; tests may too)."""
        with self._cond:
            self._feed_locked(data)

    def _feed_locked(self, data: bytes) -> None:
        self._buffer += data.decode("latin-1")
        while True:
            if self._raw_left > 0:
                if not self._take_raw():
                    break
                continue
            cut = find_line_end(self._buffer)
            if cut is None:
                break
            if self._data_header(cut[0]):
                continue
            if self._raw_left < 0:  # a header whose CR LF is not complete yet
                self._raw_left = 0
                break
            line, self._buffer = self._buffer[: cut[0]], self._buffer[cut[1] :]
            self._route(line)
        pending = self._pending
        if (
            pending is not None
            and pending.expect_prompt
            and not pending.prompt
            and self._buffer.lstrip("\r\n").startswith(">")
        ):
            traffic_logger.debug("<- > (prompt)")
            pending.prompt = True
            self._buffer = ""
            self._cond.notify_all()
        if len(self._buffer) > 65536:  # a line that never ends: drop it
            self._say("garbage", "dropping %d bytes without a line end", len(self._buffer))
            self._buffer = ""

    def _queue_urc(self, urc: URC) -> None:
        if self._urcs.qsize() >= self.max_urcs:
            self.urcs_dropped += 1
            self._say("urcs", "URC queue full (%d): dropped %s", self.max_urcs, urc.name)
            return
        self._urcs.put(urc)
        self._urcs_queued += 1

    def _say(self, what: str, message: str, *args: object) -> None:
        """A warning at most every 5 s per kind; the lines held back are counted."""
        now = time.monotonic()
        last, held = self._said.get(what, (-1e9, 0))
        if now - last < 5.0:
            self._said[what] = (last, held + 1)
            return
        self._said[what] = (now, 0)
        suffix = f" (and {held} more like it since the last warning)" if held else ""
        logger.warning(message + suffix, *args)

    def _data_header(self, end: int) -> bool:
        """Whether the line ending at ``end`` announces raw bytes (then it is consumed).

        Callers hold ``self._cond``. Only the header's own CR LF is taken: the
        payload may itself start with CR or LF. Sets ``_raw_left`` to -1 when
        the header's line end has not fully arrived.
        """
        pending = self._pending
        if pending is None or pending.data_length is None or pending.final is not None:
            return False
        head = self._buffer[:end].strip(" \r\n")
        if not head or pending.router.classify(head) is not LineKind.INFO:
            return False
        count = pending.data_length(head)
        if not count or count < 0:
            return False
        rest = self._buffer[end:]
        if rest.startswith("\r\n"):
            skip = 2
        elif rest.startswith("\n") or (rest.startswith("\r") and len(rest) > 1):
            skip = 1
        else:
            self._raw_left = -1
            return False
        self._buffer = rest[skip:]
        traffic_logger.debug("<- %s (then %d bytes)", head, count)
        pending.lines.append(head)
        self._raw_left = count
        self._raw_parts = []
        return True

    def _take_raw(self) -> bool:
        """Move announced raw bytes from the buffer to the pending command."""
        if not self._buffer:
            return False
        take = self._buffer[: self._raw_left]
        self._buffer = self._buffer[len(take) :]
        self._raw_left -= len(take)
        self._raw_parts.append(take)
        if self._raw_left == 0:
            data, self._raw_parts = "".join(self._raw_parts), []
            traffic_logger.debug("<- <%d bytes of data>", len(data))
            pending = self._pending
            if pending is not None:
                pending.lines.append(data)
        return True

    def _route(self, line: str) -> None:
        stripped = line.strip(" \r\n")
        if self._urc_body_for is not None:
            name, self._urc_body_for = self._urc_body_for, None
            if stripped:
                head = self._last_body_head
                self._queue_urc(make_urc(head, stripped))
                traffic_logger.debug("<- %s (body of %s)", stripped, name)
                return
        pending = self._pending
        if pending is not None and pending.final is not None:
            # the command is over (its thread has not yet picked the result up):
            # what follows is unsolicited, e.g. +QIOPEN: 0,0 right after OK
            pending = None
        router = pending.router if pending is not None else LineRouter(None)
        kind = router.classify(line)
        if kind is LineKind.EMPTY:
            return
        if traffic_logger.isEnabledFor(logging.DEBUG):  # masking costs; most runs log no traffic
            traffic_logger.debug("<- %s", mask_line(stripped, router.command))
        if kind is LineKind.ECHO or kind is LineKind.GARBAGE:
            if kind is LineKind.GARBAGE:
                logger.debug("ignoring garbage line %r", stripped[:80])
            return
        if kind is LineKind.URC:
            urc = make_urc(stripped)
            if urc.name in URCS_WITH_BODY:
                self._urc_body_for = urc.name
                self._last_body_head = stripped
                return
            self._queue_urc(urc)
            return
        assert pending is not None
        if kind is LineKind.PROMPT:
            if pending.expect_prompt:
                pending.prompt = True
                self._cond.notify_all()
            return
        if kind is LineKind.FINAL:
            pending.final = parse_final(stripped)
            if self._io is None:  # a descriptor port's command reads in its own thread
                self._cond.notify_all()
            return
        pending.lines.append(stripped)

    # -- dispatcher thread ------------------------------------------------------

    def _dispatch_loop(self) -> None:
        urcs = self._urcs
        while True:
            urc = urcs.get()
            if urc is None:
                return
            for handler in list(self._handlers):
                try:
                    handler(urc)
                except Exception:
                    logger.exception("URC handler %r raised on %s", handler, urc.name)
            with self._handled:
                self._urcs_handled += 1
                self._handled.notify_all()
