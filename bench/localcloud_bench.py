"""Local cloud at depth: ingest rate and ``hologram messages`` page time, shallow vs deep.

Usage: ``python bench/localcloud_bench.py [--json] [--depths 10000,1000000]
[--batch N] [--senders N] [--rounds N]``

For each depth a database is seeded directly with that many messages (one
transaction, ``executemany``: seconds for a million rows, not an ingest), and
a local cloud (``LocalCloud`` on that file, in its own process as a real
server runs) is started on it. Then, in rounds that alternate the depths (so
machine noise hits both alike):

- ingest: ``--batch`` new messages through real TCP from ``--senders``
  concurrent clients (``send_request``, one connection per message, each
  answered only once committed); msg/s.
- paging: ``hologram messages --limit 50`` (the newest page) and ``--limit 50
  --before <depth/2>`` (a page half-way down the table), each run in this
  process with its output captured; ms per page (the least of ``--pages``).

The goal (issue 16): per-operation cost flat within 20% from the shallow to
the deep table, i.e. each ``*_cost_ratio`` (deep cost / shallow cost) <= 1.2.
Every message sent must be stored (``lost`` = 0).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from hologram_sdk.cli import build_parser  # noqa: E402
from hologram_sdk.emulator.cloud import CloudStore  # noqa: E402
from hologram_sdk.wire.protocol import reply_complete  # noqa: E402
from hologram_sdk.transport.tcp import send_request  # noqa: E402
from hologram_sdk.wire.protocol import Credentials, encode_message  # noqa: E402

CREDS = Credentials(cloud_id="ab12", cloud_key="cd34")
PAGE = 50

SERVER = r"""
import sys
from hologram_sdk.emulator.cloud import LocalCloud
cloud = LocalCloud(port=0, db=sys.argv[1]).start()
print(cloud.port, flush=True)
sys.stdin.readline()
cloud.close()
"""


def seed(path: str, n: int) -> float:
    """Create the local cloud's database at ``path`` holding ``n`` messages; seconds taken."""
    start = time.perf_counter()
    with CloudStore(path):  # the schema, as the server makes it
        pass
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # bulk load: no fsync until the end, a page cache that holds the index
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")
        t0 = time.time() - n * 0.001
        conn.execute("BEGIN")
        conn.execute(  # the rows made by SQLite itself: no Python per row
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO messages (device, topics, data, received) "
            "SELECT 'device-' || (i % 100), '[\"TEMP\",\"seed\"]', "
            "'seed reading ' || i || ': 21.5', ? + i * 0.001 FROM n",
            (n - 1, t0),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return time.perf_counter() - start


def count(path: str) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM messages").fetchone()[0])
    finally:
        conn.close()


class Server:
    """A local cloud on ``path`` in its own process."""

    def __init__(self, path: str) -> None:
        env = {**os.environ, "PYTHONPATH": ROOT}
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER, path], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            self.close()
            raise SystemExit(f"the local cloud on {path} did not start")
        self.port = int(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.communicate("stop\n", timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.communicate()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ingest(port: int, batch: int, senders: int, tag: str) -> tuple[float, int]:
    """``batch`` messages from ``senders`` threads; (msg/s, messages not acknowledged)."""
    bodies = [encode_message(CREDS, f"{tag} {i}: 21.5", ["TEMP", "bench"]) for i in range(batch)]
    failed = [0] * senders
    gate = threading.Barrier(senders + 1)

    def work(n: int) -> None:
        gate.wait()
        for data in bodies[n::senders]:
            try:
                if send_request("127.0.0.1", port, data, 10.0, reply_complete) != b"[0,0]":
                    failed[n] += 1
            except OSError:
                failed[n] += 1

    threads = [threading.Thread(target=work, args=(n,)) for n in range(senders)]
    for thread in threads:
        thread.start()
    gate.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return batch / (time.perf_counter() - start), sum(failed)


def page_ms(path: str, *extra: str, pages: int) -> float:
    """Least ms of ``pages`` runs of ``hologram messages --db path --limit 50 [extra]``
    (output captured): like ``timeit``, the run least disturbed by the machine.

    The command line is parsed once: what is timed is the command's own work
    (open the database read-only, read the page and its routes, print it), not
    building the CLI's argument parser, which is the same at any depth.
    """
    argv = ["messages", "--db", path, "--limit", str(PAGE), *extra]
    args = build_parser().parse_args(argv)
    times = []
    for _ in range(pages):
        out = io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(out):
            status = args.func(args)
        times.append(1000 * (time.perf_counter() - start))
        if status != 0 or out.getvalue().count("\n") < PAGE:
            raise SystemExit(f"hologram {' '.join(argv)} failed ({status})")
    return min(times)


def run(depths: list[int], batch: int, senders: int, rounds: int, pages: int,
        log: Any = lambda m: None) -> dict[str, Any]:
    shallow, deep = depths
    result: dict[str, Any] = {"depth_shallow": shallow, "depth_deep": deep, "batch": batch,
                              "senders": senders, "rounds": rounds}
    samples: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="hologram-bench-localcloud-") as directory:
        paths = {d: os.path.join(directory, f"cloud-{d}.db") for d in depths}
        for depth, path in paths.items():
            seconds = seed(path, depth)
            log(f"seeded {depth:,} messages in {seconds:.1f} s")
            result[f"seed_s_{'deep' if depth == deep else 'shallow'}"] = seconds
        lost = 0
        with Server(paths[shallow]) as s_shallow, Server(paths[deep]) as s_deep:
            servers = {shallow: s_shallow, deep: s_deep}
            for r in range(rounds):
                for depth in (depths if r % 2 == 0 else depths[::-1]):
                    side = "deep" if depth == deep else "shallow"
                    rate, failed = ingest(servers[depth].port, batch, senders, f"r{r}")
                    lost += failed
                    samples.setdefault(f"ingest_rate_{side}", []).append(rate)
                    path = paths[depth]
                    samples.setdefault(f"page_newest_ms_{side}", []).append(
                        page_ms(path, pages=pages))
                    samples.setdefault(f"page_middle_ms_{side}", []).append(
                        page_ms(path, "--before", str(depth // 2), pages=pages))
                    log(f"round {r + 1} depth {depth:,}: ingest {rate:,.0f}/s")
        for depth, path in paths.items():  # every acknowledged message was stored
            lost += depth + batch * rounds - count(path)
    for key, values in samples.items():
        result[key] = statistics.median(values)
    result["ingest_cost_ratio"] = result["ingest_rate_shallow"] / result["ingest_rate_deep"]
    for page in ("newest", "middle"):
        result[f"page_{page}_cost_ratio"] = (result[f"page_{page}_ms_deep"]
                                             / result[f"page_{page}_ms_shallow"])
    result["lost"] = lost
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depths", default="10000,1000000",
                        help="shallow,deep stored messages (default 10000,1000000)")
    parser.add_argument("--batch", type=int, default=1000, help="messages ingested per round")
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", type=int, default=15, help="page reads per measurement")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    depths = [int(d) for d in args.depths.split(",")]
    if len(depths) != 2 or not 0 < depths[0] < depths[1]:
        parser.error("--depths takes two sizes, shallow first")
    if depths[0] < 2 * PAGE:
        parser.error(f"the shallow depth must hold at least {2 * PAGE} messages")
    result = run(depths, args.batch, args.senders, args.rounds, args.pages,
                 log=lambda m: sys.stderr.write(m + "\n"))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value:,.3f}" if isinstance(value, float) else
                  f"{key:>24}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
