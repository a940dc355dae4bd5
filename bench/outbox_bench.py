"""Outbox benchmark: enqueue rate, replay rate into the local cloud, and the SQLite ceiling.

Usage: ``python bench/outbox_bench.py [--json] [--enqueue N] [--replay N] [--repeat R]``

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

Each figure is the median of ``--repeat`` runs (min and max shown). The goals
(issue 4) are enqueue >= 2,000/s and replay >= 3,000/s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
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
from hologram_sdk.outbox.delivery import OutboxDelivery, destination_key, tcp_sender  # noqa: E402
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
    from hologram_sdk.outbox.sender import reply_complete
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
    args = parser.parse_args(argv)
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
