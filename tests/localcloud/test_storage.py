"""What the local cloud stores, durably, and how the store is read."""

import sqlite3
import threading
import time

import pytest

from hologram_sdk.base.errors import ConfigurationError, HologramError
from hologram_sdk.emulator.cloud import CloudStore, LocalCloud, StoredMessage
from tests.localcloud.util import SEED, exchange, message


def test_rows_hold_device_topics_data_and_time(cloud):
    before = time.time()
    exchange(cloud.port, message(SEED + b',"t":["A","B"],"d":"payload"'))
    exchange(cloud.port, b"S1d3g5a7b+15551234567 hello there\r\r")
    after = time.time()
    [msg] = cloud.messages()
    assert (msg.id, msg.device, msg.topics, msg.data) == (1, "device-1", ["A", "B"], "payload")
    assert before <= msg.received <= after
    [sms] = cloud.sms()
    assert (sms.id, sms.device, sms.destination, sms.text) == (
        1, "device-1", "+15551234567", "hello there"
    )
    assert msg.as_dict()["kind"] == "message" and sms.as_dict()["kind"] == "sms"


def test_database_is_wal_with_full_sync(cloud, db):
    exchange(cloud.port, message(SEED + b',"d":"x"'))
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_rows_are_there_after_close_and_reopen(db):
    with LocalCloud(port=0, db=db) as cloud:
        for i in range(5):
            assert exchange(cloud.port, message(SEED + b',"d":"m%d"' % i)) == b"[0,0]"
        assert exchange(cloud.port, b"S1d3g5a7b+15551234567 durable\r\r") == b"0"
    assert [m.data for m in cloud.messages()] == [f"m{i}" for i in range(5)]  # from the file
    with CloudStore(db, readonly=True) as store:
        assert [m.data for m in store.messages()] == [f"m{i}" for i in range(5)]
        assert [s.text for s in store.sms()] == ["durable"]
    with LocalCloud(port=0, db=db) as again:
        exchange(again.port, message(SEED + b',"d":"m5"'))
        assert [m.id for m in again.messages()] == [1, 2, 3, 4, 5, 6]


def test_stored_before_the_reply_is_written(cloud, db):
    """When the client holds [0,0], another connection to the file sees the row."""
    for i in range(10):
        assert exchange(cloud.port, message(SEED + b',"d":"r%d"' % i)) == b"[0,0]"
        with CloudStore(db, readonly=True) as reader:
            assert reader.messages()[-1].data == f"r{i}"


def test_non_utf8_bytes_from_a_client_are_kept_visible(cloud):
    from hologram_sdk.wire.protocol import Credentials, encode_message

    creds = Credentials(cloud_id="1d3g", cloud_key="5a7b")
    assert exchange(cloud.port, encode_message(creds, b"ok\xff\xfe")) == b"[0,0]"
    assert exchange(cloud.port, message(SEED + b',"d":"lone \\ud800"')) == b"[0,0]"
    assert [m.data for m in cloud.messages()] == ["ok\\xff\\xfe", "lone \\xed\\xa0\\x80"]


def test_readonly_store_refuses_writes_and_missing_files(tmp_path, db):
    with pytest.raises(ConfigurationError, match="no local cloud database"):
        CloudStore(tmp_path / "missing.db", readonly=True)
    CloudStore(db).close()
    with CloudStore(db, readonly=True) as store:
        with pytest.raises(HologramError, match="read-only"):
            store.add_message("d", [], "x")


def test_follow_yields_new_rows_until_stopped(db):
    with CloudStore(db) as writer, CloudStore(db, readonly=True) as reader:
        writer.add_message("dev", ["T"], "old")
        stop = threading.Event()
        follower = reader.follow(after_message=1, interval=0.05, stop=stop)

        def write_later():
            time.sleep(0.1)
            writer.add_message("dev", [], "new")
            writer.add_sms("dev", "+15551234567", "sms")

        thread = threading.Thread(target=write_later)
        thread.start()
        got = [next(follower), next(follower)]
        thread.join()
        assert isinstance(got[0], StoredMessage) and got[0].data == "new"
        assert got[1].text == "sms"
        stop.set()
        assert list(follower) == []


def test_store_close_is_idempotent(db):
    store = CloudStore(db)
    store.close()
    store.close()
    with pytest.raises(HologramError, match="closed"):
        store.messages()


def _all_ids(rows):
    return [r.id for r in rows]


def test_keyset_pages_walk_back_through_the_table_as_slices_of_the_whole():
    with CloudStore() as store:
        for i in range(23):
            store.add_message(f"device-{i % 3}", ["T"], f"message {i}")
            if i % 4 == 0:
                store.add_sms("device-1", "+15551234567", f"sms {i}")
        whole, whole_sms = store.messages(), store.sms()
        pages, before = [], None
        while True:
            page = store.messages(before=before, limit=5)
            if not page:
                break
            pages.append(page)
            before = page[0].id
        # newest page first; each page oldest first, as the whole listing is
        assert [m for page in reversed(pages) for m in page] == whole
        assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
        assert store.messages(limit=5) == whole[-5:]
        assert store.messages(before=whole[10].id) == whole[:10]
        assert store.messages(after_id=whole[2].id, before=whole[6].id) == whole[3:6]
        assert store.messages(after_id=whole[2].id, limit=2) == whole[-2:]
        assert store.sms(limit=2) == whole_sms[-2:]
        assert store.sms(before=whole_sms[2].id, limit=10) == whole_sms[:2]
        assert _all_ids(store.messages(limit=0)) == []
