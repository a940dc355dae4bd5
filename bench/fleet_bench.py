"""Fleet benchmark: many devices -> 2 gateways -> mosquitto -> 1 consumer, end to end.

Usage: ``python bench/fleet_bench.py [--json] [--devices 1000] [--per-device 10]
[--chaos]``

- A real ``mosquitto`` (generated config, free loopback port, persistence in a
  temporary directory) and two real ``hologram server`` processes (``--name
  gw-0``/``gw-1``, each its own SQLite file, ``--route mqtt://.../bench``,
  ``--quiet``).
- One consumer process subscribes ``bench/devices/+/messages`` with QoS 1 and a
  persistent session, and writes what it receives (arrival time, payload):
  ``mosquitto_sub`` where installed (Debian's mosquitto-clients), else a paho one.
- The devices run in this process: one selector loop drives ``--devices``
  concurrent device state machines, each with its own ``cloud_id``/``cloud_key``,
  device *i* talking to gateway *i mod 2*. A device sends its messages one after
  the other (connect, request, read ``[0,0]``, next), as a device with an outbox
  does; a refused connection or a missing reply is tried again after 50 ms.
- Each payload carries the device, its sequence number and the send time
  (``CLOCK_MONOTONIC``, the same clock in every process).
- ``--chaos``: when a third of the messages is acknowledged the broker is
  stopped and started again 1 s later (on the same port); at two thirds gateway
  ``gw-1`` is killed with SIGKILL and started again 0.5 s later on the same
  database and port.

Where the CPU goes (issue 17; py-spy on a gateway under this benchmark, and
``gateway_thread_cpu_ms_per_msg``; 2 shared cores, load 5-14, so every number is
inflated by the neighbours): about 0.71 ms of CPU per message end to end, so at
most ~2,800 msg/s on 2 idle cores, short of 5,000 (which needs <= 0.4 ms):

- paho-mqtt, ~0.27 ms: its network thread (0.21 ms: one select() wake-up per
  burst, each PUBACK read with several recv() calls and decoded into MQTT 5
  ReasonCode/Properties objects, the next queued PUBLISH sent per PUBACK) and
  its publish() in the forwarder (~0.06 ms: packet and MQTTMessageInfo per
  message). QoS 1 needs a PUBACK per message; paho is the one MQTT client
  allowed; mosquitto's in-flight window (20 or 256) changes nothing measurable.
- the server loop, ~0.17 ms: accept, recv, decode, authenticate (one HMAC),
  INSERT, reply, close and two epoll changes per connection (the protocol has
  one message per connection), the commit once per loop round (group commit,
  before any [0,0]).
- the forwarder's own work, ~0.08 ms: reading rows back, the JSON document,
  recording each outcome (one ``forwards`` row per message).
- the device driver ~0.12 ms, mosquitto ~0.04 ms, the consumer ~0.03 ms
  (``mosquitto_sub``; the paho consumer costs 0.21 ms).

Reported: throughput = distinct messages the consumer got / (last arrival -
first send); p50/p99 latency device send -> consumer arrival (first copy);
``lost`` = acknowledged to a device ([0,0]) but never seen by the consumer;
``duplicated`` = copies beyond the first (by payload) the consumer saw.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from hologram_sdk.wire.protocol import Credentials, encode_message  # noqa: E402

PREFIX = "bench"
#: a gateway's threads in the order ``Gateway.start`` starts them (tid order)
GATEWAY_THREADS = ("main", "mqtt network (paho loop)", "forwarder (reads rows, encodes, "
                   "publishes)", "to-device", "server loop (devices' requests, SQLite)")
#: where the gateways' databases go (default: the run's temporary directory)
DB_DIR = os.environ.get("FLEET_BENCH_DB_DIR", "")
RETRY_S = 0.05
#: a device waits this long for its reply before it tries again (a resend of a request
#: that was stored meanwhile is a duplicate the consumer sees: overload shows up here)
REPLY_TIMEOUT_S = 60.0

CONSUMER = r"""
import sys, time
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
port, out_path, prefix = int(sys.argv[1]), sys.argv[2], sys.argv[3]
import threading
out = open(out_path, "w")  # flushed every 0.1 s (not a write per message): the driver reads as it goes
def flusher():
    while not done.wait(0.1):
        out.flush()
done = threading.Event()
threading.Thread(target=flusher, daemon=True).start()
client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-consumer",
                     protocol=paho.MQTTv5)
client.max_inflight_messages_set(1000)
def on_connect(c, u, f, reason, p):
    c.subscribe(f"{prefix}/devices/+/messages", qos=1)
def on_subscribe(c, u, mid, codes, p):
    print("READY", flush=True)
