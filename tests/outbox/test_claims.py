"""Claims: no two connections or processes hold one row; abandoned claims come back."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from hologram_sdk.outbox import Outbox

DEST = "127.0.0.1:9999"

CLAIMER = r"""
import sys, time
from hologram_sdk.outbox import Outbox
box = Outbox(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
while (item := box.claim_next(sys.argv[2])) is not None:
    print(item.id, flush=True)
    time.sleep(0.0005)
print("done", flush=True)
sys.stdin.readline()  # close (which gives claims back) only once both are done
box.close()
"""


def test_two_connections_in_threads_never_claim_the_same_row(tmp_path):
    path = tmp_path / "o.db"
    with Outbox(path) as seed:
        ids = {seed.put(DEST, "message", f"m{i}").id for i in range(300)}
    got: list[list[int]] = [[], []]
    start, finish = threading.Barrier(2), threading.Barrier(2)

    def worker(slot: int) -> None:
        with Outbox(path) as box:
            start.wait()
            while (item := box.claim_next(DEST)) is not None:
                got[slot].append(item.id)
                time.sleep(0.0005)  # let the other connection in between claims
            finish.wait()  # close() gives claims back: not before both are done

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not set(got[0]) & set(got[1])
    assert set(got[0]) | set(got[1]) == ids


def test_two_processes_never_claim_the_same_row(tmp_path):
    path = tmp_path / "o.db"
    with Outbox(path) as seed:
        ids = {seed.put(DEST, "message", f"m{i}").id for i in range(400)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(path), DEST],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        for p in procs:  # release both at once
            p.stdin.write("go\n")
            p.stdin.flush()
        outputs = []
        for p in procs:
            lines = []
            while (line := p.stdout.readline().strip()) not in ("done", ""):
                lines.append(line)
            outputs.append(" ".join(lines))
        for p in procs:
            p.communicate("close\n", timeout=30)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    claimed = [[int(line) for line in out.split()] for out in outputs]
    assert not set(claimed[0]) & set(claimed[1])
    assert set(claimed[0]) | set(claimed[1]) == ids
    assert all(p.returncode == 0 for p in procs)


def test_a_claim_older_than_the_lease_can_be_claimed_again(tmp_path):
    now = [1000.0]
    path = tmp_path / "o.db"
    with Outbox(path, clock=lambda: now[0], lease=30) as a, \
            Outbox(path, clock=lambda: now[0], lease=30) as b:
        first = a.put(DEST, "message", b"x")
        a.put(DEST, "message", b"y")
        assert a.claim_next(DEST).id == first.id
        assert b.claim_next(DEST).body == b"y"  # the next unclaimed one
        now[0] += 29
        assert b.claim_next(DEST) is None  # a's claim still holds
        now[0] += 2
        taken = b.claim_next(DEST)
        assert taken.id == first.id and taken.claim_owner == b.owner


def test_claims_of_a_killed_process_are_freed_at_once(tmp_path):
    path = tmp_path / "o.db"
    with Outbox(path) as box:
        box.put(DEST, "message", b"x")
        child = subprocess.Popen(
            [sys.executable, "-c",
             "import sys, time\n"
             "from hologram_sdk.outbox import Outbox\n"
             "box = Outbox(sys.argv[1])\n"
             "print(box.claim_next(sys.argv[2]).id, flush=True)\n"
             "time.sleep(60)\n",
             str(path), DEST],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            claimed = int(child.stdout.readline())
            assert box.claim_next(DEST) is None
            assert box.release_stale_claims() == 0  # its owner still runs
        finally:
            child.kill()
            child.wait()
            child.stdout.close()
        assert box.release_stale_claims() == 1
        assert box.claim_next(DEST).id == claimed


def test_claims_of_other_hosts_or_unknown_owners_wait_for_the_lease(tmp_path):
    with Outbox(tmp_path / "o.db") as box:
        box.put(DEST, "message", b"a")
        box.put(DEST, "message", b"b")
        box.claim_next(DEST, owner="some-other-host:1:abcd")
        box.claim_next(DEST, owner="free text")
        assert box.release_stale_claims() == 0
        assert box.claim_next(DEST) is None


def test_claim_batch_is_oldest_first_and_exclusive(tmp_path):
    with Outbox(tmp_path / "o.db") as box:
        ids = [box.put(DEST, "message", f"m{i}").id for i in range(10)]
        first = box.claim(DEST, "one", limit=4)
        second = box.claim(DEST, "two", limit=100)
        assert [i.id for i in first] == ids[:4]
        assert [i.id for i in second] == ids[4:]
        box.unclaim(first[2:])
        assert [i.id for i in box.claim(DEST, "three", limit=100)] == ids[2:4]
        assert box.release_claims("two") == 6
        assert box.claim_next(DEST).id == ids[4]


def test_claim_times_use_the_injected_clock(tmp_path):
    with Outbox(tmp_path / "o.db", clock=lambda: 42.0) as box:
        box.put(DEST, "message", b"x")
        item = box.claim_next(DEST)
        assert item.claimed_at == 42.0 and item.created == 42.0
        assert box.pending()[0].claimed_at == 42.0
    assert time.time() > 42.0
