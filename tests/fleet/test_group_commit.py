"""Group commit: requests that arrive together are stored in one transaction."""

from __future__ import annotations

import threading

from hologram_sdk.emulator.cloud import CloudStore, DeviceTable, LocalCloud, RequestHandler
from hologram_sdk.wire.protocol import Credentials, encode_message
from tests.localcloud.util import exchange

SEED = Credentials(cloud_id="1d3g", cloud_key="5a7b")


def test_a_batch_answers_each_request_on_its_own_merits(tmp_path):
    with CloudStore(tmp_path / "b.db") as store:
        seen = []
        handler = RequestHandler(store, DeviceTable([]), on_stored=lambda *a: seen.append(a[:2]))
        replies = handler.handle_batch([
            (encode_message(SEED, b"one")[:-2], "p1"),
            (b'{"s":"1d3g"', "p2"),  # malformed
            (encode_message(SEED, b"two")[:-2], "p3"),
        ])
        assert replies == [b"[0,0]", b"[2,0]", b"[0,0]"]
        assert [m.data for m in store.messages()] == ["one", "two"]
        assert seen == [("message", 1), ("message", 2)]  # told after the commit


def test_many_clients_at_once_are_all_stored_and_answered(tmp_path):
    with LocalCloud(port=0, db=tmp_path / "c.db") as cloud:
        replies: list[bytes] = []
        lock = threading.Lock()

        def client(i: int) -> None:
            creds = Credentials(cloud_id=f"c{i:03d}", cloud_key=f"k{i:03d}")
            reply = exchange(cloud.port, encode_message(creds, b"m%d" % i), timeout=30)
            with lock:
                replies.append(reply)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(150)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert replies == [b"[0,0]"] * 150
        assert sorted(m.data for m in cloud.messages()) == sorted(f"m{i}" for i in range(150))


def test_requests_that_arrive_together_are_committed_together(tmp_path):
    import socket

    with LocalCloud(port=0, db=tmp_path / "g.db") as cloud:
        socks = [socket.create_connection(("127.0.0.1", cloud.port), timeout=10)
                 for _ in range(30)]
        try:
            requests = [encode_message(Credentials(cloud_id=f"g{i:03d}", cloud_key="kkkk"),
                                       b"x%d" % i) for i in range(30)]
            for sock, request in zip(socks, requests):
                sock.sendall(request[:-2])  # all but the terminator
            for sock, request in zip(socks, requests):
                sock.sendall(request[-2:])  # then the 30 terminators at once
            for sock in socks:
                assert sock.recv(16) == b"[0,0]"
        finally:
            for sock in socks:
                sock.close()
        assert cloud.largest_batch > 1
        assert len(cloud.messages()) == 30
