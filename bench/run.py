"""Benchmarks side by side with the public SDK (``hologram-python==0.10.3``), as one table.

Usage: ``python bench/run.py [--json] [--quick] [--strict] [--scenario NAME ...]``
(``make bench`` runs it with ``.venv/bin/python``).

Every measurement runs in a fresh subprocess: ours with this project's
``.venv`` interpreter, the public SDK with ``.bench-venv`` (created here on
first use, ignored by git). For each scenario the implementations take turns
(ours, theirs, then theirs, ours, ...) after one discarded warm-up run each,
and the table shows median, min and max over the repetitions. The peers
(reply servers, inbound senders) run in this driver process; everything is on
127.0.0.1; every run is capped in time, and a capped run is reported as partial.

Ratio column: how many times better ours is than theirs (ours/theirs for
rates, theirs/ours for times, CPU and memory), so > 1 always means ours wins.
The last lines sum up the rows with a goal (pass/fail, and which failed);
``--strict`` makes a failed row the exit status (1), for CI.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import select
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [HERE, ROOT]

import loopback  # noqa: E402

PUBLIC_SDK = "hologram-python==0.10.3"
BENCH_VENV = os.path.join(ROOT, ".bench-venv")
WORKER = os.path.join(HERE, "worker.py")
OURS, THEIRS, BARE = "ours", "theirs", "bare"
BARE_SERIAL = "bare_serial"  # modem rows: a pyserial write/readline loop
LABEL = {OURS: "ours", THEIRS: "public 0.10.3", BARE: "bare socket",
         BARE_SERIAL: "bare pyserial"}


# --- interpreters --------------------------------------------------------------


def ours_python() -> str:
    venv = os.path.join(ROOT, ".venv", "bin", "python")
    return venv if os.path.exists(venv) else sys.executable


def theirs_python(log: Callable[[str], None]) -> Optional[str]:
    """The public SDK's interpreter, installing it into ``.bench-venv`` if needed."""
    python = os.path.join(BENCH_VENV, "bin", "python")
    check = [python, "-I", "-c", "import Hologram.CustomCloud"]
    if os.path.exists(python) and _quiet(check) == 0:
        return python
    log(f"installing {PUBLIC_SDK} into {BENCH_VENV} ...")
    base = os.environ.get("BENCH_BASE_PYTHON", "python3")
    steps = [[base, "-m", "venv", BENCH_VENV],
             [python, "-m", "pip", "install", "-q", PUBLIC_SDK]]
    for step in steps:
        if subprocess.run(step, capture_output=True, timeout=600).returncode != 0:
            log(f"could not install the public SDK ({' '.join(step)} failed)")
            return None
    return python if _quiet(check) == 0 else None


def _quiet(cmd: list[str]) -> int:
    """Exit status of ``cmd`` run away from this tree (so our ``Hologram`` is not found)."""
    return subprocess.run(cmd, capture_output=True, cwd=HERE, timeout=120).returncode


def public_sdk_findings(python: Optional[str]) -> list[str]:
    """What the public SDK does on import (its HologramCloud needs Python 3.9 bytecode)."""
    if python is None:
        return ["public SDK not installed: its columns are empty"]
    notes = []
    for module in ("Hologram.CustomCloud", "Hologram.HologramCloud"):
        proc = subprocess.run([python, "-I", "-c", f"import {module}"], capture_output=True,
                              text=True, timeout=60, cwd=HERE)
        if proc.returncode == 0:
            notes.append(f"public `import {module}`: ok")
        else:
            last = (proc.stderr.strip().splitlines() or ["?"])[-1]
            notes.append(f"public `import {module}` fails on Python "
                         f"{platform.python_version()}: {last}")
    return notes


def compile_ours(python: str, log: Callable[[str], None]) -> None:
    """Write our bytecode caches, as ``pip install`` does for the public SDK.

    Without them (``PYTHONDONTWRITEBYTECODE`` is common in CI and containers) every
    run would compile our sources again and the import scenario would time the
    compiler. ``__pycache__`` is ignored by git.
    """
    cmd = [python, "-m", "compileall", "-q", "hologram_sdk", "Hologram"]
    if subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=300).returncode != 0:
        log("compileall failed: the import scenario includes compiling our sources")


