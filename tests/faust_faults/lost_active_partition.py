"""Fault 3: an input partition drops out of faust's set of partitions to fetch and is not read again.

What faust does (faust/transport/consumer.py): `Consumer._wait_next_records` asks the Kafka client only for
the records of `Consumer._active_partitions` (`Consumer._get_active_partitions`), a set edited in place by
`pause_partitions`/`resume_partitions` (rebalances, recovery), `on_partitions_revoked`/`on_partitions_assigned`
(`_set_active_tps`), `on_buffer_full` (an agent's queue under pressure: the partition moves to
`_buffered_partitions`) and `on_buffer_drop` (the queue drained: it moves back). `on_buffer_drop` runs only from
the agent queue's pending pressure-drop callbacks (mode's `FlowControlQueue.maybe_endorse_pressure_drop`), and
`_buffered_partitions` is never cleared on a rebalance. A partition left outside `_active_partitions` once a
rebalance is over (assigned, not paused, not held back by a queue with records in it) is not fetched: its
records wait in Kafka, its offset is not committed.

How: plain faust workers (tests/faust_faults/_worker.py, no Aduan guard) with a table; worker A reads a
4-partition topic under load; worker B joins and is SIGKILLed (A takes its partitions over after the session
timeout), a number of times; then the load stops and A must read to the end. Each worker writes its status every
second (faust's active/paused/buffered sets, read offsets, the Kafka client's positions). A partition of a worker
past its rebalance and recovery that has records waiting and is outside `_active_partitions` (and not held back
by a non-empty agent queue) for --stall seconds is the fault as first read. What the runs here show instead is
the symptom seen from outside (the partition's offset no longer committed, its lag growing) with another cause:
the partition is read on, but a few records handed to the agent just before `Recovery.on_recovery_completed`'s
seek were thrown away from the agent's queue by `FlowControlEvent.resume` (fault 1's window) without a gap
being taken for them; `Consumer._new_offset` then finds a hole of two or more at the head of `_acked[tp]`
(`min(acked) - committed_offset > 1`: return None) and commits nothing for that partition again until the
next rebalance, while the records of the hole are dropped as already read (`_read_offset` is past them). A
partition whose read offset moves past faust's `_committed_offset[tp]` while that stays put for --stall seconds
is reported so, with the offsets faust never counted as acknowledged. Also reported: partitions inside the set
whose read offset does not move for --stall seconds with records waiting.

Ends with `REPRODUCED ...` (exit 0) when a partition was left out of the fetch, or read with its commit stuck,
for --stall seconds, else `NOT REPRODUCED ...` (exit 1).
"""

from __future__ import annotations

import sys

from tests.faust_faults import _harness as h


def waiting(part: dict) -> bool:
    hw, read = part["highwater"], part["read"]
    return part["undrained"] or (hw is not None and (read is None or read + 1 < hw))


def stalls(events: list[dict], topic: str, stall: float) -> tuple[list[dict], list[dict], list[dict]]:
    """(left out of the fetch, in the fetch but not read, read but not committed): spells of >= `stall` s."""
    out_since: dict = {}
    still_since: dict = {}
    commit_since: dict = {}
    left_out: dict = {}
    not_read: dict = {}
    stuck: dict = {}
    for e in events:
        if e["ev"] != "status":
            continue
        ok = h.settled(e, topic)
        for key, part in e["parts"].items():
            if not key.startswith(topic + "["):
                continue
            k = (e["w"], key)
            held_back = part["buffered"] and e.get("input_queue", 0) > 0
            if ok and waiting(part) and not part["active"] and not part["paused"] and not held_back:
                since = out_since.setdefault(k, (e["t"], part))
                if e["t"] - since[0] >= stall:
                    left_out[k] = {"w": e["w"], "tp": key, "for": round(e["t"] - since[0], 1), "part": part,
                                   "gen": e["gen"]}
            else:
                out_since.pop(k, None)
            if ok and waiting(part) and part["active"]:
                prev = still_since.get(k)
                if prev is None or prev[1] != part["read"]:
                    still_since[k] = (e["t"], part["read"])
                elif e["t"] - prev[0] >= stall:
                    not_read[k] = {"w": e["w"], "tp": key, "for": round(e["t"] - prev[0], 1), "part": part,
                                   "gen": e["gen"]}
            else:
                still_since.pop(k, None)
            committed, read = part["committed"], part["read"]
            if ok and committed is not None and read is not None and read >= committed:
                prev = commit_since.get(k)
                if prev is None or prev[1] != committed:
                    commit_since[k] = (e["t"], committed)
                elif e["t"] - prev[0] >= stall:
                    stuck[k] = {"w": e["w"], "tp": key, "for": round(e["t"] - prev[0], 1), "part": part,
                                "gen": e["gen"]}
            else:
                commit_since.pop(k, None)
    return list(left_out.values()), list(not_read.values()), list(stuck.values())


