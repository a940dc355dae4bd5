"""Shared fixtures: every test is checked for leaked threads, fds and children."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time

import pytest

import tests.support.fuzz  # noqa: F401 (registers the Hypothesis profiles, loads dev)

pytest_plugins = ["tests.support.emulator"]

# No test (nor any CLI subprocess it starts) may touch the user's real state
# directory, where the default outbox and local-cloud database live.
_STATE_HOME = tempfile.mkdtemp(prefix="hologram-test-state-")
os.environ["XDG_STATE_HOME"] = _STATE_HOME
# Nor read the user's config file (hologram's credentials fall back to it).
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="hologram-test-config-")


def _open_fds() -> dict[int, str]:
    fds = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            fds[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:  # the fd used by listdir itself is gone already
            pass
    return fds


def _children() -> set[int]:
    pid = os.getpid()
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return {int(p) for p in f.read().split()}
    except OSError:
        return set()


def _live_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.is_alive()}


@pytest.fixture(autouse=True)
def no_leaks(request):
    """Fail a test that leaves a thread, socket, fd, pty or child process behind."""
    threads, fds, children = _live_threads(), _open_fds(), _children()
    yield
    if request.node.get_closest_marker("allow_leaks"):
        return
    deadline = time.monotonic() + 3.0
    while True:
        new_threads = _live_threads() - threads
        new_fds = {fd: target for fd, target in _open_fds().items()
                   if fd not in fds or fds[fd] != target}
        # a pytest-internal or hypothesis file may legitimately appear; sockets,
        # ptys, pipes and sqlite files may not.
        new_fds = {fd: t for fd, t in new_fds.items()
                   if t.startswith(("socket:", "pipe:", "/dev/pts", "/dev/ptmx", "anon_inode:"))
                   or t.endswith((".db", ".db-wal", ".db-shm", ".sqlite"))}
        new_children = _children() - children
        if not (new_threads or new_fds or new_children) or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    problems = []
    if new_threads:
        problems.append(f"threads: {sorted(t.name for t in new_threads)}")
    if new_fds:
        problems.append(f"file descriptors: {new_fds}")
    if new_children:
        problems.append(f"child processes: {sorted(new_children)}")
    if problems:
        pytest.fail("leaked " + "; ".join(problems), pytrace=False)


def pytest_configure(config):
    config.addinivalue_line("markers", "allow_leaks: skip the leak check for this test")
    config.addinivalue_line("markers", "fuzz: long-running property tests (make fuzz)")
    config.addinivalue_line("markers", "root: needs root and the ppp package (runs in CI)")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Exit status 5 (nothing collected) fails a run; say why in words."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        terminalreporter.write_line(
            "no tests were collected: check the paths, -k and -m given to pytest "
            f"(args: {' '.join(config.invocation_params.args) or '(none)'}); "
            "exit status 5 is a failure", red=True)


def pytest_unconfigure(config):
    shutil.rmtree(_STATE_HOME, ignore_errors=True)
