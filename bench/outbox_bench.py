"""Outbox benchmark: enqueue rate, replay rate into the local cloud, and the SQLite ceiling.

Usage: ``python bench/outbox_bench.py [--json] [--enqueue N] [--replay N] [--repeat R]``
or ``python bench/outbox_bench.py --worker PARAMS_JSON`` (one JSON result line, for
``bench/run.py``'s outbox scenario).

- enqueue: ``Outbox.put`` of one encoded cloud message with topics, each
  committed (``synchronous=FULL``: fsynced) before the next starts.
- raw insert: the ceiling for enqueue: plain ``sqlite3``, same file settings
  (WAL, ``synchronous=FULL``), one INSERT of the same bytes per transaction.
- replay: N queued messages delivered by ``OutboxDelivery.flush_now`` (one TCP
  connection per message, row deleted after each reply) into the local cloud
  (``hologram_sdk.emulator.cloud.LocalCloud``, its default in-memory store),
  running in its own process as a real server would. The local cloud's count
  and order are checked afterwards.
- no outbox: the same requests sent by a plain ``send_request`` loop into
  the same local cloud: the ceiling the server itself sets for one client
  that waits for each reply (as FIFO delivery must).
- replay, bare server: the replay into a minimal blocking server (no
  parsing, no storage), to show the client side's own ceiling.

- scale (``--worker`` only): the queue seeded in bulk (one transaction of
  direct SQL) to 10k / 100k / 1M waiting rows, then the rate of ``put`` of a
  fixed batch and of the replay of a fixed batch (the oldest rows, into the
  bare server) at that depth, and the worker's peak RSS after each depth.

Profile of replay (issue 16; cProfile and ``strace -c`` of ``flush_now``
into the local cloud and into the bare server, client CPU per message, on
the shared 2-core machine): replay ~255 us vs ~100 us for the plain
``send_request`` loop. Per message the replay made the same socket calls as
the loop plus a ``poll``/``getsockopt`` on the early-connected socket; on
top came, largest first, the acknowledgement as a SQLite commit (~35 us CPU
and a 4 KiB WAL frame, between one reply and the next request), the JSON
of each row's topics, reply parsing, the text encoding behind
``OutboxItem.size``, then the layers (delivery, ``TcpSender``, ``tcp_send``).
Done: acknowledgements are 8-byte appends to an ack log folded into SQLite
with the next batch's claim (``hologram_sdk/outbox/acklog.py``), ``[0,0]``
needs no parsing, topics are decoded once per distinct value, the stored size
is reused: ~145-185 us. What is left is Python per layer and the early
connect's bookkeeping (which takes the handshake off the critical path).

Each figure is the median of ``--repeat`` runs (min and max shown). The goals
(issue 4) are enqueue >= 2,000/s and replay >= 3,000/s on a 2-core machine;
issue 16 adds replay >= 0.9x the plain send loop into the same local cloud
(measured in the same run, the server process shared, turns alternating, the
best turn of each compared) and
scale rates flat within 20% from 10k to 1M queued rows, with bounded RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from hologram_sdk.outbox import Outbox  # noqa: E402
from hologram_sdk.outbox.delivery import (  # noqa: E402
    FlushResult,
    OutboxDelivery,
    destination_key,
    tcp_sender,
)
from hologram_sdk.wire.protocol import Credentials, encode_message  # noqa: E402

CREDS = Credentials(cloud_id="ab12", cloud_key="cd34")
TOPICS = ["TEMP", "bench"]

LOCAL_CLOUD = r"""
import json, sys
from hologram_sdk.emulator.cloud import LocalCloud
cloud = LocalCloud(port=0).start()
print(cloud.port, flush=True)
sys.stdin.readline()
messages = cloud.messages()
print(json.dumps([m.data for m in messages]), flush=True)
cloud.close()
"""

BARE_SERVER = r"""
import socket, sys
server = socket.create_server(("127.0.0.1", 0), backlog=128)
print(server.getsockname()[1], flush=True)
count = 0
while True:
    conn, _ = server.accept()
    data = b""
    while not data.endswith(b"\r\r"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    if data == b"QUIT\r\r":
        conn.close()
        break
    conn.sendall(b"[0,0]")
    conn.close()
    count += 1
print(count, flush=True)
"""


def body(i: int) -> bytes:
    return encode_message(CREDS, f"reading {i}: 21.5", TOPICS)


def enqueue_rate(directory: str, n: int) -> float:
    path = os.path.join(directory, f"enqueue-{time.monotonic_ns()}.db")
    bodies = [body(i) for i in range(n)]
    with Outbox(path) as box:
        start = time.perf_counter()
        for i, data in enumerate(bodies):
            box.put("127.0.0.1:9999", "message", data, TOPICS, text=f"reading {i}: 21.5")
        return n / (time.perf_counter() - start)


def raw_insert_rate(directory: str, n: int) -> float:
    path = os.path.join(directory, f"raw-{time.monotonic_ns()}.db")
    bodies = [body(i) for i in range(n)]
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
        start = time.perf_counter()
        for data in bodies:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (body) VALUES (?)", (data,))
            conn.execute("COMMIT")
        return n / (time.perf_counter() - start)
    finally:
        conn.close()


def _server(code: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.path.dirname(HERE)},
    )
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def _replay(directory: str, n: int, port: int) -> float:
    path = os.path.join(directory, f"replay-{time.monotonic_ns()}.db")
    dest = destination_key("127.0.0.1", port)
    with Outbox(path) as box:
        for i in range(n):
            box.put(dest, "message", body(i), TOPICS, text=f"reading {i}: 21.5")
        with OutboxDelivery(box, tcp_sender(5.0), dest) as delivery:
            start = time.perf_counter()
            result = delivery.flush_now()
            elapsed = time.perf_counter() - start
        if result.sent != n or box.count() != 0:
            raise SystemExit(f"replay incomplete: {result}")
    return n / elapsed


def replay_local_cloud(directory: str, n: int) -> float:
    proc, port = _server(LOCAL_CLOUD)
    try:
        rate = _replay(directory, n, port)
        out, _ = proc.communicate("done\n", timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stored = json.loads(out)
    if stored != [f"reading {i}: 21.5" for i in range(n)]:
        raise SystemExit(f"the local cloud holds {len(stored)} messages, not the {n} in order")
    return rate


def client_loop_local_cloud(directory: str, n: int) -> float:
    """No outbox: ``send_request`` in a loop into the same LocalCloud (its own ceiling)."""
    from hologram_sdk.wire.protocol import reply_complete
    from hologram_sdk.transport.tcp import send_request

    bodies = [body(i) for i in range(n)]
    proc, port = _server(LOCAL_CLOUD)
    try:
        start = time.perf_counter()
        for data in bodies:
            send_request("127.0.0.1", port, data, 5.0, reply_complete)
        rate = n / (time.perf_counter() - start)
        out, _ = proc.communicate("done\n", timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if len(json.loads(out)) != n:
        raise SystemExit("the local cloud did not store every message")
    return rate


def replay_and_plain(directory: str, n: int, turns: int = 2) -> tuple[float, float]:
    """Replay and the plain ``send_request`` loop into one LocalCloud process, alternating.

    :returns: the best replay rate and the best plain-loop rate of the turns
        (each the run least disturbed by other work on a shared machine)
    """
    from hologram_sdk.wire.protocol import reply_complete
    from hologram_sdk.transport.tcp import send_request

    bodies = [body(i) for i in range(n)]
    replays: list[float] = []
    plains: list[float] = []
    proc, port = _server(LOCAL_CLOUD)
    try:
        for turn in range(turns):
            for which in ("replay", "plain") if turn % 2 == 0 else ("plain", "replay"):
                if which == "replay":
                    replays.append(_replay(directory, n, port))
                    continue
                start = time.perf_counter()
                for data in bodies:
                    send_request("127.0.0.1", port, data, 5.0, reply_complete)
                plains.append(n / (time.perf_counter() - start))
        out, _ = proc.communicate("done\n", timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if len(json.loads(out)) != 2 * n * turns:
        raise SystemExit("the local cloud did not store every message")
    return max(replays), max(plains)


def seed(path: str, destination: str, rows: int) -> float:
    """Fill an outbox with ``rows`` waiting messages in one transaction; returns seconds.

    Direct SQL, written straight into the database file (no journal, no
    fsync), with the per-row stats triggers dropped and the one stats row set
    at the end: a million rows in seconds. The file is back in WAL mode after.
    """
    with Outbox(path, max_messages=10**9, max_bytes=10**12):
        pass  # the schema
    start = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        triggers = [row[0] for row in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'outbox'")]
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DROP TRIGGER outbox_stats_insert")
        conn.execute("DROP TRIGGER outbox_stats_delete")
        first = body(0)
        size = len(first) + len("reading 0: 21.5")
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO outbox (id, destination, kind, body, text, topics, size, created) "
            "SELECT i, ?, 'message', ?, 'reading 0: 21.5', '[\"TEMP\",\"bench\"]', ?, "
            "1.0e9 + i FROM n",
            (rows, destination, first, size),
        )
        conn.execute("UPDATE outbox_stats SET messages = ?, bytes = ?, last_id = ?",
                     (rows, rows * size, rows))
        for sql in triggers:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    # on disk before anything is measured: the kernel writing the seeded pages
    # back during the measurement would slow the fsyncs of put
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return time.perf_counter() - start


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


#: Batches per scale figure; the fastest one counts (timeit style).
BATCHES = 5


def scale(directory: str, depth: int, puts: int, replays: int) -> dict[str, float]:
    """``put`` and replay rates with ``depth`` messages already waiting.

    ``puts`` and ``replays`` are split in :data:`BATCHES` batches each; the
    rate of the fastest batch is reported (the least disturbed one).
    """
    proc, port = _server(BARE_SERVER)
    path = os.path.join(directory, f"scale-{depth}.db")
    dest = destination_key("127.0.0.1", port)
    try:
        seconds = seed(path, dest, depth)
        with Outbox(path, max_messages=depth + puts + 1, max_bytes=10**12) as box:
            data = body(1)
            per_put, per_replay = max(1, puts // BATCHES), max(1, replays // BATCHES)
            put_times = []
            for _ in range(BATCHES):
                start = time.perf_counter()
                for _ in range(per_put):
                    box.put(dest, "message", data, TOPICS, text="reading 1: 21.5")
                put_times.append(time.perf_counter() - start)
            replay_times = []
            for _ in range(BATCHES):
                with OutboxDelivery(box, tcp_sender(5.0), dest) as delivery:

                    def enough(result: FlushResult, delivery: OutboxDelivery = delivery) -> None:
                        if result.sent >= per_replay:
                            delivery.stop()

                    start = time.perf_counter()
                    result = delivery.flush_now(progress=enough)
                    replay_times.append(time.perf_counter() - start)
                if result.sent != per_replay:
                    raise SystemExit(f"scale replay at {depth}: {result}")
            left = depth + BATCHES * (per_put - per_replay)
            if box.count() != left:
                raise SystemExit(f"scale at {depth}: {box.count()} left, not {left}")
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"QUIT\r\r")
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for tail in ("", "-wal", "-shm"):
            if os.path.exists(path + tail):
                os.remove(path + tail)
    # the best batch: the one least disturbed by other work on a shared machine
    return {"put_rate": per_put / min(put_times), "replay_rate": per_replay / min(replay_times),
            "seed_s": seconds, "peak_rss_mb": peak_rss_mb()}


def worker(params: dict[str, object]) -> dict[str, object]:
    """One run for ``bench/run.py``: enqueue, replay vs plain loop, and the scale rows.

    ``params``: ``messages`` (enqueue and replay size), ``depths`` (list of
    queue depths; empty for none), ``puts`` and ``replays`` (batch sizes at depth).
    """
    n = int(params["messages"])  # type: ignore[call-overload]
    depths = [int(d) for d in params.get("depths", [])]  # type: ignore[attr-defined]
    puts = int(params.get("puts", 500))  # type: ignore[call-overload]
    replays = int(params.get("replays", 2000))  # type: ignore[call-overload]
    result: dict[str, object] = {"messages": n}
    with tempfile.TemporaryDirectory(prefix="hologram-bench-") as directory:
        result["enqueue_rate"] = enqueue_rate(directory, n)
        replay, plain = replay_and_plain(directory, n)
        result.update(replay_rate=replay, plain_rate=plain, replay_vs_plain=replay / plain)
        for depth in depths:
            for key, value in scale(directory, depth, puts, replays).items():
                result[f"{key}_{depth}"] = value
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def replay_bare(directory: str, n: int) -> float:
    proc, port = _server(BARE_SERVER)
    try:
        rate = _replay(directory, n, port)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"QUIT\r\r")
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if int(out) != n:
        raise SystemExit(f"the bare server got {out.strip()} messages, expected {n}")
    return rate


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def measure(fn: Callable[[], float], repeat: int) -> dict[str, float]:
    fn()  # warm-up, discarded
    values = [fn() for _ in range(repeat)]
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--enqueue", type=int, default=3000, help="messages per enqueue run")
    parser.add_argument("--replay", type=int, default=10_000, help="messages per replay run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--worker", metavar="PARAMS_JSON",
                        help="one run for bench/run.py: print its JSON result line")
    args = parser.parse_args(argv)
    if args.worker is not None:
        try:
            say(json.dumps(worker(json.loads(args.worker))))
        except SystemExit as exc:  # a check failed: reported in the table
            say(json.dumps({"error": f"outbox_bench: {exc}"}))
        return 0
    with tempfile.TemporaryDirectory(prefix="outbox-bench-") as directory:
        rows = [
            (
                "enqueue (Outbox.put, each fsynced)",
                "msg/s",
                2000,
                measure(lambda: enqueue_rate(directory, args.enqueue), args.repeat),
            ),
            (
                "raw SQLite insert (ceiling)",
                "rows/s",
                None,
                measure(lambda: raw_insert_rate(directory, args.enqueue), args.repeat),
            ),
            (
                f"replay {args.replay} into LocalCloud",
                "msg/s",
                3000,
                measure(lambda: replay_local_cloud(directory, args.replay), args.repeat),
            ),
            (
                f"no outbox: {args.replay} sends into LocalCloud",
                "msg/s",
                None,
                measure(lambda: client_loop_local_cloud(directory, args.replay), args.repeat),
            ),
            (
                f"replay {args.replay} into a bare server",
                "msg/s",
                None,
                measure(lambda: replay_bare(directory, args.replay), args.repeat),
            ),
        ]
    load = os.getloadavg()[0]
    if args.json:
        say(
            json.dumps(
                {
                    "cpus": os.cpu_count(),
                    "load": load,
                    "results": [
                        {"name": name, "unit": unit, "goal": goal, **values}
                        for name, unit, goal, values in rows
                    ],
                },
                indent=2,
            )
        )
        return 0
    width = max(len(r[0]) for r in rows)
    say(f"{'measurement'.ljust(width)}  {'median':>8}  {'min':>8}  {'max':>8}  unit    goal")
    for name, unit, goal, v in rows:
        verdict = (
            "" if goal is None else (f">= {goal}  " + ("met" if v["median"] >= goal else "MISSED"))
        )
        say(
            f"{name.ljust(width)}  {v['median']:8.0f}  {v['min']:8.0f}  {v['max']:8.0f}  "
            f"{unit:6}  {verdict}".rstrip()
        )
    say(f"({os.cpu_count()} CPUs, load average {load:.2f}; medians of {args.repeat} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
