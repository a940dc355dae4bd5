"""Inbound listener at scale: the delivered rate with 8, 64 and 256 concurrent senders.

Used by ``bench/run.py`` (scenario ``inbound_scale``): each level is one run
of the ``inbound`` measurement (a ``CustomCloud`` listener in a fresh worker
process, fed by sender threads in the driver, one connection per message),
with the same number of messages in all, split among the senders. The levels
take turns in each round (8, 64, 256, then 256, 64, 8, ...) so that machine
noise hits them alike; each level's figures are medians over the rounds.

The goal (issue 16): the listener's cost per message flat from 8 to 256
senders (its process CPU per delivered message at 256 within 20% of that at
8: ``cpu_ratio`` <= 1.2), and nothing lost at any level. The delivered rate
per level is reported, without a goal: the senders are threads of the driver
on the same two cores, and their own CPU per message grows with their number
(measured 2026-11-28: 79-95 us at 8 senders, 132-158 us at 256, while the
listener's stayed at 81-92 us), so the rate at 256 says more about the driver.
"""

from __future__ import annotations

import statistics
from typing import Any, Callable

LEVELS = (8, 64, 256)

#: ``run_one(senders, per_sender)``: one inbound run's result (``run.run_inbound``)
RunOne = Callable[[int, int], dict[str, Any]]


def scale(run_one: RunOne, total: int, rounds: int,
          log: Callable[[str], None] = lambda m: None) -> dict[str, Any]:
    """Run every level ``rounds`` times with ``total`` messages each; combined figures."""
    samples: dict[int, list[dict[str, Any]]] = {n: [] for n in LEVELS}
    for r in range(rounds):
        for senders in (LEVELS if r % 2 == 0 else LEVELS[::-1]):
            result = run_one(senders, max(1, total // senders))
            if "error" in result:
                return {"error": f"{senders} senders: {result['error']}",
                        **({"capped": True} if result.get("capped") else {})}
            samples[senders].append(result)
            log(f"    {senders} senders: {result.get('rate', 0):,.0f} msg/s, "
                f"lost {result.get('lost')}, send failures {result.get('send_failed')}")
    out: dict[str, Any] = {"rounds": rounds, "total": total}
    for senders, runs in samples.items():
        out[f"rate_{senders}"] = statistics.median(r["rate"] for r in runs)
        out[f"cpu_us_{senders}"] = statistics.median(
            r["cpu_s"] / r["delivered"] * 1e6 for r in runs if r.get("delivered"))
        out[f"lost_{senders}"] = sum(r["lost"] for r in runs)
        out[f"send_failed_{senders}"] = sum(r["send_failed"] for r in runs)
    out["rate_ratio"] = out[f"rate_{LEVELS[-1]}"] / out[f"rate_{LEVELS[0]}"]
    out["cpu_ratio"] = out[f"cpu_us_{LEVELS[-1]}"] / out[f"cpu_us_{LEVELS[0]}"]
    out["lost"] = sum(out[f"lost_{n}"] for n in LEVELS)
    out["send_failed"] = sum(out[f"send_failed_{n}"] for n in LEVELS)
    out["partial"] = any(r.get("partial") for runs in samples.values() for r in runs)
    return out