def hole(events: list[dict], worker: str, partition: int, committed: int, read: int) -> list[int]:
    """Offsets from `committed` to `read` the worker never counted as acknowledged."""
    acked = {e["o"] for e in events if e["ev"] == "ack" and e["w"] == worker and e["p"] == partition}
    return [o for o in range(committed, read + 1) if o not in acked]


async def body(run: h.Run, args, deadline: h.Deadline) -> int:
    result = await h.churn(run, args, deadline)
    left_out, not_read, stuck = stalls(result.events, result.topic, args.stall)
    for s in left_out:
        p = s["part"]
        run.say(f"{s['w']}: {s['tp']} not in _active_partitions for {s['for']} s with records waiting (generation "
                f"{s['gen']}; paused {p['paused']}, buffered {p['buffered']}, read offset {p['read']}, Kafka "
                f"client position {p['position']}, highwater {p['highwater']}, undrained {p['undrained']})")
    for s in not_read:
        p = s["part"]
        run.say(f"{s['w']}: {s['tp']} in _active_partitions but its read offset stayed at {p['read']} for "
                f"{s['for']} s with records waiting (Kafka client position {p['position']}, highwater "
                f"{p['highwater']})")
    for s in stuck:
        p = s["part"]
        part_no = int(s["tp"].rsplit("[", 1)[1].rstrip("]"))
        missing = hole(result.events, s["w"], part_no, p["committed"], p["read"])
        run.say(f"{s['w']}: {s['tp']} read on to offset {p['read']} but its commit stayed at {p['committed']} for "
                f"{s['for']} s: faust never counted {h.ranges(missing) or '(none?)'} as acknowledged, so "
                f"Consumer._new_offset finds a hole at the head of _acked and commits nothing")
    lost = h.lost_offsets(result.events, result.committed)
    behind = {p: (result.committed.get(p), result.ends[p]) for p in result.ends
              if (result.committed.get(p) or 0) < result.ends[p]}
    figures = (f"{len(left_out)} partitions left out of the fetch for {args.stall:.0f} s or more "
               f"({', '.join(sorted({s['tp'] for s in left_out})) or 'none'}); {len(not_read)} in the fetch but not "
               f"read; {len(stuck)} read on but with their commit stuck for {args.stall:.0f} s or more "
               f"({', '.join(sorted({s['tp'] for s in stuck})) or 'none'}); {result.cycles} join/kill cycles; "
               f"group offset short of the end: "
               f"{', '.join(f'p{p} (committed {c}, end {e})' for p, (c, e) in sorted(behind.items())) or 'none'}; "
               f"records lost: {sum(len(v) for v in lost.values())} of {result.sent}")
    return h.finish(bool(left_out or stuck), figures)


def main(argv=None) -> int:
    p = h.parser(__doc__, attempts=5, timeout=175)
    h.churn_options(p, rate=60, delay=0.01, buffer=16, leave="kill")
    p.add_argument("--stall", type=float, default=10.0,
                   help="seconds a partition must stay out of the fetch to count (default %(default)s)")
    return h.main_with(body, p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
