"""Property test: the store against a list model, under every bound policy."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hologram_sdk.base.errors import OutboxFullError
from hologram_sdk.base.events import MESSAGE_DROPPED, Event
from hologram_sdk.outbox import Outbox

from tests.support.fuzz import fuzz_share

MAX_MESSAGES, MAX_BYTES = 5, 60

DESTS = ("a:1", "b:2")
OPS = ("put", "put", "put", "ack", "release", "dead")  # puts twice as likely


def decode(code: int) -> tuple[str, str, int]:
    """One small integer -> (operation, destination, size): cheap to generate and shrink."""
    return OPS[code % 6], DESTS[(code // 6) % 2], 1 + (code // 12) % 30


operations = st.lists(st.integers(0, 359), max_size=14).map(
    lambda codes: [decode(c) for c in codes]
)
#: Each example runs about ten SQLite transactions (~2.6 ms with Hypothesis),
#: so this property takes a tenth of the profile's examples.
STORE_FUZZ = fuzz_share(10)


@pytest.mark.fuzz
def test_the_store_behaves_like_a_bounded_list():
    quiet = logging.getLogger("hologram_sdk.outbox")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # thousands of drop/dead-letter warnings otherwise
    bus = Event()
    dropped = []
    bus.subscribe(MESSAGE_DROPPED, dropped.append)
    boxes = {
        policy: Outbox(":memory:", max_messages=MAX_MESSAGES, max_bytes=MAX_BYTES,
                       policy=policy, event=bus)
        for policy in ("drop_oldest", "drop_newest", "reject")
    }

    @STORE_FUZZ
    @given(policy=st.sampled_from(sorted(boxes)), ops=operations)
    def check(policy, ops):
        box = boxes[policy]
        box.clear()
        box.clear_dead()
        dropped.clear()
        model: list[tuple[int, str, int]] = []  # (id, destination, size), oldest first
        dead: list[int] = []
        expected_drops: list[int] = []
        for op, dest, size in ops:
            if op == "put":
                fits = (len(model) < MAX_MESSAGES
                        and sum(s for _, _, s in model) + size <= MAX_BYTES)
                if not fits and policy == "reject":
                    with pytest.raises(OutboxFullError):
                        box.put(dest, "message", b"x" * size)
                    continue
                item = box.put(dest, "message", b"x" * size)
                if fits:
                    model.append((item.id, dest, size))
                elif policy == "drop_newest":
                    assert item is None
                    expected_drops.append(None)
                else:
                    while (len(model) + 1 > MAX_MESSAGES
                           or sum(s for _, _, s in model) + size > MAX_BYTES):
                        expected_drops.append(model.pop(0)[0])
                    model.append((item.id, dest, size))
                continue
            claimed = box.claim_next(dest)
            mine = [m for m in model if m[1] == dest]
            if not mine:
                assert claimed is None
                continue
            assert claimed.id == mine[0][0]  # FIFO per destination
            if op == "ack":
                box.ack(claimed)
                model.remove(mine[0])
            elif op == "dead":
                box.dead_letter(claimed, 2)
                model.remove(mine[0])
                dead.append(claimed.id)
            else:
                box.release(claimed, "try again")
        assert [(i.id, i.destination, len(i.body)) for i in box.pending()] == model
        assert box.count() == len(model)
        assert box.stored_bytes() == sum(s for _, _, s in model)
        assert box.count() <= MAX_MESSAGES and box.stored_bytes() <= MAX_BYTES
        assert [d.id for d in dropped] == expected_drops
        assert [d.id for d in box.dead()] == dead
        ids = [i.id for i in box.pending()]
        assert ids == sorted(ids)

    try:
        check()
    finally:
        quiet.setLevel(level)
        for box in boxes.values():
            box.close()
