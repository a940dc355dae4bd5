"""The TCP client transport over real loopback sockets."""

from __future__ import annotations

import errno
import socket
import struct
import threading
import time

import pytest

from hologram_sdk.base.errors import CloudConnectionError, CloudTimeoutError
from hologram_sdk.transport.tcp import send_request
from hologram_sdk.wire.protocol import parse_reply
from tests.support.net import HOST, closed_port
from tests.support.servers import ReplyServer


def _complete(data, closed):
    return parse_reply(data, closed).complete


def test_whole_payload_is_written_and_reply_returned():
    payload = b"x" * (3 * 1024 * 1024) + b"\r\r"  # far more than one send() writes
    with ReplyServer(reply=b"[0,0]") as server:
        reply = send_request(HOST, server.port, payload, 10.0, _complete)
    assert reply == b"[0,0]"
    assert server.requests == [payload]


def test_reply_complete_before_close_returns_at_once():
    with ReplyServer(reply=b"[0,0]", keep_open=True) as server:
        start = time.monotonic()
        reply = send_request(HOST, server.port, b"{}\r\r", 5.0, _complete)
        elapsed = time.monotonic() - start
    assert reply == b"[0,0]"
    assert elapsed < 2.0


def test_without_framing_reads_until_close():
    with ReplyServer(reply=b"hello there") as server:
        assert send_request(HOST, server.port, b"ping\r\r", 5.0) == b"hello there"


def test_half_close_ends_the_request_for_a_server_reading_to_eof():
    with ReplyServer(reply=b"ok") as server:
        assert send_request(HOST, server.port, b"no terminator", 5.0, half_close=True) == b"ok"
    assert server.requests == [b"no terminator"]


def test_refused_is_a_connection_error_and_fast():
    port = closed_port()
    start = time.monotonic()
    with pytest.raises(CloudConnectionError, match=f"{HOST}:{port}") as info:
        send_request(HOST, port, b"x", 5.0)
    assert isinstance(info.value.__cause__, ConnectionRefusedError)
    assert isinstance(info.value, ConnectionError)
    assert time.monotonic() - start < 2.0


def test_silent_server_is_a_timeout_bounded_by_the_deadline():
    with ReplyServer(reply=None) as server:
        start = time.monotonic()
        with pytest.raises(CloudTimeoutError) as info:
            send_request(HOST, server.port, b"{}\r\r", 0.3, _complete)
        elapsed = time.monotonic() - start
    assert isinstance(info.value, TimeoutError)
    assert info.value.__cause__ is not None
    assert 0.25 <= elapsed < 2.0


def test_partial_reply_at_the_deadline_is_returned():
    with ReplyServer(reply=b"[0", keep_open=True) as server:
        start = time.monotonic()
        reply = send_request(HOST, server.port, b"{}\r\r", 0.3, _complete)
    assert reply == b"[0"
    assert time.monotonic() - start < 2.0


def test_reset_by_the_server_is_a_connection_error():
    server = socket.create_server((HOST, 0))
    port = server.getsockname()[1]

    def serve():
        conn, _ = server.accept()
        conn.recv(100)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with pytest.raises(CloudConnectionError) as info:
            send_request(HOST, port, b"{}\r\r", 5.0, _complete)
        assert isinstance(info.value.__cause__, ConnectionResetError)
    finally:
        thread.join()
        server.close()


def test_unreachable_from_the_connector_is_a_connection_error():
    def unreachable(address, timeout):
        raise OSError(errno.ENETUNREACH, "Network is unreachable")

    with pytest.raises(CloudConnectionError, match="unreachable"):
        send_request("192.0.2.1", 9999, b"x", 1.0, connect=unreachable)


def test_connect_timeout_from_the_connector_is_a_timeout():
    def slow(address, timeout):
        raise socket.timeout("timed out")

    with pytest.raises(CloudTimeoutError, match="no connection"):
        send_request("192.0.2.1", 9999, b"x", 1.0, connect=slow)


def test_a_non_positive_timeout_is_refused():
    with pytest.raises(ValueError, match="timeout"):
        send_request(HOST, 1, b"x", 0)


def test_a_blocking_socket_from_the_connector_still_obeys_the_deadline():
    def blocking(address, timeout):
        sock = socket.create_connection(address, timeout)
        sock.settimeout(None)  # a connector that hands over a blocking socket
        return sock

    with ReplyServer(reply=None) as server:
        start = time.monotonic()
        with pytest.raises(CloudTimeoutError):
            send_request(HOST, server.port, b"{}\r\r", 0.3, _complete, connect=blocking)
        elapsed = time.monotonic() - start
    assert 0.25 <= elapsed < 2.0