# --- running one measurement -------------------------------------------------


def _env(impl: str, state_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if impl != THEIRS:  # our tree first, whatever the editable install maps
        env["PYTHONPATH"] = ROOT
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Our clouds keep a durable outbox under $XDG_STATE_HOME by default: each run
    # gets a fresh, empty one, and the user's own ~/.local/state is left alone.
    env["XDG_STATE_HOME"] = state_dir
    return env


def _last_json(text: str) -> dict[str, Any]:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            result: dict[str, Any] = json.loads(line)
            return result
    return {"error": "no result from worker: " + text.strip()[-300:]}


def _run_fresh(cmd: list[str], impl: str, cap_s: float) -> dict[str, Any]:
    """``cmd`` in a fresh process with its own state directory; its last JSON line."""
    try:
        with tempfile.TemporaryDirectory(prefix="hologram-bench-state-") as state:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=cap_s,
                                  env=_env(impl, state), cwd=HERE)
    except subprocess.TimeoutExpired:
        return {"error": f"capped: no result within {cap_s:.0f} s", "capped": True}
    result = _last_json(proc.stdout)
    if "error" in result and proc.stderr.strip():
        result["stderr"] = proc.stderr.strip()[-500:]
    return result


def run_worker(python: str, scenario: str, impl: str, params: dict[str, Any],
               cap_s: float) -> dict[str, Any]:
    """One ``bench/worker.py`` measurement."""
    return _run_fresh([python, WORKER, scenario, impl, json.dumps(params)], impl, cap_s)


