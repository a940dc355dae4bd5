"""A route's status counts run aside: devices are answered while they run.

``hologram server`` prints each route's backlog every few seconds, and the REST
API and the dashboard ask for it too. Counting scans every stored row (1.5 s at
a million rows): done under the store's lock it held up every commit, so every
device waited for it. It runs on a second, read-only connection now.
"""

from __future__ import annotations

import threading

from hologram_sdk.emulator.cloud.gateway import Gateway
from hologram_sdk.emulator.cloud.store import CloudStore
from tests.fleet.test_mqtt_route import CREDS, send


def test_a_device_is_answered_while_a_slow_read_aside_runs(tmp_path):
    with Gateway(name="gw", port=0, db=tmp_path / "g.db") as gw:
        send(gw, CREDS[0], "before")
        inside, release = threading.Event(), threading.Event()

        def slow_read(db):  # a test double of a long count: holds its connection
            inside.set()
            assert release.wait(30)
            return db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]

        result: list[int] = []
        reader = threading.Thread(target=lambda: result.append(gw.store.read_aside(slow_read)))
        reader.start()
        try:
            assert inside.wait(10)
            send(gw, CREDS[1], "during")  # 5 s timeout: it would wait for the read before
        finally:
            release.set()
            reader.join(30)
        assert result and result[0] >= 1
        assert [m.data for m in gw.cloud.messages()] == ["before", "during"]


def test_read_aside_sees_committed_rows_and_closes_with_the_store(tmp_path):
    store = CloudStore(tmp_path / "c.db")
    store.add_message("d", [], "one")
    assert store.read_aside(lambda db: db.execute("SELECT data FROM messages").fetchall()) == [
        ("one",)
    ]
    store.close()
    assert store._side is None
    memory = CloudStore(":memory:")  # no second connection to an in-memory database
    memory.add_message("d", [], "two")
    assert memory.read_aside(lambda db: db.execute("SELECT COUNT(*) FROM messages").fetchone()) == (
        1,
    )
    memory.close()