def test_the_deadline_covers_connect_and_reply_together():
    def slow_connect(address, timeout):
        time.sleep(0.2)  # the connect used up most of the time
        return socket.create_connection(address, timeout)

    with ReplyServer(reply=None) as server:
        start = time.monotonic()
        with pytest.raises(CloudTimeoutError):
            send_request(HOST, server.port, b"{}\r\r", 0.3, _complete, connect=slow_connect)
        elapsed = time.monotonic() - start
    assert 0.25 <= elapsed < 0.45  # not 0.2 + a fresh 0.3 for the reply


def test_after_send_runs_once_the_request_is_written_and_its_time_is_not_counted():
    seen: list[bool] = []

    with ReplyServer(reply=b"[0,0]") as server:

        def slow_bookkeeping():
            time.sleep(0.4)  # longer than the whole timeout
            seen.append(bool(server.requests))  # the server had the request by then

        reply = send_request(HOST, server.port, b"{}\r\r", 0.3, _complete,
                             after_send=slow_bookkeeping)
    assert reply == b"[0,0]"  # the reply waited in the socket: not a timeout
    assert seen == [True]


def test_after_send_does_not_stretch_a_silent_servers_timeout_beyond_its_own_time():
    with ReplyServer(reply=None) as server:
        start = time.monotonic()
        with pytest.raises(CloudTimeoutError):
            send_request(HOST, server.port, b"{}\r\r", 0.3, _complete,
                         after_send=lambda: time.sleep(0.1))
        elapsed = time.monotonic() - start
    assert 0.35 <= elapsed < 0.6  # 0.3 for the server plus the 0.1 of bookkeeping


def test_release_takes_the_socket_instead_of_a_close():
    kept: list[tuple[socket.socket, bool]] = []
    with ReplyServer(reply=b"[0,0]", keep_open=True) as server:
        send_request(HOST, server.port, b"{}\r\r", 2.0, _complete,
                     release=lambda sock, ended: kept.append((sock, ended)))
        ((sock, ended),) = kept
        try:
            assert sock.fileno() >= 0  # still open: the caller closes it
            assert not ended  # whole at its ']', and the server keeps the line open
        finally:
            sock.close()


def test_release_hears_of_a_close_that_came_with_a_whole_reply():
    kept: list[bool] = []
    with ReplyServer(reply=b"[0,0]") as server:  # replies, then closes its side
        send_request(HOST, server.port, b"{}\r\r", 2.0, _complete,
                     after_send=lambda: time.sleep(0.2),  # both are in by the first read
                     release=lambda sock, ended: (kept.append(ended), sock.close()))
    assert kept == [True]


def _serve_in_pieces(pieces: list[bytes], pause: float) -> tuple[socket.socket, threading.Thread]:
    """A one-shot server writing ``pieces`` with ``pause`` seconds between them, then closing."""
    server = socket.create_server((HOST, 0))
    server.settimeout(10.0)  # a client that never comes cannot hang the test

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.recv(100)
            for piece in pieces:
                time.sleep(pause)
                conn.sendall(piece)

    thread = threading.Thread(target=serve)
    thread.start()
    return server, thread


def test_a_reply_in_pieces_with_pauses_is_read_whole_until_the_close():
    # after each piece nothing more is ready yet: the transport waits for the next
    server, thread = _serve_in_pieces([b"hel", b"lo ", b"there"], 0.05)
    try:
        assert send_request(HOST, server.getsockname()[1], b"ping", 5.0) == b"hello there"
    finally:
        thread.join()
        server.close()


def test_a_framed_reply_in_pieces_ends_at_its_frame_not_at_the_close():
    server, thread = _serve_in_pieces([b"[0,", b"0]"], 0.05)
    try:
        assert send_request(HOST, server.getsockname()[1], b"{}\r\r", 5.0, _complete) == b"[0,0]"
    finally:
        thread.join()
        server.close()


def test_a_large_request_with_half_close_arrives_whole_before_the_end_of_stream():
    # with the half-close the request is held back and sent with the FIN
    payload = bytes(range(256)) * (12 * 1024)  # 3 MiB, far more than one send() writes
    with ReplyServer(reply=b"ok") as server:
        assert send_request(HOST, server.port, payload, 10.0, half_close=True) == b"ok"
    assert server.requests == [payload]
