"""pppd as a child process: start it, read its output, wait for the link, stop it.

This is the transport half of the PPP support; building the argument list and
reading the output lines is the pure half, :mod:`hologram_sdk.network.ppp`.

:class:`PPPRunner` starts pppd (``nodetach``) in its own process group, reads
its merged stdout/stderr on one thread, and reports the link going up (with the
addresses and DNS servers) and down (with the typed error for pppd's exit code)
through callbacks. It only ever signals the pppd it started.

Why ~610 lines in one module: it is one child process's life (start, the output
reader, the wait for the link, stop with a grace period then SIGKILL, exit-code
mapping), and every step shares the process handle, its lock and its state.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Callable, Optional, Union

from hologram_sdk.base.errors import (
    ConfigurationError,
    NetworkError,
    PermissionDeniedError,
    PPPConnectionError,
    PPPError,
)
from hologram_sdk.network.ppp import (
    DEFAULT_PPPD_PATH,
    LineKind,
    PPPLine,
    PPPOptions,
    PPPOutput,
    build_pppd_args,
    pppd_exit_error,
)

__all__ = [
    "PPPLink",
    "PPPRunner",
    "PPPState",
    "check_chat_script",
    "check_pppd_options",
    "default_chat_script",
    "require_root",
]

logger = logging.getLogger(__name__)

#: Exit statuses that follow a stop we asked for (pppd's 5, or our signals).
_STOPPED_CODES = frozenset({5, -signal.SIGTERM, -signal.SIGKILL})

#: How long to keep reading after pppd exited, for lines still in the pipe.
_DRAIN_SECONDS = 0.5

#: With ``usepeerdns`` the DNS lines follow the address lines; wait this long
#: for them before reporting the link up without them.
_DNS_GRACE_SECONDS = 0.1


def default_chat_script() -> str:
    """Path of the chat script shipped with the package (``chatscripts/default-script``)."""
    return str(Path(__file__).resolve().parent / "chatscripts" / "default-script")


def check_chat_script(path: Optional[str] = None) -> str:
    """Check that a chat script exists, is a file, and is executable.

    The reference requires ``chatScriptFile`` to be executable; this says so
    clearly instead of letting pppd fail later.

    :param path: the script; ``None`` means the shipped default
    :raises ConfigurationError: when it is missing, not a file, or not executable
    :returns: the absolute path
    """
    script = Path(path) if path else Path(default_chat_script())
    if not script.exists():
        raise ConfigurationError(f"chat script {str(script)!r} does not exist")
    if not script.is_file():
        raise ConfigurationError(f"chat script {str(script)!r} is not a file")
    if not os.access(script, os.X_OK):
        raise ConfigurationError(
            f"chat script {str(script)!r} is not executable: run 'chmod +x {script}'"
        )
    return str(script.resolve())


def require_root(geteuid: Callable[[], int] = os.geteuid, what: str = "pppd") -> None:
    """Raise :class:`PermissionDeniedError` unless the effective user is root.

    :param geteuid: returns the effective uid (injectable for tests)
    :param what: the program that needs root, for the message
    """
    euid = geteuid()
    if euid != 0:
        raise PermissionDeniedError(
            f"{what} needs root to bring up the cellular PPP link (running as uid {euid}): "
            "run with sudo, or use the IOTA's serial mode, which needs no root"
        )


def check_pppd_options(
    args: Sequence[str],
    *,
    pppd_path: str = DEFAULT_PPPD_PATH,
    timeout: float = 10.0,
) -> tuple[int, str]:
    """Ask the real pppd whether it accepts ``args`` (it runs ``pppd <args> dryrun``).

    pppd parses its options, then checks for kernel support, then honours
    ``dryrun``; so a machine without kernel PPP answers 4 for a good argument
    list and 2 for a bad one.

    :raises ConfigurationError: when pppd rejects the options (exit 2)
    :raises PPPError: when pppd cannot be run
    :returns: pppd's exit status (0, or 4 without kernel PPP) and its output
    """
    argv = [pppd_path, *args]
    if "dryrun" not in args:
        argv.append("dryrun")
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise PPPError(f"pppd not found at {pppd_path!r}: install the ppp package") from exc
    except (OSError, subprocess.SubprocessError) as exc:
        raise PPPError(f"could not run {pppd_path!r}: {exc}") from exc
    text = done.stdout.decode("utf-8", "replace")
    if done.returncode == 2:
        error = pppd_exit_error(2, text)
        raise ConfigurationError(str(error))
    return done.returncode, text


class PPPState(str, enum.Enum):
    """Where a :class:`PPPRunner` is in its life."""

    IDLE = "idle"  # not started
    CONNECTING = "connecting"  # pppd runs the connect script
    NEGOTIATING = "negotiating"  # the script succeeded; LCP/IPCP in progress
    UP = "up"  # both addresses known
    EXITED = "exited"  # pppd is gone (reaped)


@dataclass(frozen=True)
class PPPLink:
    """What pppd reported when the link came up.

    :param interface: the network interface, e.g. ``ppp0``
    :param local_ip: our address
    :param remote_ip: the peer's address
    :param dns: DNS servers offered by the network (primary first)
    """

    interface: Optional[str]
    local_ip: str
    remote_ip: str
    dns: tuple[str, ...] = ()


UpCallback = Callable[[PPPLink], Any]
DownCallback = Callable[[Optional[NetworkError]], Any]
LineCallback = Callable[[PPPLine], Any]
PopenFactory = Callable[..., "subprocess.Popen[bytes]"]


class PPPRunner:
    """One pppd process and its output.

    :param args: pppd's arguments (from :func:`~hologram_sdk.network.ppp.build_pppd_args`)
        or :class:`~hologram_sdk.network.ppp.PPPOptions` to build them from
    :param pppd_path: the pppd program (a test double in tests)
    :param popen: process factory with :class:`subprocess.Popen`'s signature
    :param geteuid: returns the effective uid; pppd needs root
    :param on_up: called with a :class:`PPPLink` when the link comes up
    :param on_down: called once when pppd has exited: ``None`` after a stop we
        asked for, else the typed error for its exit status
    :param on_line: called with every classified output line
    :param terminate_grace: seconds between SIGTERM and SIGKILL when stopping

    Callbacks run on the runner's reader thread; they may call :meth:`stop`
    or :meth:`close`.
    """

    def __init__(
        self,
        args: Union[Sequence[str], PPPOptions],
        *,
        pppd_path: str = DEFAULT_PPPD_PATH,
        popen: PopenFactory = subprocess.Popen,
        geteuid: Callable[[], int] = os.geteuid,
        on_up: Optional[UpCallback] = None,
        on_down: Optional[DownCallback] = None,
        on_line: Optional[LineCallback] = None,
        terminate_grace: float = 5.0,
    ) -> None:
        if isinstance(args, PPPOptions):
            args = build_pppd_args(args)
        if isinstance(args, str) or not all(isinstance(a, str) for a in args):
            raise ConfigurationError("pppd arguments must be a sequence of strings")
        if terminate_grace < 0:
            raise ConfigurationError(f"terminate_grace must be >= 0, not {terminate_grace!r}")
        self.args: tuple[str, ...] = tuple(args)
        self.pppd_path = pppd_path
        self._popen = popen
        self._geteuid = geteuid
        self.on_up = on_up
        self.on_down = on_down
        self.on_line = on_line
        self.terminate_grace = float(terminate_grace)

        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._proc: Optional[subprocess.Popen[bytes]] = None
        self._thread: Optional[threading.Thread] = None
        self._wake_r = self._wake_w = -1
        self._pidfd = -1
        self._state = PPPState.IDLE
        self._output = PPPOutput()
        self._link: Optional[PPPLink] = None
        self._error: Optional[NetworkError] = None
        self._returncode: Optional[int] = None
        self._stop_requested = False
        self._closed = False

    # --- state ---------------------------------------------------------------

    @property
    def state(self) -> PPPState:
        """The current :class:`PPPState`."""
        with self._lock:
            return self._state

    @property
    def pid(self) -> Optional[int]:
        """pppd's process id once started."""
        with self._lock:
            return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> Optional[int]:
        """pppd's exit status once it has exited (negative: killed by that signal)."""
        with self._lock:
            return self._returncode

    @property
    def link(self) -> Optional[PPPLink]:
        """The link's addresses while it is (or was last) up."""
        with self._lock:
            return self._link

    @property
    def error(self) -> Optional[NetworkError]:
        """The error pppd's exit stood for, if it exited on its own."""
        with self._lock:
            return self._error

    @property
    def output(self) -> str:
        """Everything pppd and the connect script printed so far."""
        with self._lock:
            return self._output.text

    @property
    def running(self) -> bool:
        """Whether pppd was started and has not exited yet."""
        with self._lock:
            return self._state not in (PPPState.IDLE, PPPState.EXITED)

    # --- lifecycle -----------------------------------------------------------

    def start(self) -> None:
        """Start pppd. Returns at once; see :meth:`wait_up`.

        :raises PermissionDeniedError: when not running as root
        :raises PPPError: when pppd is missing, cannot be run, or was started before
        """
        with self._lock:
            if self._closed:
                raise PPPError("this PPPRunner is closed")
            if self._proc is not None:
                raise PPPError("pppd was already started by this runner")
        require_root(self._geteuid)
        argv = [self.pppd_path, *self.args]
        logger.info("starting %s on %s", self.pppd_path, self._device_hint())
        logger.debug("pppd argv: %r", argv)
        try:
            proc = self._popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        except FileNotFoundError as exc:
            raise PPPError(
                f"pppd not found at {self.pppd_path!r}: install the ppp package"
            ) from exc
        except PermissionError as exc:
            raise PermissionDeniedError(f"cannot run {self.pppd_path!r}: {exc}") from exc
        except (OSError, subprocess.SubprocessError) as exc:
            raise PPPError(f"could not start {self.pppd_path!r}: {exc}") from exc
        if proc.stdout is None:  # a popen that ignored stdout=PIPE
            self._reap_now(proc)
            raise PPPError("pppd was started without an output pipe")
        self._wake_r, self._wake_w = os.pipe()
        self._pidfd = _open_pidfd(proc.pid)
        thread = threading.Thread(
            target=self._read_loop, args=(proc, proc.stdout), name=f"pppd-{proc.pid}",
            daemon=True,
        )
        with self._lock:
            self._proc = proc
            self._thread = thread
            self._state = PPPState.CONNECTING
        thread.start()

    def wait_up(self, timeout: Optional[float] = None) -> PPPLink:
        """Wait until the link is up and return its addresses.

        :param timeout: seconds (``None`` waits as long as pppd runs); on expiry
            pppd is stopped (SIGTERM, then SIGKILL) and reaped
        :raises PPPConnectionError: pppd exited (mapped from its exit status)
        :raises PPPError: the timeout expired, or pppd was never started
        """
        deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
        with self._lock:
            if self._proc is None:
                raise PPPError("pppd was not started")
            while self._state not in (PPPState.UP, PPPState.EXITED):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._changed.wait(remaining)
            state, link, error = self._state, self._link, self._error
            returncode = self._returncode
            chat_reason = self._output.chat_reason
        if state is PPPState.UP and link is not None:
            return link
        if state is PPPState.EXITED:
            if error is not None:
                raise error
            raise PPPConnectionError(
                returncode if returncode is not None else -1,
                f"pppd stopped before the link came up (exit {returncode})",
                self.output,
            )
        self.stop()
        detail = f" ({chat_reason})" if chat_reason else ""
        raise PPPError(
            f"the PPP link did not come up within {timeout:g} s{detail}; pppd was stopped"
        )

    def wait(self, timeout: Optional[float] = None) -> Optional[int]:
        """Wait for pppd to exit by itself; returns its status, ``None`` on timeout."""
        deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
        with self._lock:
            while self._proc is not None and self._state is not PPPState.EXITED:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._changed.wait(remaining)
            return self._returncode

    def stop(self) -> Optional[int]:
        """Stop the pppd this runner started: SIGTERM, then SIGKILL after the grace.

        Waits until it is reaped (no zombie) and its output is read. Safe to
        call at any time and more than once.

        :returns: pppd's exit status, or ``None`` if it was never started
        """
        with self._lock:
            proc = self._proc
            if proc is None:
                return None
            self._stop_requested = True
        if proc.poll() is None:
            logger.info("stopping pppd (pid %d)", proc.pid)
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(self.terminate_grace)
            except subprocess.TimeoutExpired:
                logger.warning(
                    "pppd (pid %d) ignored SIGTERM for %g s; killing it",
                    proc.pid, self.terminate_grace,
                )
                # pppd is not reaped yet, so its pid (= its process group, as it
                # leads its own session) cannot belong to anyone else: this also
                # ends the connect script it started.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait()
        self._join_reader()
        with self._lock:
            return self._returncode if self._returncode is not None else proc.returncode

    def close(self) -> None:
        """Stop pppd if it runs and release the thread and descriptors (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.stop()
        self._join_reader()
        with self._lock:
            proc = self._proc
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        for fd in (self._wake_r, self._wake_w, self._pidfd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._wake_r = self._wake_w = self._pidfd = -1

    def __enter__(self) -> PPPRunner:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    # --- internals -------------------------------------------------------------

    def _device_hint(self) -> str:
        for arg in self.args:
            if arg.startswith("/dev/"):
                return arg
        return "its device"

    @staticmethod
    def _reap_now(proc: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(OSError):
            proc.kill()
        proc.wait()

    def _join_reader(self) -> None:
        with self._lock:
            thread = self._thread
        if thread is None or thread is threading.current_thread():
            return
        if thread.is_alive() and self._wake_w >= 0:
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"x")
        thread.join()

    def _read_loop(self, proc: subprocess.Popen[bytes], stream: IO[bytes]) -> None:
        fd = stream.fileno()
        selector = selectors.DefaultSelector()
        selector.register(fd, selectors.EVENT_READ, "out")
        selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        if self._pidfd >= 0:
            selector.register(self._pidfd, selectors.EVENT_READ, "exit")
        pending = b""
        eof = woken = exited = False
        pending_up_since: Optional[float] = None
        drain_deadline: Optional[float] = None
        try:
            while not eof:
                timeout: Optional[float] = None
                if pending_up_since is not None:
                    timeout = _DNS_GRACE_SECONDS
                if drain_deadline is not None:
                    left = max(0.0, drain_deadline - time.monotonic())
                    timeout = left if timeout is None else min(timeout, left)
                events = selector.select(timeout)
                if not events:
                    if pending_up_since is not None:
                        self._report_up()
                        pending_up_since = None
                    if drain_deadline is not None and time.monotonic() >= drain_deadline:
                        break
                    continue
                for key, _ in events:
                    if key.data == "wake":
                        with contextlib.suppress(OSError):
                            os.read(self._wake_r, 64)
                        woken = True
                    elif key.data == "exit":
                        selector.unregister(self._pidfd)
                        exited = True
                    else:
                        data = os.read(fd, 4096)
                        if not data:
                            eof = True
                            continue
                        pending += data
                        *lines, pending = pending.split(b"\n")
                        for raw in lines:
                            if self._handle_line(raw.decode("utf-8", "replace")):
                                pending_up_since = time.monotonic()
                        if pending_up_since is not None and self._dns_complete():
                            self._report_up()
                            pending_up_since = None
                if (exited or woken) and drain_deadline is None:
                    # pppd is gone (or we are closing): read what is left, briefly.
                    drain_deadline = time.monotonic() + _DRAIN_SECONDS
            if pending:
                self._handle_line(pending.decode("utf-8", "replace"))
            if pending_up_since is not None:
                self._report_up()
        finally:
            selector.close()
        self._finish(proc, woken and not exited and not eof)

    def _handle_line(self, text: str) -> bool:
        """Record a line; True when it completes the addresses for the first time."""
        text = text.rstrip("\r")
        if not text:
            return False
        logger.debug("pppd: %s", text)
        with self._lock:
            was_up = self._output.is_up
            parsed = self._output.feed(text)
            if parsed.kind is LineKind.SERIAL_CONNECTED and self._state is PPPState.CONNECTING:
                self._state = PPPState.NEGOTIATING
                self._changed.notify_all()
            now_up = self._output.is_up and not was_up
        if parsed.kind in (LineKind.CONNECT_SCRIPT_FAILED, LineKind.MODEM_HANGUP,
                           LineKind.NO_KERNEL_SUPPORT, LineKind.CHAT_FAILED):
            logger.info("pppd: %s", text)
        on_line = self.on_line
        if on_line is not None:
            try:
                on_line(parsed)
            except Exception:
                logger.exception("on_line callback raised")
        return now_up

    def _dns_complete(self) -> bool:
        with self._lock:
            return len(self._output.dns) >= 2 or "usepeerdns" not in self.args

    def _report_up(self) -> None:
        with self._lock:
            if self._state in (PPPState.UP, PPPState.EXITED) or not self._output.is_up:
                return
            out = self._output
            assert out.local_ip is not None and out.remote_ip is not None
            link = PPPLink(out.interface, out.local_ip, out.remote_ip, tuple(out.dns))
            self._link = link
            self._state = PPPState.UP
            self._changed.notify_all()
        logger.info(
            "PPP link up on %s: local %s, remote %s", link.interface, link.local_ip,
            link.remote_ip,
        )
        on_up = self.on_up
        if on_up is not None:
            try:
                on_up(link)
            except Exception:
                logger.exception("on_up callback raised")

    def _finish(self, proc: subprocess.Popen[bytes], still_running: bool) -> None:
        if still_running:
            # Woken by close() while pppd was running: stop() reaps it.
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(self.terminate_grace + 5.0)
        code = proc.wait()
        with self._lock:
            self._returncode = code
            stopped = self._stop_requested and code in _STOPPED_CODES
            error: Optional[NetworkError] = None
            if not stopped:
                error = pppd_exit_error(code, self._output)
                self._error = error
            self._state = PPPState.EXITED
            self._changed.notify_all()
        if stopped:
            logger.info("pppd (pid %d) stopped", proc.pid)
        else:
            logger.warning("pppd (pid %d) exited: %s", proc.pid, error)
        on_down = self.on_down
        if on_down is not None:
            try:
                on_down(error)
            except Exception:
                logger.exception("on_down callback raised")


def _open_pidfd(pid: int) -> int:
    """A pidfd for ``pid`` (readable when it exits), or -1 where unsupported."""
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is None:
        return -1
    try:
        fd: int = pidfd_open(pid)
    except OSError:
        return -1
    return fd
