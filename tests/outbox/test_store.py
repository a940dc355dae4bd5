"""The outbox store: FIFO, topics, bounds and drop policies, bookkeeping, paths."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from hologram_sdk.base.errors import ConfigurationError, OutboxError, OutboxFullError
from hologram_sdk.base.events import MESSAGE_DROPPED, MESSAGE_FAILED, Event
from hologram_sdk.outbox import Outbox, OutboxItem, default_path

DEST = "127.0.0.1:9999"


def recorder(bus: Event, name: str) -> list:
    seen: list = []
    bus.subscribe(name, seen.append)
    return seen


@pytest.fixture
def box(tmp_path):
    with Outbox(tmp_path / "outbox.db") as outbox:
        yield outbox


def test_default_path_follows_xdg_state_home():
    assert default_path({"XDG_STATE_HOME": "/var/state", "HOME": "/home/u"}) == (
        default_path({"XDG_STATE_HOME": "/var/state"})
    )
    assert str(default_path({"XDG_STATE_HOME": "/var/state"})) == "/var/state/hologram/outbox.db"
    # unset, empty or relative (invalid per the XDG spec): ~/.local/state
    for env in ({"HOME": "/home/u"}, {"HOME": "/home/u", "XDG_STATE_HOME": ""},
                {"HOME": "/home/u", "XDG_STATE_HOME": "rel/dir"}):
        assert str(default_path(env)) == "/home/u/.local/state/hologram/outbox.db"


def test_file_is_private_and_parents_are_created(tmp_path):
    path = tmp_path / "a" / "b" / "outbox.db"
    with Outbox(path):
        pass
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_put_is_fifo_and_keeps_topics_text_and_kind(box):
    stored = [
        box.put(DEST, "message", b'{"d":"one"}\r\r', ["TEMP", "ROOM 1"], text="one"),
        box.put(DEST, "sms", b"S+15551234567 two\r\r", text="+15551234567 two"),
        box.put(DEST, "message", "three", "single"),
        box.put("10.0.0.1:1", "raw", b"\x00\xffbytes"),
    ]
    assert [s.id for s in stored] == sorted(s.id for s in stored)
    items = box.pending(DEST)
    assert [i.display_text for i in items] == ["one", "+15551234567 two", "three"]
    assert [i.topics for i in items] == [["TEMP", "ROOM 1"], [], ["single"]]
    assert [i.kind for i in items] == ["message", "sms", "message"]
    assert items[0].body == b'{"d":"one"}\r\r'
    assert items[2].body == b"three"
    assert [i.destination for i in box.pending()] == [DEST, DEST, DEST, "10.0.0.1:1"]
    assert box.pending("10.0.0.1:1")[0].body == b"\x00\xffbytes"
    assert box.count() == 4 and box.count(DEST) == 3
    assert box.has_pending(DEST) and box.has_pending("10.0.0.1:1")
    assert not box.has_pending("elsewhere:1")
    assert box.destinations() == [DEST, "10.0.0.1:1"]
    assert box.stored_bytes() == sum(s.size for s in stored)


def test_rows_survive_reopening(tmp_path):
    path = tmp_path / "o.db"
    with Outbox(path) as box:
        first = box.put(DEST, "message", b"x", ["t"], text="x")
    with Outbox(path) as box:
        (item,) = box.pending()
        assert (item.id, item.body, item.topics, item.text) == (first.id, b"x", ["t"], "x")
        assert item.created == pytest.approx(first.created)


def test_repr_never_shows_the_body(box):
    item = box.put(DEST, "message", b'{"k":"SECRETKY","d":"x"}')
    assert "SECRETKY" not in repr(item)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_messages": 0}, "max_messages"),
        ({"max_bytes": -1}, "max_bytes"),
        ({"policy": "drop_random"}, "drop_oldest, drop_newest, reject"),
        ({"lease": 0}, "lease"),
    ],
)
def test_bad_settings_are_configuration_errors(tmp_path, kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        Outbox(tmp_path / "o.db", **kwargs)


def test_bad_put_arguments(box):
    with pytest.raises(ConfigurationError, match="kind"):
        box.put(DEST, "fax", b"x")
    with pytest.raises(ConfigurationError, match="destination"):
        box.put("", "message", b"x")
    with pytest.raises(ConfigurationError, match="topics"):
        box.put(DEST, "message", b"x", [1])
    with pytest.raises(ConfigurationError, match="body"):
        box.put(DEST, "message", 12)
    assert box.count() == 0


# --- bounds ------------------------------------------------------------------


def test_drop_oldest_by_count_broadcasts_each_dropped_item(tmp_path):
    bus = Event()
    dropped = recorder(bus, MESSAGE_DROPPED)
    with Outbox(tmp_path / "o.db", max_messages=3, event=bus) as box:
        ids = [box.put(DEST, "message", f"m{i}", ["t"]).id for i in range(5)]
        assert [i.body for i in box.pending()] == [b"m2", b"m3", b"m4"]
        assert box.count() == 3
    assert [d.id for d in dropped] == ids[:2]
    assert all(isinstance(d, OutboxItem) for d in dropped)
    assert [(d.body, d.topics) for d in dropped] == [(b"m0", ["t"]), (b"m1", ["t"])]


def test_drop_oldest_by_bytes_drops_as_many_as_needed(tmp_path, caplog):
    bus = Event()
    dropped = recorder(bus, MESSAGE_DROPPED)
    with Outbox(tmp_path / "o.db", max_bytes=100, event=bus) as box:
        for i in range(4):
            box.put(DEST, "message", bytes([65 + i]) * 25)
        assert box.stored_bytes() == 100
        box.put(DEST, "message", b"z" * 60)  # needs 60 bytes: the 3 oldest go
        assert [i.body[:1] for i in box.pending()] == [b"D", b"z"]
        assert box.stored_bytes() == 85
    assert [d.body[:1] for d in dropped] == [b"A", b"B", b"C"]
    assert sum("dropped message" in r.getMessage() for r in caplog.records) == 3


def test_drop_oldest_prefers_unclaimed_rows(tmp_path):
    with Outbox(tmp_path / "o.db", max_messages=2) as box:
        first = box.put(DEST, "message", b"first")
        box.put(DEST, "message", b"second")
        assert box.claim_next(DEST).id == first.id  # in flight
        box.put(DEST, "message", b"third")
        assert [i.body for i in box.pending()] == [b"first", b"third"]


def test_drop_newest_keeps_the_queue_and_reports_the_new_message(tmp_path):
    bus = Event()
    dropped = recorder(bus, MESSAGE_DROPPED)
    with Outbox(tmp_path / "o.db", max_messages=2, policy="drop_newest", event=bus) as box:
        box.put(DEST, "message", b"a")
        box.put(DEST, "message", b"b")
        assert box.put(DEST, "message", b"c", ["T"], text="c") is None
        assert [i.body for i in box.pending()] == [b"a", b"b"]
    assert len(dropped) == 1
    assert (dropped[0].id, dropped[0].body, dropped[0].topics) == (None, b"c", ["T"])


def test_reject_raises_and_stores_nothing(tmp_path):
    bus = Event()
    dropped = recorder(bus, MESSAGE_DROPPED)
    with Outbox(tmp_path / "o.db", max_bytes=10, policy="reject", event=bus) as box:
        box.put(DEST, "message", b"12345678")
        with pytest.raises(OutboxFullError, match="full"):
            box.put(DEST, "message", b"123")
        assert [i.body for i in box.pending()] == [b"12345678"]
        assert box.stored_bytes() == 8
    assert dropped == []


@pytest.mark.parametrize("policy", ["drop_oldest", "drop_newest", "reject"])
def test_a_message_larger_than_max_bytes_never_fits(tmp_path, policy):
    with Outbox(tmp_path / "o.db", max_bytes=10, policy=policy) as box:
        box.put(DEST, "message", b"keep")
        with pytest.raises(OutboxFullError, match="can never fit"):
            box.put(DEST, "message", b"x" * 11)
        assert [i.body for i in box.pending()] == [b"keep"]


def test_text_counts_against_max_bytes(tmp_path):
    with Outbox(tmp_path / "o.db", max_bytes=10, policy="reject") as box:
        assert box.put(DEST, "message", b"12345", text="67890").size == 10
        with pytest.raises(OutboxFullError):
            box.put(DEST, "message", b"1")


def test_bounds_are_shared_by_every_destination(tmp_path):
    with Outbox(tmp_path / "o.db", max_messages=2) as box:
        box.put("a:1", "message", b"1")
        box.put("b:1", "message", b"2")
        box.put("a:1", "message", b"3")
        assert [(i.destination, i.body) for i in box.pending()] == [("b:1", b"2"), ("a:1", b"3")]


# --- bookkeeping -------------------------------------------------------------


def test_ack_release_and_dead_letter(tmp_path):
    bus = Event()
    failed = recorder(bus, MESSAGE_FAILED)
    with Outbox(tmp_path / "o.db", event=bus) as box:
        a = box.put(DEST, "message", b"a", ["x"], text="a")
        b = box.put(DEST, "message", b"b")
        c = box.put(DEST, "message", b"c")
        item = box.claim_next(DEST)
        assert item.id == a.id and item.claim_owner == box.owner
        box.release(item, "CloudConnectionError: refused")
        (again, *_) = box.pending()
        assert (again.id, again.attempts) == (a.id, 1)
        assert again.last_error == "CloudConnectionError: refused"
        assert again.claim_owner is None
        dead = box.dead_letter(box.claim_next(DEST), 3)
        assert dead.code == 3 and dead.attempts == 2
        box.ack(box.claim_next(DEST))
        assert [i.id for i in box.pending()] == [c.id]
        (letter,) = box.dead()
        assert (letter.id, letter.body, letter.topics, letter.code) == (a.id, b"a", ["x"], 3)
        assert letter.text == "a" and letter.failed_at is not None
        assert "3" in letter.last_error
        assert box.count() == 1
        assert b.id not in [i.id for i in box.pending()]
    assert [f.id for f in failed] == [a.id] and failed[0].code == 3


def test_dead_letters_are_bounded(tmp_path):
    with Outbox(tmp_path / "o.db", max_dead=3) as box:
        for i in range(5):
            box.put(DEST, "message", f"m{i}")
        for _ in range(5):
            box.dead_letter(box.claim_next(DEST), 2)
        assert [d.body for d in box.dead()] == [b"m2", b"m3", b"m4"]


def test_clear_and_clear_dead_count_what_they_remove(box):
    for i in range(4):
        box.put(DEST, "message", f"m{i}")
    box.dead_letter(box.claim_next(DEST), 8)
    assert box.clear() == 3
    assert box.count() == 0 and box.stored_bytes() == 0
    assert box.clear_dead() == 1
    assert box.dead() == []


def test_close_is_idempotent_and_use_after_close_is_an_outbox_error(tmp_path):
    box = Outbox(tmp_path / "o.db")
    box.close()
    box.close()
    assert box.closed
    with pytest.raises(OutboxError, match="closed"):
        box.put(DEST, "message", b"x")
    with pytest.raises(OutboxError, match="closed"):
        box.pending()


def test_close_gives_back_this_instances_claims(tmp_path):
    path = tmp_path / "o.db"
    with Outbox(path) as other:
        other.put(DEST, "message", b"a")
        box = Outbox(path)
        assert box.claim_next(DEST) is not None
        assert other.claim_next(DEST) is None
        box.close()
        assert other.claim_next(DEST).body == b"a"


# --- acknowledged rows (deleted by the next write) ------------------------------


def table_ids(path, table):
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute(f"SELECT id FROM {table} ORDER BY id")]
    finally:
        conn.close()


def test_an_acknowledged_row_is_gone_for_every_reader_at_once(tmp_path):
    path = tmp_path / "o.db"
    with Outbox(path) as box, Outbox(path) as other:
        a = box.put(DEST, "message", b"aaaa")
        b = box.put(DEST, "message", b"bb")
        box.ack(box.claim_next(DEST))
        # still in the table (one small commit), but no reader sees it
        assert table_ids(path, "outbox") == [a.id, b.id]
        assert table_ids(path, "outbox_acked") == [a.id]
        for reader in (box, other):
            assert [i.id for i in reader.pending()] == [b.id]
            assert [i.id for i in reader.pending(DEST)] == [b.id]
            assert reader.count() == 1 and reader.count(DEST) == 1
            assert reader.stored_bytes() == b.size
            assert reader.destinations() == [DEST]
        box.ack(box.claim_next(DEST))
        for reader in (box, other):
            assert not reader.has_pending() and not reader.has_pending(DEST)
            assert reader.destinations() == [] and reader.count() == 0
        # the next write of any instance deletes them
        c = other.put(DEST, "message", b"c")
        assert table_ids(path, "outbox") == [c.id]
        assert table_ids(path, "outbox_acked") == []
        assert box.count() == 1 and box.stored_bytes() == c.size


def test_an_acknowledged_row_is_never_claimed_again_after_its_lease(tmp_path):
    now = [1000.0]
    path = tmp_path / "o.db"
    with Outbox(path, clock=lambda: now[0], lease=30) as a:
        a.put(DEST, "message", b"x")
        a.ack(a.claim_next(DEST))
    # the acknowledging instance is gone, its claim long expired
    now[0] += 3600
    with Outbox(path, clock=lambda: now[0], lease=30) as b:
        assert b.claim_next(DEST) is None
        assert b.release_stale_claims() == 0
        assert b.pending() == []


def test_drop_oldest_never_drops_a_delivered_row(tmp_path):
    bus = Event()
    dropped = recorder(bus, MESSAGE_DROPPED)
    with Outbox(tmp_path / "o.db", max_messages=2, event=bus) as box:
        box.put(DEST, "message", b"a")
        b = box.put(DEST, "message", b"b")
        box.ack(box.claim_next(DEST))  # "a" was delivered: its place is free
        c = box.put(DEST, "message", b"c")
        assert dropped == []
        assert [i.id for i in box.pending()] == [b.id, c.id]


def test_acknowledging_twice_or_a_cleared_row_is_harmless(tmp_path):
    path = tmp_path / "o.db"
    with Outbox(path) as box:
        a = box.put(DEST, "message", b"a")
        item = box.claim_next(DEST)
        box.ack(item)
        box.ack(item)
        assert box.count() == 0
        b = box.put(DEST, "message", b"b")
        claimed = box.claim_next(DEST)
        assert box.clear() == 1  # e.g. `hologram outbox clear` while it was in flight
        box.ack(claimed)
        assert table_ids(path, "outbox_acked") == []  # no row left to acknowledge
        assert box.count() == 0 and box.stored_bytes() == 0
        assert (a.id, b.id) == (1, 2)


def test_outboxes_opening_one_new_file_together_all_open(tmp_path):
    """A sender and an observer (or two processes) creating the same new file at once."""
    errors: list[BaseException] = []
    for round_ in range(25):
        path = tmp_path / f"o{round_}.db"
        start = threading.Barrier(4)

        def open_it(path=path, start=start) -> None:
            start.wait(5)
            try:
                with Outbox(path):
                    pass
            except BaseException as exc:  # recorded, then asserted below
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert errors == []
