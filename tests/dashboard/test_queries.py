"""The dashboard's read side over a real local cloud database (no browser)."""

from __future__ import annotations

import sqlite3
import time

import pytest

from hologram_sdk.emulator.cloud import CloudStore
from hologram_sdk.emulator.dashboard.payloads import Payload
from hologram_sdk.emulator.dashboard.queries import DashboardData
from hologram_sdk.errors import ConfigurationError

from .conftest import fill_messages


@pytest.fixture
def db(tmp_path):
    path = str(tmp_path / "cloud.db")
    CloudStore(path).close()
    return path


@pytest.fixture
def data(db):
    with DashboardData(db) as reader:
        yield reader


def test_needs_an_existing_database_file(tmp_path):
    with pytest.raises(ConfigurationError, match="database file"):
        DashboardData(tmp_path / "missing.db")
    with pytest.raises(ConfigurationError):
        DashboardData(":memory:")


def test_pages_by_id_cursor_both_ways(db, data):
    fill_messages(db, 120, device="a")
    fill_messages(db, 30, device="b")
    newest = data.messages_page(limit=50)
    assert [m["id"] for m in newest["items"]] == list(range(150, 100, -1))
    assert newest["older"] and not newest["newer"]
    assert (newest["total"], newest["offset"]) == (150, 0)
    older = data.messages_page(before=101, limit=50)
    assert [m["id"] for m in older["items"]] == list(range(100, 50, -1))
    assert older["offset"] == 50
    oldest = data.messages_page(after=0, limit=50)
    assert [m["id"] for m in oldest["items"]] == list(range(50, 0, -1))
    assert not oldest["older"] and oldest["newer"]
    newer = data.messages_page(after=50, limit=50)
    assert newer["items"][0]["id"] == 100
    only_b = data.messages_page(device="b", limit=100)
    assert only_b["total"] == 30
    assert {m["device"] for m in only_b["items"]} == {"b"}
    assert not only_b["older"] and not only_b["newer"]


def test_page_size_is_bounded(db, data):
    fill_messages(db, 10)
    assert len(data.messages_page(limit=0)["items"]) == 1
    assert data.messages_page(limit=10**9)["total"] == 10


def test_first_id_since_is_a_binary_search_over_ids(db, data):
    fill_messages(db, 100, start=1000.0)  # received 950.5 .. 1000.0 in half seconds
    assert data.first_id_since("messages", 0) == 1
    assert data.first_id_since("messages", 975.0) == 50
    assert data.first_id_since("messages", 2000.0) == 101
    assert data.first_id_since("sms", 0) == 1  # empty table
    with pytest.raises(ValueError):
        data.first_id_since("devices; DROP TABLE messages", 0)


def test_per_minute_counts_per_device_and_total(db, data):
    now = time.time()
    store = CloudStore(db)
    try:
        for i in range(6):
            store.add_message("a", [], "x", received=now - 30 - i)
        for _ in range(3):
            store.add_message("b", [], "x", received=now - 600)
        store.add_message("b", [], "too old", received=now - 7200)
    finally:
        store.close()
    hour = data.per_minute(span="hour", now=now)
    assert len(hour["total"]) == 60
    assert sum(hour["total"]) == 9
    assert sum(hour["devices"]["a"]) == 6 and sum(hour["devices"]["b"]) == 3
    day = data.per_minute(span="day", now=now)
    assert len(day["total"]) == 288
    assert sum(day["total"]) == pytest.approx(10 / 5)  # per minute over 5-minute buckets
    only_a = data.per_minute(span="hour", device="a", now=now)
    assert list(only_a["devices"]) == ["a"] and sum(only_a["total"]) == 6
    with pytest.raises(ValueError):
        data.per_minute(span="week")


def test_devices_known_from_registrations_messages_and_sms(db, data):
    store = CloudStore(db)
    try:
        store.add_message("m-only", [], "x")
        store.add_sms("s-only", "+1555", "hi")
    finally:
        store.close()
    assert data.device_names() == ["m-only", "s-only"]
    assert data.known_device("s-only") and not data.known_device("nobody")
    summary = data.device_summary("m-only")
    assert summary["messages_today"] == 1 and summary["last_seen"] is not None
    assert data.device_summary("s-only")["last_seen"] is not None
    assert data.sms_page()[0]["text"] == "hi"


def test_stream_reads_what_came_after_a_cursor(db, data):
    store = CloudStore(db)
    try:
        store.add_message("a", ["T"], "one")
        store.add_sms("a", "+1", "two")
        store.add_message("a", [], "three")
    finally:
        store.close()
    assert data.last_ids() == (2, 1)
    items = data.after(0, 0)
    assert [(i["kind"], i["id"]) for i in items] == [("message", 1), ("sms", 1), ("message", 2)]
    assert data.after(2, 1) == []


def test_payloads_binary_and_long():
    text = Payload.of("plain <b>text</b>").as_dict()
    assert text == {"data": "plain <b>text</b>", "size": 17, "binary": False, "truncated": False}
    binary = Payload.of("\x00\x01\\xfe\\xffAB").as_dict()
    assert binary["binary"] and binary["size"] == 6
    assert binary["hex"] == "00 01 fe ff 41 42" and binary["base64"] == "AAH+/0FC"
    long = Payload.of("y" * 10000)
    assert long.as_dict()["truncated"] and len(long.as_dict()["data"]) == 512
    assert long.as_dict(limit=None)["data"] == "y" * 10000


def test_the_chart_from_id_edges_agrees_with_the_rows(db, data):
    """Above the exact limit the chart never reads rows: it must still count right."""
    now = time.time()
    conn = sqlite3.connect(db)
    with conn:  # in receive order, as a cloud stores them
        conn.executemany(
            "INSERT INTO messages (device, topics, data, received) VALUES (?, '[]', 'x', ?)",
            [(f"d{i % 7 if i % 3 else 0}", now - 3500 + i * 1.7) for i in range(2000)],
        )
    conn.close()
    for span in ("hour", "day"):
        exact = data.per_minute(span=span, now=now)
        fast = data.per_minute(span=span, now=now, exact_below=0)
        assert fast == exact
        assert sum(fast["total"]) == pytest.approx(2000 * 60 / fast["bucket"])
        one = data.per_minute(span=span, now=now, device="d0", exact_below=0)
        assert one == data.per_minute(span=span, now=now, device="d0")
