"""TcpClient: socket set-up and tear-down moved off a send's critical path, over real loopback."""

from __future__ import annotations

import gc
import os
import socket
import struct
import threading
import time
from typing import Optional

import pytest

from hologram_sdk.base.errors import CloudConnectionError, CloudTimeoutError
from hologram_sdk.cloud.custom import CustomCloud
from hologram_sdk.transport.client import TcpClient
from tests.support.net import HOST, wait_for
from tests.support.servers import ReplyServer

_TCP_CLOSE = 7  # tcpi_state of a connection over on both sides (linux/tcp_states.h)


def _sockets() -> set[str]:
    """This process's open sockets (``socket:[inode]``: a number freed and
    reused in between cannot hide a new socket)."""
    found = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:"):
            found.add(target)
    return found


def _framed(data: bytes, closed: bool) -> bool:
    return b"]" in data or closed


def test_between_sends_it_holds_the_next_socket_and_the_used_one_then_close_frees_both():
    before = _sockets()
    with ReplyServer() as server:
        client = TcpClient()
        for _ in range(20):
            assert client(HOST, server.port, b"hello\r\r", 2.0, half_close=True) == b"[0,0]"
        assert _held(before, server, 2)  # not more, however many sends
        client.close()
        client.close()  # idempotent
        assert _held(before, server, 0)
        assert server.bodies() == [b"hello"] * 20


def _held(before: set[str], server: ReplyServer, count: int) -> bool:
    """Whether the sockets opened since ``before``, other than the server's own
    (its listener, and the connections it serves, which it drops in a moment),
    settle at ``count``."""
    return wait_for(lambda: len(_sockets() - before - _sockets_of(server)) == count, timeout=3.0)


def _sockets_of(server: ReplyServer) -> set[str]:
    return {os.readlink(f"/proc/self/fd/{s.fileno()}")
            for s in (server._listener, server._stop_r, server._stop_w)}


def test_the_used_socket_kept_is_over_on_both_sides():
    with ReplyServer() as server, TcpClient() as client:
        client(HOST, server.port, b"one\r\r", 2.0, half_close=True)
        used = client._used
        assert used is not None
        info = used.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
        assert struct.unpack("B", info[:1])[0] == _TCP_CLOSE
        client(HOST, server.port, b"two\r\r", 2.0, half_close=True)
        assert used.fileno() == -1  # closed while the second request waited
        assert client._used is not None and client._used is not used


def test_a_connection_still_open_is_closed_at_once():
    """A framed reply is whole before the server's close: the server must not wait for us."""
    with ReplyServer(keep_open=True) as server, TcpClient() as client:
        assert client(HOST, server.port, b"{}\r\r", 2.0, _framed) == b"[0,0]"
        assert client._used is None
        # a keep-open server holds the line until the client leaves: it sees the close
        deadline = time.monotonic() + 2.0
        while server.connections and _open_server_lines(server) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _open_server_lines(server)


def _open_server_lines(server: ReplyServer) -> int:
    """Established loopback connections to the server's port (from /proc/net/tcp)."""
    port = f"{server.port:04X}"
    count = 0
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            if local.endswith(":" + port) and state == "01":  # ESTABLISHED
                count += 1
    return count


def test_a_timeout_other_than_the_spares_is_applied():
    with ReplyServer() as fast, ReplyServer(reply=None) as silent, TcpClient() as client:
        client(HOST, fast.port, b"x\r\r", 5.0, half_close=True)  # the spare gets 5 s
        start = time.monotonic()
        with pytest.raises(CloudTimeoutError):
            client(HOST, silent.port, b"x\r\r", 0.3, half_close=True)
        assert 0.25 <= time.monotonic() - start < 1.5


def test_another_address_family_gets_its_own_socket():
    """An IPv6 send after IPv4 ones, and back: each family gets a socket of its own
    (where ::1 is not configured, the IPv6 send fails typed, and the others still work)."""
    six = _ipv6_server()
    before = _sockets()
    with ReplyServer() as four, TcpClient() as client:
        assert client(HOST, four.port, b"x\r\r", 2.0, half_close=True) == b"[0,0]"
        if six is None:
            with pytest.raises(CloudConnectionError):
                client("::1", _closed_port(), b"y", 2.0, half_close=True)
        else:
            with six:
                assert client("::1", six.port, b"y\r\r", 2.0, half_close=True) == b"[0,0]"
        assert client(HOST, four.port, b"z\r\r", 2.0, half_close=True) == b"[0,0]"
        assert _held(before, four, 2)
        assert client._spare is not None and client._spare[0].family == socket.AF_INET


def _ipv6_server() -> Optional[ReplyServer]:
    try:
        probe = socket.socket(socket.AF_INET6)
        with probe:
            probe.bind(("::1", 0))
    except OSError:
        return None
    return ReplyServer(host="::1")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def test_threads_sharing_one_client_each_get_their_reply():
    with ReplyServer() as server, TcpClient() as client:
        failures: list[BaseException] = []

        def work(n: int) -> None:
            try:
                for i in range(25):
                    body = f"{n}-{i}\r\r".encode()
                    assert client(HOST, server.port, body, 5.0, half_close=True) == b"[0,0]"
            except BaseException as exc:  # reported below
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30.0)
        assert not failures
        assert sorted(server.bodies()) == sorted(f"{n}-{i}".encode()
                                                  for n in range(6) for i in range(25))


def test_a_closed_client_still_sends_but_holds_nothing():
    before = _sockets()
    with ReplyServer() as server:
        client = TcpClient()
        client.close()
        assert client(HOST, server.port, b"x\r\r", 2.0, half_close=True) == b"[0,0]"
        assert _held(before, server, 0)


def test_a_cloud_dropped_without_close_frees_its_sockets_at_once():
    before = _sockets()
    gc.disable()  # freed by reference counting alone, not by a later collection
    try:
        with ReplyServer() as server:
            cloud = CustomCloud(None, send_host=HOST, send_port=server.port)
            cloud.sendMessage("a")
            cloud.sendMessage("b")
            assert _held(before, server, 2)
            del cloud
            assert _held(before, server, 0)
    finally:
        gc.enable()


def test_a_host_name_is_looked_up_and_sent_to_without_held_sockets():
    before = _sockets()
    with ReplyServer() as server, TcpClient() as client:
        assert client("localhost", server.port, b"x\r\r", 2.0, half_close=True) == b"[0,0]"
        assert _held(before, server, 0)
