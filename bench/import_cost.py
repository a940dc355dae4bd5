"""Cost of `import Hologram` plus one CustomCloud, in a fresh interpreter each run.

The time is measured inside the child around the import and the constructor
(interpreter start-up is not the SDK's and is printed apart); the memory is
the child's peak RSS (VmHWM, interpreter included: not ``ru_maxrss``, which
Linux carries over from the parent across exec). Prints medians and exits 1 when
over the goal (60 ms, 20 MB). Usage: python bench/import_cost.py [runs]
"""

# ruff: noqa: T201  (a benchmark script reports on stdout)
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time

GOAL_MS = 60.0
GOAL_MB = 20.0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CODE = (
    "import time\n"
    "start = time.perf_counter()\n"
    "import Hologram\n"
    "Hologram.CustomCloud(None, send_host='127.0.0.1', send_port=9999)\n"
    "elapsed = time.perf_counter() - start\n"
    "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]\n"
    "print(elapsed, hwm)\n"
)


def one_run() -> tuple[float, float, float]:
    """Import seconds, whole-process seconds and peak RSS (MB) of one child."""
    env = dict(os.environ, PYTHONPATH=ROOT, PYTHONDONTWRITEBYTECODE="1")
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", CODE], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    output = child.stdout.read()
    child.stdout.close()
    _, status = os.waitpid(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"the child failed with status {child.returncode}")
    seconds, hwm_kib = output.split()
    return float(seconds), wall, int(hwm_kib) / 1024.0


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 11
    one_run()  # warm the page cache and bytecode
    results = [one_run() for _ in range(runs)]
    import_ms = statistics.median(r[0] for r in results) * 1000
    process_ms = statistics.median(r[1] for r in results) * 1000
    rss_mb = max(r[2] for r in results)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"import Hologram + CustomCloud: median {import_ms:.1f} ms over {runs} runs "
          f"(goal < {GOAL_MS:g} ms; whole child process {process_ms:.1f} ms)")
    print(f"peak RSS of the child: {rss_mb:.1f} MB (goal < {GOAL_MB:g} MB; "
          f"this benchmark process: {baseline:.1f} MB)")
    ok = import_ms < GOAL_MS and rss_mb < GOAL_MB
    print("OK" if ok else "OVER GOAL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
