"""TcpSender's early connect: when the next connection opens, and that every socket is closed."""

from __future__ import annotations

import select
import socket
import threading

from hologram_sdk.outbox import Outbox
from hologram_sdk.outbox.delivery import OutboxDelivery, TcpSender
from hologram_sdk.wire.protocol import Credentials, encode_message

CREDS = Credentials(cloud_id="ab12", cloud_key="cd34")


def queue(box: Outbox, dest: str, count: int) -> list[int]:
    """Store messages m0, m1, ... for ``dest``; their ids."""
    return [
        box.put(dest, "message", encode_message(CREDS, f"m{i}"), text=f"m{i}").id
        for i in range(count)
    ]


def readable(sock: socket.socket, timeout: float) -> bool:
    return bool(select.select([sock], [], [], timeout)[0])


class StepServer:
    """Serves requests one connection at a time and records, for each reply,
    what the client had done on the other connections by then."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.requests: list[bytes] = []
        #: per request n: whether request n was whole when connection n + 1 arrived
        self.whole_before_next_connect: list[bool] = []
        #: per request n: bytes found on connection n + 1 before n was answered
        self.early_bytes: list[bytes] = []
        #: per connection: whether the client closed it (EOF seen)
        self.closed_by_client: list[bool] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self) -> None:
        conns: list[socket.socket] = []
        try:
            conns.append(self.listener.accept()[0])
            for n in range(self.count):
                conn = conns[n]
                if n + 1 < self.count:
                    assert readable(self.listener, 5.0), "no early connect for the next message"
                    request = conn.recv(65536, socket.MSG_DONTWAIT)
                    self.whole_before_next_connect.append(request.endswith(b"\r\r"))
                    conns.append(self.listener.accept()[0])
                    nxt = conns[n + 1]
                    self.early_bytes.append(
                        nxt.recv(65536, socket.MSG_DONTWAIT) if readable(nxt, 0.05) else b""
                    )
                else:
                    request = conn.recv(65536)
                while not request.endswith(b"\r\r"):
                    request += conn.recv(65536)
                self.requests.append(request)
                conn.sendall(b"[0,0]")
            for conn in conns:
                conn.settimeout(5.0)
                self.closed_by_client.append(conn.recv(16) == b"")
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            for conn in conns:
                conn.close()

    def close(self) -> None:
        self.thread.join(10)
        self.listener.close()


def test_the_next_connection_opens_after_the_request_is_written_and_stays_unused(tmp_path):
    server = StepServer(4)
    dest = f"127.0.0.1:{server.port}"
    try:
        with Outbox(tmp_path / "o.db") as box:
            queue(box, dest, 4)
            with OutboxDelivery(box, TcpSender(5.0), dest) as delivery:
                result = delivery.flush_now()
            assert result.sent == 4 and box.count() == 0
    finally:
        server.close()
    assert server.error is None, server.error
    assert [r.count(b'"m') for r in server.requests] == [1, 1, 1, 1]
    # message n + 1's connection came after n's request was written whole...
    assert server.whole_before_next_connect == [True, True, True]
    # ...and nothing was written on it before n's reply
    assert server.early_bytes == [b"", b"", b""]
    # every connection was closed by the client, the last one when the round ended
    assert server.closed_by_client == [True, True, True, True]


def test_a_spare_the_server_closed_is_replaced_by_a_fresh_connection(tmp_path):
    """The server drops the early connection unused: the message still goes out."""
    listener = socket.create_server(("127.0.0.1", 0))
    dest = f"127.0.0.1:{listener.getsockname()[1]}"
    got: list[bytes] = []

    def serve() -> None:
        first = listener.accept()[0]
        spare = listener.accept()[0]
        spare.close()  # refuse the early connection
        data = first.recv(65536)
        got.append(data)
        first.sendall(b"[0,0]")
        first.close()
        fresh = listener.accept()[0]
        data = b""
        while not data.endswith(b"\r\r"):
            data += fresh.recv(65536)
        got.append(data)
        fresh.sendall(b"[0,0]")
        fresh.close()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with Outbox(tmp_path / "o.db") as box:
            queue(box, dest, 2)
            with OutboxDelivery(box, TcpSender(5.0), dest) as delivery:
                assert delivery.flush_now().sent == 2
    finally:
        thread.join(10)
        listener.close()
    assert [b'"m0"' in got[0], b'"m1"' in got[1]] == [True, True]


def test_the_next_batch_is_claimed_while_the_cloud_has_the_last_request(tmp_path):
    """Batches of 2: while request 2 is at the server, messages 3 and 4 are already claimed."""
    path = tmp_path / "o.db"
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10.0)  # a client that failed must not leave accept() blocked forever
    dest = f"127.0.0.1:{listener.getsockname()[1]}"
    claimed_during: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            with Outbox(path) as observer:
                for n in range(1, 6):
                    conn = listener.accept()[0]
                    with conn:
                        data = b""
                        while not data.endswith(b"\r\r"):
                            data += conn.recv(65536)
                        if n < 5:  # the early connect for n + 1 comes after the claim
                            assert readable(listener, 5.0)
                        claimed_during[n] = [
                            i.id for i in observer.pending() if i.claim_owner is not None
                        ]
                        conn.sendall(b"[0,0]")
                        conn.recv(16)  # the client's close
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with Outbox(path) as box:
            ids = queue(box, dest, 5)
            with OutboxDelivery(box, TcpSender(5.0), dest, batch=2) as delivery:
                assert delivery.flush_now().sent == 5
    finally:
        thread.join(10)
        listener.close()
    assert errors == []
    # the batch in flight stays claimed until delivered; the next one joins it
    # while its predecessor's last request is at the server. Acknowledgements
    # are written with that claim: to another process, a delivered row stays
    # claimed (never sent again) until then (row 2 during message 3)
    assert claimed_during[1] == ids[0:2]
    assert claimed_during[2] == ids[1:4]
    assert claimed_during[3] == ids[1:4]
    assert claimed_during[4] == ids[3:5]
    # (no early connect to wait for after the last request: row 4's deferred
    # acknowledgement may or may not be written when the server looks)
    assert claimed_during[5] in (ids[3:5], ids[4:5])


class FailingClaims(Outbox):
    """An Outbox whose claims fail from the ``fail_from``-th call on (a test double)."""

    fail_from = 2

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.claims = 0

    def claim(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        self.claims += 1
        if self.claims >= self.fail_from:
            from hologram_sdk.base.errors import OutboxError

            raise OutboxError("outbox 'test': the disk is full; could not claim messages")
        return super().claim(*args, **kwargs)  # type: ignore[arg-type]


def test_a_claim_that_fails_during_a_send_stops_the_round_after_that_message(tmp_path):
    """The message in flight is delivered and acknowledged; only then does the round stop."""
    server = StepServer(2)
    dest = f"127.0.0.1:{server.port}"
    try:
        with FailingClaims(tmp_path / "o.db") as box:
            queue(box, dest, 3)
            with OutboxDelivery(box, TcpSender(5.0), dest, batch=2) as delivery:
                result = delivery.flush_now()
            assert result.sent == 2 and "disk is full" in (result.error or "")
            (left,) = box.pending()
            assert left.text == "m2" and left.attempts == 0 and left.claim_owner is None
    finally:
        server.close()
    assert server.error is None, server.error