def on_message(c, u, msg):
    out.write(f"{time.time():.6f}\t{msg.payload.decode()}\n")
client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
props = Properties(PacketTypes.CONNECT)
props.SessionExpiryInterval = 3600
client.reconnect_delay_set(0.05, 0.5)
client.connect_async("127.0.0.1", port, clean_start=False, properties=props)
client.loop_start()
sys.stdin.readline()
client.disconnect(); client.loop_stop(); done.set(); out.close()
print("DONE", flush=True)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on {port}") from None
            time.sleep(0.02)


class Proc:
    """A child process stopped by its pid."""

    def __init__(self, argv: list[str], **kw: Any) -> None:
        self.argv, self.kw = argv, kw
        self.p: Optional[subprocess.Popen[str]] = None

    def start(self) -> Proc:
        self.p = subprocess.Popen(self.argv, text=True, **self.kw)
        return self

    def signal(self, sig: int) -> None:
        if self.p is not None and self.p.poll() is None:
            os.kill(self.p.pid, sig)
            self.p.wait(timeout=20)

    def cpu_seconds(self) -> float:
        """User + system CPU time the process used so far (0 once it is gone)."""
        if self.p is None or self.p.poll() is not None:
            return 0.0
        try:
            with open(f"/proc/{self.p.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def thread_cpu(self) -> list[float]:
        """CPU seconds of each of its threads, in the order they were started (by tid)."""
        if self.p is None or self.p.poll() is not None:
            return []
        out = []
        try:
            tids = sorted(int(t) for t in os.listdir(f"/proc/{self.p.pid}/task"))
            for tid in tids:
                with open(f"/proc/{self.p.pid}/task/{tid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                out.append((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
        except OSError:
            return []
        return out

    def stop(self) -> None:
        if self.p is not None and self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.p.pid, signal.SIGKILL)
                self.p.wait(timeout=10)


class Device:
    __slots__ = ("buf", "deadline", "gw", "name", "next_at", "request", "seq", "sock", "t0")

    def __init__(self, index: int, gw: int) -> None:
        self.name = index
        self.gw = gw
        self.seq = 0
        self.sock: Optional[socket.socket] = None
        self.buf = b""
        self.request = b""
        self.t0 = 0.0
        self.next_at = 0.0
        self.deadline = 0.0


def drive(devices: int, per_device: int, ports: list[int], on_progress) -> dict[str, Any]:
    """Run every device to completion; returns counts and the acknowledged payloads."""
    sel = selectors.DefaultSelector()
    fleet = [Device(i, i % len(ports)) for i in range(devices)]
    creds = [Credentials(cloud_id=f"d{i:03x}", cloud_key=f"k{i:03x}") for i in range(devices)]
    acked: list[str] = []
    retries = 0
    waiting = list(fleet)  # ready to (re)connect
    total = devices * per_device
    t_start = time.time()  # the consumer stamps arrivals with the same (wall) clock

    def begin(d: Device) -> None:
        nonlocal retries
        if not d.request:
            d.t0 = time.time()
            data = f"{d.name}:{d.seq}:{d.t0:.6f}"
            d.request = encode_message(creds[d.name], data.encode())
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", ports[d.gw]))
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            retries += 1
            d.next_at = time.monotonic() + RETRY_S
            return
        d.sock, d.buf = s, b""
        d.deadline = time.monotonic() + REPLY_TIMEOUT_S
        try:  # on loopback the handshake is usually done already: no wait for writable
            s.send(d.request)  # small: goes out whole
        except OSError:  # still connecting (or refused: the read side tells)
            sel.register(s, selectors.EVENT_WRITE, d)
        else:
            sel.register(s, selectors.EVENT_READ, d)

    def fail(d: Device) -> None:
        nonlocal retries
        retries += 1
        finish(d)
        d.next_at = time.monotonic() + RETRY_S

    def finish(d: Device) -> None:
        if d.sock is not None:
            sel.unregister(d.sock)
            d.sock.close()
            d.sock = None

    delayed: list[Device] = []
    next_scan = 0.0
    for d in waiting:
        begin(d)
        if d.sock is None:
            delayed.append(d)
    while len(acked) < total:
        for key, mask in sel.select(0.05):
            d = key.data
            s = d.sock
            try:
                if mask & selectors.EVENT_WRITE:
                    s.send(d.request)  # small: goes out whole
                    sel.modify(s, selectors.EVENT_READ, d)
                    continue
                chunk = s.recv(64)
            except OSError:
                fail(d)
                delayed.append(d)
                continue
            if chunk:
                d.buf += chunk
                continue
            finish(d)
            if d.buf == b"[0,0]":
                acked.append(f"{d.name}:{d.seq}")
                d.seq += 1
                d.request = b""
                if len(acked) % 1000 == 0:
                    on_progress(len(acked), total)
                if d.seq < per_device:
                    begin(d)
                    if d.sock is None:
                        delayed.append(d)
            else:
                retries += 1
                d.next_at = time.monotonic() + RETRY_S
                delayed.append(d)
        now = time.monotonic()
        if now >= next_scan:  # reply deadlines: a scan of every connection, twice a second
            next_scan = now + 0.5
            for key in list(sel.get_map().values()):
                d = key.data
                if d.deadline < now:
                    fail(d)
                    delayed.append(d)
        due = [d for d in delayed if d.next_at <= now]
        if due:
            delayed = [d for d in delayed if d.next_at > now]
            for d in due:
                begin(d)
                if d.sock is None:
                    delayed.append(d)
    sel.close()
    return {"acked": acked, "retries": retries, "t_start": t_start, "t_end": time.time()}


def start_consumer(bport: int, received_path: str) -> Proc:
    """The consumer: ``mosquitto_sub`` (C, Debian's mosquitto-clients) where installed,
    else the paho one above (``FLEET_BENCH_CONSUMER=paho`` forces it). Either stamps each
    arrival with the wall clock; a QoS 1 persistent session, so nothing is dropped."""
    sub = shutil.which("mosquitto_sub")
    if sub is None or os.environ.get("FLEET_BENCH_CONSUMER") == "paho":
        consumer = Proc([sys.executable, "-c", CONSUMER, str(bport), received_path, PREFIX],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE).start()
        assert consumer.p is not None and consumer.p.stdout is not None
        if consumer.p.stdout.readline().strip() != "READY":
            raise RuntimeError("the consumer did not subscribe")
        return consumer
    out = open(received_path, "w")
    consumer = Proc([sub, "-h", "127.0.0.1", "-p", str(bport), "-t",
                     f"{PREFIX}/devices/+/messages", "-q", "1", "-c", "-i", "bench-consumer",
                     "-V", "5", "-x", "3600", "-F", "%U %p"], stdout=out).start()
    out.close()
    import paho.mqtt.publish as publish  # a probe until it arrives: then it is subscribed
    deadline = time.monotonic() + 20
    while True:
        publish.single(f"{PREFIX}/devices/probe/messages", '{"data":"probe:0:0"}', qos=1,
                       hostname="127.0.0.1", port=bport)
        time.sleep(0.1)
        with open(received_path) as f:
            if f.read():
                return consumer
        if time.monotonic() > deadline:
            raise RuntimeError("the consumer did not subscribe")


def mosquitto_binary() -> str:
    found = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if os.access("/usr/sbin/mosquitto", os.X_OK) else None)
    if not found:
        raise SystemExit("the fleet benchmark needs mosquitto: apt-get install mosquitto")
    return found