def _readline(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline() if ready else ""


def run_inbound(python: str, impl: str, params: dict[str, Any]) -> dict[str, Any]:
    """Start a listener in the worker, drive it from here with concurrent senders."""
    with tempfile.TemporaryDirectory(prefix="hologram-bench-state-") as state:
        return _run_inbound(python, impl, params, state)


def _run_inbound(python: str, impl: str, params: dict[str, Any], state: str
                 ) -> dict[str, Any]:
    port = loopback.free_port()
    cmd = [python, WORKER, "inbound", impl, json.dumps({"port": port})]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(impl, state), cwd=HERE)
    try:
        line = _readline(proc, 20.0)
        if line.strip() != "READY":
            out, err = proc.communicate(timeout=10)
            result = _last_json(line + out)
            if "error" in result:
                result["stderr"] = err.strip()[-500:]
            return result
        sent = loopback.run_senders(port, params["senders"], params["per_sender"],
                                    params["size"], params["deadline_s"])
        assert proc.stdin is not None
        proc.stdin.write(f"DONE {len(sent['sent_ids'])} {params['grace_s']}\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=params["grace_s"] + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"error": "capped: the listener process did not finish", "capped": True}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    result = _last_json(out)
    if "error" in result:
        result["stderr"] = err.strip()[-500:]
        return result
    received = [loopback.message_id(m) for m in result.pop("messages")]
    intact = {m for m in received if m is not None}
    sent_ids = set(sent["sent_ids"])
    delivered = len(sent_ids & intact)
    span = (result["last"] or sent["t_end"]) - sent["t_start"]
    result.update(
        sent=len(sent_ids), send_failed=sent["failed"], delivered=delivered,
        lost=len(sent_ids - intact),
        garbled=sum(1 for m in received if m is None), duplicates=len(received) - len(intact)
        - sum(1 for m in received if m is None),
        rate=delivered / span if span > 0 else 0.0,
        partial=bool(sent["partial"]),
    )
    return result


def run_module(python: str, impl: str, module: str, argv: list[str], cap_s: float
               ) -> dict[str, Any]:
    """A bench module (``bench/<module>``) run in a fresh process; its last JSON line."""
    return _run_fresh([python, os.path.join(HERE, module), *argv], impl, cap_s)


#: the deep table of the localcloud scenario: 1M in a full run, 100k with --quick
LOCALCLOUD_DEEP = {False: 1_000_000, True: 100_000}


# --- scenarios -----------------------------------------------------------------


@dataclass
class Metric:
    key: str  # key in a worker result
    label: str
    unit: str
    higher_is_better: bool
    goal: str = ""
    #: ours median -> pass? (None: no goal or a ratio goal)
    check: Optional[Callable[[float], bool]] = None
    #: ratio (ours vs the other column) -> pass?
    ratio_check: Optional[Callable[[float], bool]] = None
    digits: int = 1
    #: whether "times better" makes sense (not for a count that is 0 when all is well)
    has_ratio: bool = True
    #: the other column from the same runs of ours, under this key (e.g. the
    #: plain send loop the outbox worker measures beside its replay)
    other_key: Optional[str] = None
    other_label: str = ""


@dataclass
class Scenario:
    name: str
    title: str
    metrics: list[Metric]
    run: Callable[[str, str, int], dict[str, Any]]  # (impl, python, iteration) -> result
    impls: tuple[str, ...] = (OURS, THEIRS)
    reps: int = 5
    #: the other column per metric row: rows are (metric, other impl)
    rows: list[tuple[Metric, str]] = field(default_factory=list)


def _scenarios(quick: bool) -> dict[str, Scenario]:
    q = quick

    def idle(impl: str, python: str, it: int) -> dict[str, Any]:
        seconds = 1.0 if it < 0 else 3.0
        return run_worker(python, "idle", impl, {"port": loopback.free_port(),
                                                 "seconds": seconds}, cap_s=seconds + 20)

    def inbound(impl: str, python: str, it: int) -> dict[str, Any]:
        per = 100 if it < 0 else (300 if q else 1000)
        return run_inbound(python, impl, {
            "senders": 8, "per_sender": per, "size": 64,
            "deadline_s": 8.0 if q else 20.0, "grace_s": 6.0})

    def sequential(impl: str, python: str, it: int) -> dict[str, Any]:
        count = 200 if it < 0 else (500 if q else 2000)
        with loopback.ReplyServer() as server:
            return run_worker(python, "sequential", impl, {
                "port": server.port, "count": count, "batches": 10 if q else 20, "warmup": 20,
                "max_seconds": 20.0,
                "message": '{"k":"bench123","d":"hello"}\r\r'}, cap_s=60)

    def keep_open(impl: str, python: str, it: int) -> dict[str, Any]:
        with loopback.ReplyServer(keep_open=True) as keep, loopback.ReplyServer() as close:
            return run_worker(python, "keep_open", impl, {
                "port": keep.port, "close_port": close.port, "timeout": 5,
                "cls": "HologramCloud",
                "message": '{"k":"bench123","d":"hello"}\r\r'}, cap_s=30)

    def import_cost(impl: str, python: str, it: int) -> dict[str, Any]:
        return run_worker(python, "import", impl, {}, cap_s=30)

    outbox_depths = [10_000, 100_000] if q else [10_000, 100_000, 1_000_000]

    def outbox(impl: str, python: str, it: int) -> dict[str, Any]:
        # bench/outbox_bench.py --worker: enqueue, replay vs the plain send loop
        # (same run, same local cloud), and put/replay at each queue depth
        params = {"messages": 1000 if it < 0 else (2000 if q else 10000),
                  "depths": [] if it < 0 else outbox_depths, "puts": 500, "replays": 2000}
        return run_module(python, impl, "outbox_bench.py", ["--worker", json.dumps(params)],
                          600)

    def outbox_scale() -> list[tuple[Metric, str]]:
        rows: list[tuple[Metric, str]] = []
        base = outbox_depths[0]
        for what, key in (("enqueue", "put_rate"), ("replay", "replay_rate")):
            for depth in outbox_depths:
                rows.append((Metric(f"{key}_{depth}", f"{what} at {depth:,} queued", "msg/s",
                                    True, "flat: ≥0.8x at 10k" if depth != base else "report",
                                    ratio_check=(lambda r: r >= 0.8) if depth != base else None,
                                    digits=0, other_key=f"{key}_{base}",
                                    other_label=f"at {base:,} queued"), "same"))
        rows.append((Metric("peak_rss_mb", "worker peak RSS (to 1M queued)" if not q else
                            "worker peak RSS (to 100k queued; 1M skipped by --quick)", "MB",
                            False, "≤100", check=lambda v: v <= 100, has_ratio=False), ""))
        return rows

    def modem(impl: str, python: str, it: int) -> dict[str, Any]:
        n = 100 if it < 0 else (500 if q else 2000)
        try:  # the emulator runs here, in the driver, the same for both SDKs
            from hologram_sdk.emulator.modem import ModemEmulator
        except ImportError as exc:
            return {"not_built": True, "why": f"hologram_sdk.emulator.modem: {exc}"}
        with ModemEmulator("e303") as emulator:
            device = emulator.start()
            return run_worker(python, "modem", impl, {
                "round_trips": n, "device": device, "batches": 1 if it < 0 else 10},
                cap_s=60)

    def inbound_scale(impl: str, python: str, it: int) -> dict[str, Any]:
        import inbound_bench

        total, rounds = (256, 1) if it < 0 else ((2560, 2) if q else (8192, 3))
        return inbound_bench.scale(
            lambda senders, per: run_inbound(python, impl, {
                "senders": senders, "per_sender": per, "size": 64,
                "deadline_s": 8.0 if q else 20.0, "grace_s": 6.0}), total, rounds)

    def localcloud(impl: str, python: str, it: int) -> dict[str, Any]:
        shape = (["--depths", "1000,2000", "--batch", "50", "--rounds", "1", "--pages", "3"]
                 if it < 0 else ["--depths", f"10000,{LOCALCLOUD_DEEP[q]}", "--batch",
                                 "300" if q else "1000", "--rounds", "2" if q else "5",
                                 "--pages", "9" if q else "15"])
        return run_module(python, impl, "localcloud_bench.py", ["--json", *shape], 900)

    def fleet(chaos: bool) -> Callable[[str, str, int], dict[str, Any]]:
        def one(impl: str, python: str, it: int) -> dict[str, Any]:
            devices, per = (100, 2) if it < 0 else (1000, 5 if q else 20)
            argv = ["--json", "--devices", str(devices), "--per-device", str(per)]
            return run_module(python, impl, "fleet_bench.py",
                              argv + (["--chaos"] if chaos else []), 900)
        return one

    def fleet_metrics(chaos: bool) -> list[Metric]:
        return [
            Metric("rate", "end to end", "msg/s", True, "≥5000",
                   check=lambda v: v >= 5000, digits=0, has_ratio=False),
            Metric("rate_2_idle_cores", "CPU-bound rate on 2 idle cores", "msg/s", True,
                   digits=0, has_ratio=False),
            Metric("p50_ms", "latency p50 device->consumer", "ms", False, digits=1,
                   has_ratio=False),
            Metric("p99_ms", "latency p99 device->consumer", "ms", False, digits=1,
                   has_ratio=False),
            Metric("lost", "lost (acknowledged, never consumed)", "msgs", False, "0",
                   check=lambda v: v == 0, digits=0, has_ratio=False),
            Metric("duplicated", "duplicates seen by the consumer", "msgs", False,
                   "report" if chaos else "0", check=None if chaos else (lambda v: v == 0),
                   digits=0, has_ratio=False),
        ]

    def hardening(impl: str, python: str, it: int) -> dict[str, Any]:
        if it < 0:
            return {}  # no warm-up: it starts its own server
        cmd = [python, os.path.join(HERE, "hardening_bench.py"), "--json"] + (["--quick"] * q)
        try:
            with tempfile.TemporaryDirectory(prefix="hologram-bench-state-") as state:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                                      env=_env(impl, state), cwd=HERE)
        except subprocess.TimeoutExpired:
            return {"error": "capped: no result within 300 s", "capped": True}
        return _last_json(proc.stdout)

    def within(limit: float) -> Callable[[float], bool]:
        return lambda v: v <= limit

    hardening_metrics = [
        Metric("p99_unloaded_ms", "good client p99, unloaded", "ms", False, digits=1,
               has_ratio=False),
        Metric("slowloris_ratio", "p99 under 128-conn slowloris / unloaded", "x", False,
               "≤2", check=within(2.0), digits=2, has_ratio=False),
        Metric("idle_ratio", "p99 under 200 reconnecting idle / unloaded", "x", False,
               "≤2", check=within(2.0), digits=2, has_ratio=False),
        Metric("auth_us_1k", "auth cost, 1k devices", "µs", False, digits=1, has_ratio=False),
        Metric("auth_us_10k", "auth cost, 10k devices", "µs", False, digits=1, has_ratio=False),
        Metric("auth_us_100k", "auth cost, 100k devices", "µs", False, digits=1,
               has_ratio=False),
        Metric("auth_spread", "auth cost max/min (1k..100k)", "x", False, "≤1.2",
               check=within(1.2), digits=2, has_ratio=False),
    ]
    rate = Metric("rate", "throughput", "msg/s", True, digits=0)
    seq_rate = Metric("rate", "throughput", "msg/s", True, "≥1.0x public",
                      ratio_check=lambda r: r >= 1.0, digits=0)
    seq_bare = Metric("rate", "throughput vs bare socket", "msg/s", True, "≥0.95x bare",
                      ratio_check=lambda r: r >= 0.95, digits=0)
    modem_rows = [
        Metric("rate", "AT round trips", "cmd/s", True, "≥1.0x public",
               ratio_check=lambda r: r >= 1.0, digits=0),
        Metric("rate", "AT round trips vs bare pyserial", "cmd/s", True, "≥0.8x bare",
               ratio_check=lambda r: r >= 0.8, digits=0),
        Metric("csq_rate", "AT+CSQ round trips", "cmd/s", True, "≥1.0x public",
               ratio_check=lambda r: r >= 1.0, digits=0),
        Metric("csq_rate", "AT+CSQ round trips vs bare pyserial", "cmd/s", True, "≥0.8x bare",
               ratio_check=lambda r: r >= 0.8, digits=0)]
    scenarios = [
        Scenario("idle", "idle listener", [
            Metric("cpu_percent", "CPU, 3 s idle", "% core", False, "≤0.5",
                   check=lambda v: v <= 0.5, digits=2)], idle, reps=2 if q else 3),
        Scenario("inbound", f"inbound load 8x{300 if q else 1000}", [
            Metric("rate", "delivered", "msg/s", True, "≥5000",
                   check=lambda v: v >= 5000, digits=0),
            Metric("lost", "lost (sent OK, not delivered)", "msgs", False, "0",
                   check=lambda v: v == 0, digits=0, has_ratio=False),
            Metric("send_failed", "send failures (connect)", "msgs", False, "0",
                   check=lambda v: v == 0, digits=0, has_ratio=False)],
            inbound, reps=2 if q else 3),
        Scenario("sequential", "sequential send", [seq_rate], sequential,
                 impls=(OURS, THEIRS, BARE), reps=3 if q else 5,
                 rows=[(seq_rate, THEIRS), (seq_bare, BARE)]),
        Scenario("keep_open", "keep-open server", [
            Metric("ms", "one send", "ms", False, "≤20", check=lambda v: v <= 20)],
            keep_open, reps=1 if q else 3),
        Scenario("import", "import + construct", [
            Metric("ms", "time", "ms", False, "≤60", check=lambda v: v <= 60),
            Metric("peak_rss_mb", "peak RSS", "MB", False, "≤20", check=lambda v: v <= 20)],
            import_cost, reps=5 if q else 15),
        Scenario("outbox", f"outbox {2000 if q else 10000:,} msgs", [
            Metric("enqueue_rate", "enqueue (committed)", "msg/s", True, "≥2000",
                   check=lambda v: v >= 2000, digits=0),
            Metric("replay_rate", "replay to local cloud", "msg/s", True, "≥3000",
                   check=lambda v: v >= 3000, digits=0)],
            outbox, impls=(OURS,), reps=1 if q else 3,
            rows=[(Metric("enqueue_rate", "enqueue (committed)", "msg/s", True, "≥2000",
                          check=lambda v: v >= 2000, digits=0), ""),
                  (Metric("replay_rate", "replay to local cloud", "msg/s", True, "≥3000",
                          check=lambda v: v >= 3000, digits=0), ""),
                  (Metric("replay_rate", "replay vs plain send loop", "msg/s", True,
                          "≥0.9x plain", ratio_check=lambda r: r >= 0.9, digits=0,
                          other_key="plain_rate", other_label="plain send loop"), "same"),
                  *outbox_scale()]),
        Scenario("modem", "modem AT on a pty (E303 emulator)", modem_rows[::2], modem,
                 impls=(OURS, THEIRS, BARE_SERIAL), reps=3 if q else 5,
                 rows=[(m, other) for m, other in zip(modem_rows, [THEIRS, BARE_SERIAL] * 2)]),
        Scenario("inbound_scale", f"inbound 8/64/256 senders, {2560 if q else 8192:,} msgs each", [
            Metric("cpu_ratio", "listener CPU per msg, 256 vs 8 senders", "x", False, "≤1.2",
                   check=lambda v: v <= 1.2, digits=2, has_ratio=False),
            Metric("cpu_us_8", "listener CPU per msg, 8 senders", "µs", False, digits=1,
                   has_ratio=False),
            Metric("cpu_us_256", "listener CPU per msg, 256 senders", "µs", False, digits=1,
                   has_ratio=False),
            Metric("rate_ratio", "delivered rate at 256 vs 8 senders (driver-bound)", "x",
                   True, digits=2, has_ratio=False),
            Metric("rate_8", "delivered, 8 senders", "msg/s", True, digits=0, has_ratio=False),
            Metric("rate_64", "delivered, 64 senders", "msg/s", True, digits=0,
                   has_ratio=False),
            Metric("rate_256", "delivered, 256 senders", "msg/s", True, digits=0,
                   has_ratio=False),
            Metric("lost", "lost (sent OK, not delivered), all levels", "msgs", False, "0",
                   check=lambda v: v == 0, digits=0, has_ratio=False),
            Metric("send_failed", "send failures (connect), all levels", "msgs", False, "0",
                   check=lambda v: v == 0, digits=0, has_ratio=False)],
            inbound_scale, impls=(OURS,), reps=1),
        Scenario("localcloud", f"local cloud at 10k vs {LOCALCLOUD_DEEP[q] // 1000:,}k stored"
                 + (" (--quick: 1M skipped)" if q else ""), [
            Metric("ingest_cost_ratio", "ingest cost per msg, deep/10k", "x", False, "≤1.2",
                   check=lambda v: v <= 1.2, digits=2, has_ratio=False),
            Metric("page_newest_cost_ratio", "messages --limit 50 (newest), deep/10k", "x",
                   False, "≤1.2", check=lambda v: v <= 1.2, digits=2, has_ratio=False),
            Metric("page_middle_cost_ratio", "messages page half-way down, deep/10k", "x",
                   False, "≤1.2", check=lambda v: v <= 1.2, digits=2, has_ratio=False),
            Metric("ingest_rate_shallow", "ingest at 10k (TCP, 4 senders)", "msg/s", True,
                   digits=0, has_ratio=False),
            Metric("ingest_rate_deep", "ingest when deep", "msg/s", True, digits=0,
                   has_ratio=False),
            Metric("page_newest_ms_deep", "newest page when deep", "ms", False, digits=2,
                   has_ratio=False),
            Metric("page_middle_ms_deep", "page half-way down when deep", "ms", False,
                   digits=2, has_ratio=False),
            Metric("lost", "ingested messages not stored", "msgs", False, "0",
                   check=lambda v: v == 0, digits=0, has_ratio=False)],
            localcloud, impls=(OURS,), reps=1),
        Scenario("hardening", "local cloud under attack; auth by fleet size",
                 hardening_metrics, hardening, impls=(OURS,), reps=1),
        Scenario("fleet", "fleet: 1,000 devices, 2 gateways, mosquitto", fleet_metrics(False),
                 fleet(False), impls=(OURS,), reps=1),
        Scenario("fleet_chaos", "fleet + broker restart + gateway SIGKILL",
                 fleet_metrics(True), fleet(True), impls=(OURS,), reps=1),
    ]
    del rate
    for s in scenarios:
        if not s.rows:
            other = THEIRS if THEIRS in s.impls else ""
            s.rows = [(m, other) for m in s.metrics]
    return {s.name: s for s in scenarios}


