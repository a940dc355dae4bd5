"""One benchmark measurement in a fresh process, for our SDK, the public SDK or a bare socket.

Run by ``bench/run.py`` with the interpreter of the implementation under test
(``.venv`` for ours, ``.bench-venv`` for the public ``hologram-python``), so the
code here uses only the standard library and the documented ``Hologram`` API
that both SDKs share. Usage::

    python bench/worker.py SCENARIO IMPL 'JSON-PARAMS'

It prints one JSON object on its last stdout line. Interactive scenarios first
print ``READY`` and then wait for a line on stdin (see each function).
A result with ``"not_built": true`` means the part under test does not exist yet.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import sys
import threading
import time

OURS, THEIRS, BARE = "ours", "theirs", "bare"


class NotBuilt(Exception):
    """The part under test cannot be imported yet."""


def _emit(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _custom_cloud_class():
    try:
        from Hologram.CustomCloud import CustomCloud
    except ImportError as exc:
        raise NotBuilt(f"Hologram.CustomCloud: {exc}") from None
    return CustomCloud


def _inbound_cloud(port: int):
    cls = _custom_cloud_class()
    return cls(
        None,
        send_host="127.0.0.1",
        send_port=9,
        receive_host="127.0.0.1",
        receive_port=port,
        enable_inbound=True,
    )


def _close_inbound(cloud) -> None:
    cloud.closeReceiveSocket()
    close = getattr(cloud, "close", None)
    if callable(close):
        close()


# --- scenarios ---------------------------------------------------------------


def idle(impl: str, params: dict) -> dict:
    """CPU used by a CustomCloud with inbound enabled while nothing happens."""
    cloud = _inbound_cloud(params["port"])
    try:
        time.sleep(params.get("settle", 0.3))
        wall0, cpu0 = time.monotonic(), _cpu_seconds()
        time.sleep(params["seconds"])
        wall1, cpu1 = time.monotonic(), _cpu_seconds()
    finally:
        _close_inbound(cloud)
    return {"cpu_percent": 100.0 * (cpu1 - cpu0) / (wall1 - wall0), "wall_s": wall1 - wall0}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def inbound(impl: str, params: dict) -> dict:
    """A listener fed by senders in another process.

    Prints ``READY``; then reads ``DONE <expected> <grace seconds>`` from stdin,
    waits until that many messages arrived (or the grace time ran out), and
    returns every message received with the arrival times of the first and last.
    Messages are taken from the cloud as they arrive (``popReceivedMessage``).
    """
    cloud = _inbound_cloud(params["port"])
    arrivals: list[float] = []

    def on_message() -> None:  # zero-argument callbacks work in both SDKs
        arrivals.append(time.monotonic())

    cloud.event.subscribe("message.received", on_message)
    messages: list[str] = []
    undecodable = 0

    def take() -> None:
        # as an application does: taken as they come, so that no receive
        # buffer (ours keeps 1,000 by default) overflows during a long run
        nonlocal undecodable
        while True:
            message = cloud.popReceivedMessage()
            if message is None:
                return
            if isinstance(message, bytes):
                try:
                    message = message.decode()
                except UnicodeDecodeError:
                    undecodable += 1
                    continue
            messages.append(message)

    try:
        _emit("READY")
        cpu_start = _cpu_seconds()
        command: list[str] = []
        waiting = threading.Thread(target=lambda: command.extend(sys.stdin.readline().split()),
                                   daemon=True)
        waiting.start()
        while waiting.is_alive():  # the senders are at work
            take()
            waiting.join(0.005)
        expected, grace = int(command[1]), float(command[2])
        deadline = time.monotonic() + grace
        while len(arrivals) < expected and time.monotonic() < deadline:
            take()
            time.sleep(0.005)
        take()
        cpu = _cpu_seconds() - cpu_start
    finally:
        cloud.event.unsubscribe("message.received", on_message)
        _close_inbound(cloud)
    return {
        "cpu_s": cpu,  # the listener process's CPU (all threads) while messages came
        "messages": messages,
        "undecodable": undecodable,
        "events": len(arrivals),
        "first": arrivals[0] if arrivals else None,
        "last": arrivals[-1] if arrivals else None,
    }


def _bare_send(port: int, message: bytes, timeout: float) -> bytes:
    """The least a client can do: socket, connect, sendall, read to close, close."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(("127.0.0.1", port))
        sock.sendall(message)
        reply = b""
        while True:
            chunk = sock.recv(1024)
            if not chunk:
                return reply
            reply += chunk
    finally:
        sock.close()


def _sender(impl: str, port: int):
    """A callable sending one message and returning the reply as bytes."""
    if impl == BARE:
        return lambda message, timeout: _bare_send(port, message, timeout)
    cloud = _custom_cloud_class()(None, send_host="127.0.0.1", send_port=port)

    def send(message: bytes, timeout: float) -> bytes:
        reply = cloud.sendMessage(message, timeout=timeout)
        return reply if isinstance(reply, bytes) else str(reply).encode()

    return send


