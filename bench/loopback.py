"""Loopback peers for the benchmarks: reply servers and concurrent inbound senders.

They run in the benchmark driver's process, apart from the SDK under test,
so the SDK's process holds only the SDK (and the public SDK's busy threads
cannot slow the peer down, nor the other way round).
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Optional

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class ReplyServer:
    """Answers each request with ``[0,0]``.

    ``keep_open=False``: the server closes right after the reply (the real cloud).
    ``keep_open=True``: the connection stays open until the client closes it
    (or the server closes): a client that waits for the close waits its timeout.
    A request is complete at ``\\r\\r`` or at the client's half-close.
    """

    def __init__(self, keep_open: bool = False, reply: bytes = b"[0,0]") -> None:
        self.keep_open = keep_open
        self.reply = reply
        self.served = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((HOST, 0))
        self._sock.listen(128)
        self._sock.settimeout(0.25)  # lets close() stop the accept loop
        self.port = int(self._sock.getsockname()[1])
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, name="bench-reply-server",
                                        daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            try:
                conn.settimeout(5.0)
                data = b""
                while b"\r\r" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(self.reply)
                self.served += 1
            except OSError:
                conn.close()
                continue
            if self.keep_open:
                self._held.append(conn)
                self._held = [c for c in self._held if c.fileno() >= 0][-64:]
            else:
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5.0)
        self._sock.close()
        for conn in self._held:
            conn.close()
        self._held.clear()

    def __enter__(self) -> ReplyServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def message_for(sender: int, index: int, size: int) -> bytes:
    """The payload of one inbound message: a unique id, padded to ``size`` bytes."""
    head = f"bench-{sender}-{index}:".encode()
    return head + b"x" * max(0, size - len(head))


def message_id(text: str) -> Optional[str]:
    """The id in a received message, or ``None`` when it is not one of ours intact."""
    head, sep, pad = text.partition(":")
    if not sep or not head.startswith("bench-") or pad.strip("x"):
        return None
    return head


def run_senders(port: int, senders: int, per_sender: int, size: int,
                deadline_s: float, connect_timeout: float = 5.0) -> dict:
    """``senders`` threads, each sending ``per_sender`` messages, one connection each.

    A message counts as sent when connect, ``sendall`` and close all succeeded.
    Stops early at ``deadline_s`` (the public SDK may crawl): ``partial`` is then true.
    """
    sent: list[list[str]] = [[] for _ in range(senders)]
    failed = [0] * senders
    start_gate = threading.Barrier(senders + 1)
    stop_at: list[float] = [0.0]

    def work(n: int) -> None:
        start_gate.wait()
        for i in range(per_sender):
            if time.monotonic() > stop_at[0]:
                return
            payload = message_for(n, i, size)
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.settimeout(connect_timeout)
                sock.connect((HOST, port))
            except OSError:
                sock.close()
                failed[n] += 1
                continue
            try:
                sock.sendall(payload)
                sent[n].append(payload.split(b":", 1)[0].decode())
            except OSError:
                failed[n] += 1
            finally:
                sock.close()

    threads = [threading.Thread(target=work, args=(n,), name=f"bench-sender-{n}")
               for n in range(senders)]
    for thread in threads:
        thread.start()
    t_start = time.monotonic()
    stop_at[0] = t_start + deadline_s
    start_gate.wait()
    for thread in threads:
        thread.join()
    t_end = time.monotonic()
    ids = [i for chunk in sent for i in chunk]
    return {
        "sent_ids": ids,
        "failed": sum(failed),
        "t_start": t_start,
        "t_end": t_end,
        "partial": len(ids) + sum(failed) < senders * per_sender,
    }