# --- running and reporting -----------------------------------------------------


def run_scenario(s: Scenario, pythons: dict[str, Optional[str]],
                 log: Callable[[str], None]) -> dict[str, list[dict[str, Any]]]:
    impls = [i for i in s.impls if pythons.get(i)]
    samples: dict[str, list[dict[str, Any]]] = {i: [] for i in impls}
    started = time.monotonic()
    order = list(impls)
    for it in range(-1, s.reps):  # -1: the warm-up, discarded
        for impl in order:
            python = pythons[impl]
            assert python is not None
            result = s.run(impl, python, it)
            if result.get("not_built"):
                log(f"  {s.name}: {impl} not built ({result.get('why', '')})")
                samples[impl] = [result]
                impls = [i for i in impls if i != impl]
                continue
            if it >= 0:
                samples[impl].append(result)
            log(f"  {s.name} {'warm-up' if it < 0 else f'rep {it + 1}'} {impl}: "
                + _brief(result, s.metrics))
        order = [i for i in reversed(order) if i in impls]  # alternate who goes first
    log(f"  {s.name}: {time.monotonic() - started:.1f} s")
    return samples


def _brief(result: dict[str, Any], metrics: list[Metric]) -> str:
    if "error" in result:
        return "ERROR " + result["error"]
    parts = [f"{m.key}={result.get(m.key)!r:.10}" for m in metrics]
    if result.get("partial"):
        parts.append("partial")
    return " ".join(parts)


