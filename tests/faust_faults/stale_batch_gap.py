"""Fault 1: after a rebalance's seek, the rest of a stale batch is taken for a "gap" and its offsets committed.

What faust does (faust/tables/recovery.py, faust/transport/consumer.py): with tables, the flow is already
running when `Recovery.on_recovery_completed` ends a rebalance (it was resumed to read the changelogs). That
method calls `consumer.resume_partitions(<input partitions>)` first and only then awaits
`consumer.perform_seek()` and calls `app.flow_control.resume()`. In between, `Consumer._drain_messages` hands
input records to the agents' queues (flow on, current generation) and moves `Consumer._read_offset[tp]` on;
`perform_seek` sets `_read_offset[tp]` back to the committed offset; `FlowControlEvent.resume` then empties the
agents' queues (`clear_on_resume=True`), throwing the records handed out away unprocessed. What happens next
depends on where the batch `Consumer.getmany` is still handing out stands:
- the next record is more than one past `_read_offset[tp]`: faust takes the jump for a gap (compaction,
  transaction markers: `Consumer._add_gap`) and `Consumer._new_offset` counts the offsets in it as acknowledged;
  they are committed although no agent processed them, and the same records fetched again from the committed
  offset are dropped as already read ("DROPPED MESSAGE" in `_drain_messages`);
- no jump: the records thrown away are dropped as already read when fetched again, and `_new_offset` either
  commits past a single one (its head check `min(acked) - committed_offset > 1` lets a hole of one through) or,
  for two or more, commits nothing for that partition again until the next rebalance (see
  lost_active_partition.py).

How: plain faust workers (tests/faust_faults/_worker.py, no Aduan guard) with a table; worker A reads a
4-partition topic under a steady load; worker B joins and leaves again, a number of times. At the end A reads
to the end and stops; every offset below the group's committed offset that no worker processed is lost. Lost
offsets inside a gap faust recorded (`Consumer._add_gap`, watched) or thrown away by `FlowControlEvent.resume`
(`FlowControlEvent.clear`, watched) are this fault.

Ends with `REPRODUCED ...` (exit 0) when at least one record was lost so, else `NOT REPRODUCED ...` (exit 1).
"""

from __future__ import annotations

import sys

from tests.faust_faults import _harness as h


def classify(events: list[dict], lost: dict[int, list[int]]) -> dict[str, set]:
    """Lost records (committed, processed by no worker) by what faust did to them."""
    gaps = [(g["p"], g["frm"], g["to"]) for g in events if g["ev"] == "gap"]
    thrown = {(p, o) for e in events if e["ev"] == "queue_cleared" and e["kind"] == "input" and e["by"] == "resume"
              for p, o in e["items"]}
    out: dict[str, set] = {"gap": set(), "thrown": set(), "other": set()}
    for p, offsets in lost.items():
        for o in offsets:
            if any(gp == p and f <= o <= t for gp, f, t in gaps):
                out["gap"].add((p, o))
            if (p, o) in thrown:
                out["thrown"].add((p, o))
            if (p, o) not in out["gap"] and (p, o) not in thrown:
                out["other"].add((p, o))
    return out


def fmt(items: set) -> str:
    by_p: dict[int, list[int]] = {}
    for p, o in items:
        by_p.setdefault(p, []).append(o)
    return "; ".join(f"p{p}: {h.ranges(v)}" for p, v in sorted(by_p.items())) or "none"


async def body(run: h.Run, args, deadline: h.Deadline) -> int:
    result = await h.churn(run, args, deadline)
    lost = h.lost_offsets(result.events, result.committed)
    kinds = classify(result.events, lost)
    gaps = [e for e in result.events if e["ev"] == "gap"]
    for g in gaps:
        run.say(f"faust took a gap in {result.topic}[{g['p']}]: offsets {g['frm']}..{g['to']} "
                f"(committed then {g['committed']}, generation {g['gen']}, worker {g['w']})")
    for e in result.events:
        if e["ev"] == "queue_cleared" and e["kind"] == "input" and e["by"] == "resume":
            run.say(f"{e['w']}: FlowControlEvent.resume threw away {len(e['items'])} input records the worker had "
                    f"handed to its agent in generation {e['gen']}: "
                    f"{', '.join(f'p{p}@{o}' for p, o in e['items'])}")
    for p, offsets in sorted(lost.items()):
        run.say(f"{result.topic}[{p}]: committed {result.committed[p]}, never processed: {h.ranges(offsets)}")
    stale = kinds["gap"] | kinds["thrown"]
    rebalances = 2 * result.cycles
    with_loss = len({e["gen"] for e in result.events if e["ev"] == "queue_cleared" and e["by"] == "resume"
                     and any((p, o) in stale for p, o in e["items"])} | {g["gen"] for g in gaps})
    figures = (f"{len(stale)} records committed and never processed after a rebalance's seek ({fmt(stale)}): "
               f"{len(kinds['gap'])} inside a gap faust took ({len(gaps)} gaps), {len(kinds['thrown'])} handed "
               f"out before the seek and thrown away by FlowControlEvent.resume; in {with_loss} of {rebalances} "
               f"rebalances ({result.cycles} join/leave cycles); other losses: {len(kinds['other'])}; "
               f"{result.sent} records written; read to the end: {'yes' if result.drained else 'NO'}")
    return h.finish(len(stale) > 0, figures)


def main(argv=None) -> int:
    p = h.parser(__doc__, attempts=6, timeout=170)
    h.churn_options(p, rate=60, delay=0.01, buffer=64, leave="term")
    return h.main_with(body, p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