def run(devices: int, per_device: int, chaos: bool, log=lambda m: None) -> dict[str, Any]:
    work = tempfile.mkdtemp(prefix="hologram-fleet-bench-")
    procs: list[Proc] = []
    try:
        return _run(work, procs, devices, per_device, chaos, log)
    finally:
        for p in reversed(procs):
            p.stop()
        if not os.environ.get("FLEET_BENCH_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept {work}")


def _run(work: str, procs: list[Proc], devices: int, per_device: int, chaos: bool,
         log) -> dict[str, Any]:
    bport = free_port()
    conf = os.path.join(work, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write(f"listener {bport} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                f"persistence_location {work}/\nmax_queued_messages 0\n"
                f"log_dest none\n" + ("user root\n" if os.geteuid() == 0 else ""))
    broker = Proc([mosquitto_binary(), "-c", conf]).start()
    procs.append(broker)
    wait_port(bport)
    received_path = os.path.join(work, "received.tsv")
    consumer = start_consumer(bport, received_path)
    procs.append(consumer)
    gw_ports = [free_port(), free_port()]
    env = dict(os.environ, PYTHONPATH=ROOT)

    def gateway(i: int) -> Proc:
        argv = [sys.executable, "-m", "hologram_sdk", "server", "--port", str(gw_ports[i]),
                "--db", os.path.join(DB_DIR or work, f"gw-{i}.db"), "--name", f"gw-{i}",
                "--route", f"mqtt://127.0.0.1:{bport}/{PREFIX}", "--quiet"]
        return Proc(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).start()

    gateways = [gateway(0), gateway(1)]
    procs.extend(gateways)
    for port in gw_ports:
        wait_port(port)
    events: list[str] = []
    total = devices * per_device
    marks = {"broker": total // 3, "kill": 2 * total // 3} if chaos else {}

    def on_progress(done: int, total: int) -> None:
        if "broker" in marks and done >= marks["broker"]:
            del marks["broker"]
            broker.stop()
            events.append(f"broker stopped at {done}")
            time.sleep(1.0)
            broker.start()
            wait_port(bport)
            events.append("broker started")
        if "kill" in marks and done >= marks["kill"]:
            del marks["kill"]
            gateways[1].signal(signal.SIGKILL)
            events.append(f"gw-1 SIGKILLed at {done}")
            time.sleep(0.5)
            gateways[1] = gateway(1)
            procs.append(gateways[1])
            events.append("gw-1 restarted")

    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime
    # what starting up cost (imports, connecting) is not a message's cost
    started_threads = [g.thread_cpu() for g in gateways]
    started_cpu = {"gateways": sum(g.cpu_seconds() for g in gateways),
                   "broker": broker.cpu_seconds(), "consumer": consumer.cpu_seconds()}
    sent = drive(devices, per_device, gw_ports, on_progress)
    usage = resource.getrusage(resource.RUSAGE_SELF)  # the driver's own (not the analysis)
    devices_cpu = usage.ru_utime + usage.ru_stime - cpu_before
    # wait for the consumer to have everything (or for 60 s of silence)
    want = set(sent["acked"])
    seen: dict[str, float] = {}
    copies = 0
    offset = 0
    last_growth = time.monotonic()
    while True:
        with open(received_path) as f:
            f.seek(offset)
            chunk = f.read()
        complete = chunk[: chunk.rfind("\n") + 1]
        offset += len(complete.encode())
        for line in complete.splitlines():
            t, payload = line.split(None, 1)
            doc = json.loads(payload)
            device, seq, t0 = doc["data"].split(":")
            if device == "probe":
                continue
            key = f"{device}:{seq}"
            copies += 1
            if key not in seen:
                seen[key] = float(t) - float(t0)
                last_growth = time.monotonic()
        if want <= seen.keys() or time.monotonic() - last_growth > 60:
            break
        time.sleep(0.2)
    last_arrival = max(float(line.split(None, 1)[0]) for line in open(received_path))
    # CPU used per message by each part (the gateway killed by --chaos: its
    # replacement only), to tell the system's own cost from the machine's load
    cpu = {"gateways": sum(g.cpu_seconds() for g in gateways), "broker": broker.cpu_seconds(),
           "consumer": consumer.cpu_seconds()}
    if not events:  # the same processes all along: count from the first message
        cpu = {k: v - started_cpu[k] for k, v in cpu.items()}
    threads: dict[str, float] = {}
    if not events:  # per gateway thread, summed over both gateways
        for g, before_t in zip(gateways, started_threads):
            now_t = g.thread_cpu()
            names = GATEWAY_THREADS if len(now_t) == len(GATEWAY_THREADS) else [
                f"thread-{i}" for i in range(len(now_t))]
            for name, a, b in zip(names, now_t, before_t + [0.0] * len(now_t)):
                threads[name] = threads.get(name, 0.0) + a - b
    cpu["devices"] = devices_cpu
    if consumer.p is not None and consumer.p.stdin is not None:  # the paho one
        consumer.p.stdin.write("\n")
        consumer.p.stdin.flush()
    latencies = sorted(seen[k] for k in want if k in seen)
    span = last_arrival - sent["t_start"]
    return {
        "devices": devices, "messages": total, "acknowledged": len(want),
        "received_distinct": len(seen), "lost": len(want - seen.keys()),
        "duplicated": copies - len(seen), "device_retries": sent["retries"],
        "rate": len(seen) / span if span > 0 else 0.0,
        "accept_rate": len(want) / (sent["t_end"] - sent["t_start"]),
        "p50_ms": 1000 * statistics.median(latencies) if latencies else None,
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))] if latencies else None,
        "seconds": span, "chaos": chaos, "events": events,
        "cpu_ms_per_msg": {k: round(1000 * v / max(1, len(seen)), 3) for k, v in cpu.items()},
        "gateway_thread_cpu_ms_per_msg": {
            k: round(1000 * v / max(1, len(seen)), 3) for k, v in threads.items()},
        # what the measured CPU cost would allow on two otherwise idle cores
        "rate_2_idle_cores": 2 * len(seen) / max(1e-9, sum(cpu.values())),
        "load_average_1min": os.getloadavg()[0],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--per-device", type=int, default=10)
    parser.add_argument("--chaos", action="store_true",
                        help="restart the broker and SIGKILL a gateway mid-run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.devices, args.per_device, args.chaos,
                 log=lambda m: sys.stderr.write(m + "\n"))
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>18}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
