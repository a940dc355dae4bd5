"""Inbound listener at scale: the delivered rate with 8, 64 and 256 concurrent senders.

Used by ``bench/run.py`` (scenario ``inbound_scale``): each level is one run
of the ``inbound`` measurement (a ``CustomCloud`` listener in a fresh worker
process, fed by sender threads in the driver, one connection per message),
with the same number of messages in all, split among the senders. The levels
take turns in each round (8, 64, 256, then 256, 64, 8, ...) so that machine
noise hits them alike; each level's figures are medians over the rounds.

The goal (issue 16): the rate at 256 senders within 20% of the rate at 8
(``rate_ratio`` >= 0.8), and nothing lost at any level.
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
        out[f"lost_{senders}"] = sum(r["lost"] for r in runs)
        out[f"send_failed_{senders}"] = sum(r["send_failed"] for r in runs)
    out["rate_ratio"] = out[f"rate_{LEVELS[-1]}"] / out[f"rate_{LEVELS[0]}"]
    out["lost"] = sum(out[f"lost_{n}"] for n in LEVELS)
    out["send_failed"] = sum(out[f"send_failed_{n}"] for n in LEVELS)
    out["partial"] = any(r.get("partial") for runs in samples.values() for r in runs)
    return out