def _values(runs: list[dict[str, Any]], key: str) -> list[float]:
    return [float(r[key]) for r in runs if isinstance(r.get(key), (int, float))]


def summarize(s: Scenario, samples: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = []
    for metric, other in s.rows:
        row: dict[str, Any] = {"scenario": s.title, "name": s.name, "metric": metric.label,
                               "unit": metric.unit, "goal": metric.goal,
                               "other": metric.other_label or LABEL.get(other, "")}
        for side, impl in (("ours", OURS), ("theirs", other)):
            key = metric.key
            if side == "theirs" and metric.other_key is not None:
                impl, key = OURS, metric.other_key  # a column from the same runs
            runs = samples.get(impl, [])
            values = _values(runs, key)
            row[side] = {
                "median": statistics.median(values) if values else None,
                "min": min(values) if values else None,
                "max": max(values) if values else None,
                "samples": values,
                "not_built": bool(runs and runs[0].get("not_built")),
                "partial": any(r.get("partial") or r.get("capped") for r in runs),
                "errors": [r["error"] for r in runs if "error" in r],
            }
        ours, theirs = row["ours"]["median"], row["theirs"]["median"]
        ratio = None
        if ours is not None and theirs is not None and metric.has_ratio:
            num, den = (ours, theirs) if metric.higher_is_better else (theirs, ours)
            ratio = num / den if den else (None if num == 0 else float("inf"))
        row["ratio"] = ratio
        verdict = ""
        if row["ours"]["not_built"]:
            verdict = "not built"
        elif ours is None:
            verdict = "error" if row["ours"]["errors"] else ""
        elif metric.check is not None:
            verdict = "pass" if metric.check(ours) else "FAIL"
        elif metric.ratio_check is not None:
            verdict = ("pass" if metric.ratio_check(ratio) else "FAIL") if ratio else "n/a"
        row["result"] = verdict
        row["goal_on_ratio"] = metric.check is None and metric.ratio_check is not None
        row["digits"] = metric.digits
        rows.append(row)
    return rows


def _fmt(value: Optional[float], digits: int) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _cell(side: dict[str, Any], digits: int) -> list[str]:
    if side["not_built"]:
        return ["not built", "", ""]
    if side["median"] is None:
        return ["error" if side["errors"] else "—", "", ""]
    mark = "*" if side["partial"] else ""
    return [_fmt(side["median"], digits) + mark, _fmt(side["min"], digits),
            _fmt(side["max"], digits)]


def table(rows: list[dict[str, Any]]) -> str:
    head = ["scenario", "metric", "unit", "ours med", "min", "max", "theirs", "theirs med",
            "min", "max", "ratio", "goal", "result"]
    body = []
    for r in rows:
        d = r["digits"]
        theirs = _cell(r["theirs"], d) if r["other"] else ["n/a", "", ""]
        ratio = "—" if r["ratio"] is None else (
            "∞" if r["ratio"] == float("inf") else f"{r['ratio']:.2f}x")
        body.append([r["scenario"], r["metric"], r["unit"], *_cell(r["ours"], d),
                     r["other"] or "—", *theirs, ratio, r["goal"] or "report", r["result"]])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for b in body:
        lines.append("| " + " | ".join(str(x).ljust(w) for x, w in zip(b, widths)) + " |")
    return "\n".join(lines)


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Pass/fail over the rows that have a goal; an errored row counts as failed."""
    failed = [r for r in rows if r["result"] in ("FAIL", "error")]
    passed = [r for r in rows if r["result"] == "pass"]
    other = len(rows) - len(passed) - len(failed)
    lines = [f"summary: {len(passed)} rows pass, {len(failed)} fail"
             + (f", {other} without a verdict (report only, n/a or not built)" if other else "")]
    for r in failed:
        value = f"{_fmt(r['ours']['median'], r['digits'])} {r['unit']}"
        if r.get("goal_on_ratio") and r["ratio"] is not None:
            value = f"{r['ratio']:.2f}x {r['other']}"
        lines.append(f"  {r['result']}: {r['scenario']} / {r['metric']}: {value} "
                     f"(goal {r['goal'] or '?'})")
    return {"passed": len(passed), "failed": len(failed), "other": other,
            "failures": [f"{r['scenario']} / {r['metric']}" for r in failed],
            "lines": lines}


def machine() -> dict[str, str]:
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem_kib = int(f.readline().split()[1])
    except OSError:
        mem_kib = 0
    return {"nproc": str(os.cpu_count()), "cpu": model,
            "ram": f"{mem_kib / 1024 / 1024:.1f} GiB", "python": platform.python_version(),
            "kernel": platform.release()}


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, smaller loads")
    parser.add_argument("--scenario", action="append", metavar="NAME",
                        help="run only this scenario (repeatable)")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 when a row fails its goal (default: 0)")
    args = parser.parse_args(argv)
    scenarios = _scenarios(args.quick)
    names = args.scenario or list(scenarios)
    unknown = [n for n in names if n not in scenarios]
    if unknown:
        parser.error(f"unknown scenario {unknown}; valid: {', '.join(scenarios)}")

    def log(msg: str) -> None:
        sys.stderr.write(msg + "\n")
        sys.stderr.flush()

    theirs = theirs_python(log)
    pythons = {OURS: ours_python(), THEIRS: theirs, BARE: ours_python(),
               BARE_SERIAL: ours_python()}
    compile_ours(pythons[OURS], log)
    findings = public_sdk_findings(theirs)
    for note in findings:
        log(note)
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    rows: list[dict[str, Any]] = []
    for name in names:
        log(f"scenario {name} ...")
        rows += summarize(scenarios[name], run_scenario(scenarios[name], pythons, log))
    elapsed = time.monotonic() - started
    load = f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    verdict = summary(rows)
    if args.json:
        out = json.dumps({"machine": machine(), "load_average_1min": load, "quick": args.quick,
                          "findings": findings, "seconds": elapsed, "rows": rows,
                          "summary": {k: v for k, v in verdict.items() if k != "lines"}},
                         indent=2)
    else:
        m = machine()
        lines = [table(rows), "",
                 "ratio: times better than the other column (>1: ours wins); "
                 "* partial (capped in time); medians decide pass/fail",
                 f"machine: {m['nproc']} CPUs, {m['cpu']}, {m['ram']} RAM, "
                 f"Python {m['python']}, Linux {m['kernel']}; load average (1 min) {load}; "
                 f"run took {elapsed:.0f} s"]
        lines += ["finding: " + note for note in findings]
        lines += ["", *verdict["lines"]]
        out = "\n".join(lines)
    sys.stdout.write(out + "\n")
    return 1 if args.strict and verdict["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