def sequential(impl: str, params: dict) -> dict:
    """``sendMessage`` in a loop to a server that replies ``[0,0]`` and closes.

    The loop runs in ``batches`` equal batches; ``rate`` is the best batch's rate
    (like ``timeit``, the least disturbed by other work on the machine) and
    ``mean_rate`` the whole run's.
    """
    send = _sender(impl, params["port"])
    message = params["message"].encode()
    for _ in range(params["warmup"]):
        send(message, 5)
    ok = bad = 0
    limit = params["max_seconds"]
    batches = params.get("batches", 1)
    per_batch = max(1, params["count"] // batches)
    best = 0.0
    start = time.monotonic()
    for _ in range(batches):
        batch_start = time.monotonic()
        for _ in range(per_batch):
            if send(message, 5) == b"[0,0]":
                ok += 1
            else:
                bad += 1
        best = max(best, per_batch / (time.monotonic() - batch_start))
        if time.monotonic() - start > limit:
            break
    elapsed = time.monotonic() - start
    return {"ok": ok, "bad": bad, "elapsed": elapsed, "rate": best,
            "mean_rate": (ok + bad) / elapsed, "partial": ok + bad < per_batch * batches}


def keep_open(impl: str, params: dict) -> dict:
    """One send to a server that replies ``[0,0]`` and keeps the connection open."""
    cls_name = params.get("cls", "CustomCloud")
    if impl == OURS and cls_name == "HologramCloud":
        try:
            from Hologram.HologramCloud import HologramCloud
        except ImportError as exc:
            raise NotBuilt(f"Hologram.HologramCloud: {exc}") from None
        def make(port: int):
            return HologramCloud({"devicekey": "bench123"}, enable_inbound=False,
                                 send_host="127.0.0.1", send_port=port)

        cloud = make(params["port"])
        make(params["close_port"]).sendMessage("warm-up")
        start = time.monotonic()
        reply = cloud.sendMessage("hello", timeout=params["timeout"])
        elapsed = time.monotonic() - start
        return {"ms": 1000 * elapsed, "reply": str(reply)}
    send = _sender(impl, params["port"])
    _sender(impl, params["close_port"])(b"warm-up\r\r", 5)
    start = time.monotonic()
    reply = send(params["message"].encode(), params["timeout"])
    elapsed = time.monotonic() - start
    return {"ms": 1000 * elapsed, "reply": reply.decode(errors="replace")}


def import_cost(impl: str, params: dict) -> dict:
    """``import Hologram`` and constructing a CustomCloud, in a fresh process."""
    start = time.perf_counter()
    try:
        import Hologram  # noqa: F401
        from Hologram.CustomCloud import CustomCloud
    except ImportError as exc:
        raise NotBuilt(f"Hologram: {exc}") from None
    cloud = CustomCloud(None, send_host="127.0.0.1", send_port=9999)
    elapsed = time.perf_counter() - start
    del cloud
    return {"ms": 1000 * elapsed, "peak_rss_mb": _peak_rss_kib() / 1024.0,
            "modules": len(sys.modules)}


def _peak_rss_kib() -> int:
    """This process's peak RSS, interpreter included (VmHWM).

    Not ``ru_maxrss``: Linux carries that across exec, so a child started by a
    big parent would report the parent's size.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def outbox(impl: str, params: dict) -> dict:
    """Enqueue and replay rates, measured by ``bench/outbox_bench.py``'s own functions.

    Enqueue: ``Outbox.put``, each message committed (fsynced). Replay: the queued
    messages delivered into a LocalCloud in its own process, count and order checked.
    """
    import tempfile

    try:
        import outbox_bench

        enqueue_rate, replay_rate = outbox_bench.enqueue_rate, outbox_bench.replay_local_cloud
    except (ImportError, AttributeError) as exc:
        raise NotBuilt(f"bench/outbox_bench.py: {exc}") from None
    n = int(params["messages"])
    with tempfile.TemporaryDirectory(prefix="hologram-bench-") as directory:
        try:
            return {"enqueue_rate": enqueue_rate(directory, n),
                    "replay_rate": replay_rate(directory, n), "messages": n}
        except SystemExit as exc:  # outbox_bench's way of saying a check failed
            return {"error": f"outbox_bench: {exc}"}


def modem(impl: str, params: dict) -> dict:
    """AT round trips per second on the emulator's pty (started by the driver)."""
    import modem_bench  # bench/modem_bench.py, beside this file

    try:
        return dict(modem_bench.run(impl, params))
    except modem_bench.NotBuilt as exc:
        raise NotBuilt(str(exc)) from None


SCENARIOS = {
    "idle": idle,
    "inbound": inbound,
    "sequential": sequential,
    "keep_open": keep_open,
    "import": import_cost,
    "outbox": outbox,
    "modem": modem,
}


def main() -> None:
    scenario, impl, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        result = SCENARIOS[scenario](impl, params)
    except NotBuilt as exc:
        result = {"not_built": True, "why": str(exc)}
    except Exception as exc:  # reported in the table, not a crash of the run
        result = {"error": f"{type(exc).__name__}: {exc}"}
    result["threads_at_end"] = threading.active_count()
    _emit(json.dumps(result))
    # The public SDK leaves non-daemon threads behind; do not wait for them.
    os._exit(0)


if __name__ == "__main__":
    main()
