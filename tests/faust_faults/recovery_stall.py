"""Fault 4: table recovery after a rebalance reads nothing and never ends.

Symptom (faust/tables/recovery.py): `Recovery._restart_recovery` resumes the active changelog partitions and
waits for `signal_recovery_end`, which `_slurp_changelogs` sets once `active_remaining()` (highwater minus the
last offset read, per changelog partition) is zero; when no record of a partition with records left reaches the
changelog queue, the worker stays in recovery and `_verify_remaining` logs "No event received for active tp ...
since recovery start" every few seconds, for good. Aduan's two-worker test saw it in about 4 of 55 takeovers.

How: plain faust workers (tests/faust_faults/_worker.py, no Aduan guard, no watchdog) with a table written for
every record (memory store, one standby replica, as Aduan's worker); worker A reads a 4-partition topic under
load; worker B joins and is SIGKILLed (A takes its partitions over after the session timeout: recovery of the
partitions it had as standby), or leaves with SIGTERM (--leave term), a number of times. The workers run with
--diagnose: each status line says, per changelog partition, how many records the Kafka client returned to faust
(`Consumer._getmany`), `Consumer.getmany` handed out, reached the conductor (`Conductor.on_message`) and
`FlowControlEvent.clear` threw away, with the Kafka client's position and highwater and faust's read offset and
partition sets. A worker in recovery with the flow running whose records left do not change for --stall
seconds is this fault; the script prints where the partition's records went.

Ends with `REPRODUCED ...` (exit 0) when a recovery stalled, else `NOT REPRODUCED ...` (exit 1), with the number
of recoveries seen.
"""

from __future__ import annotations

import sys

from tests.faust_faults import _harness as h


def find_stalls(events: list[dict], stall: float) -> list[dict]:
    """Spells of >= `stall` s in which a worker was in recovery, flow running, with the same records left."""
    since: dict = {}
    found: dict = {}
    for e in events:
        if e["ev"] != "status":
            continue
        w = e["w"]
        reading = e["in_recovery"] and e["flow"] and e["remaining"]
        key = (w, e["gen"], tuple(sorted(e["remaining"].items()))) if reading else None
        prev = since.get(w)
        if key is None:
            since.pop(w, None)
            continue
        if prev is None or prev[0] != key:
            since[w] = (key, e["t"])
        elif e["t"] - prev[1] >= stall:
            found[(w, e["gen"])] = {"w": w, "gen": e["gen"], "for": round(e["t"] - prev[1], 1), "status": e}
    return list(found.values())


def recoveries(events: list[dict]) -> int:
    """Recoveries that read changelogs: (worker, generation) pairs seen in recovery with records left."""
    return len({(e["w"], e["gen"]) for e in events if e["ev"] == "status" and e["in_recovery"] and e["remaining"]})


def explain(s: dict) -> list[str]:
    st = s["status"]
    diag = st.get("diag", {})
    lines = []
    for tp, left in sorted(st["remaining"].items()):
        part = st["parts"].get(tp, {})
        counts = {what: diag.get(what, {}).get(tp) for what in ("fetched", "handed", "delivered", "cleared")}
        lines.append(
            f"  {tp}: {left} records left (highwater {part.get('highwater')}, last read by recovery "
            f"{st.get('active_offsets', {}).get(tp)}); Kafka client position {part.get('position')}, undrained "
            f"{part.get('undrained')}; faust read offset {part.get('read')}, in _active_partitions "
            f"{part.get('active')}, paused {part.get('paused')}, buffered {part.get('buffered')}; records "
            f"(count, max offset) returned by the client {counts['fetched']}, handed out {counts['handed']}, "
            f"delivered {counts['delivered']}, thrown away by FlowControlEvent.clear {counts['cleared']}; "
            f"changelog queue {st.get('changelog_q')}")
    return lines


async def body(run: h.Run, args, deadline: h.Deadline) -> int:
    result = await h.churn(run, args, deadline, on_cycle=lambda events: bool(find_stalls(events, args.stall)))
    stalls = find_stalls(result.events, args.stall)
    for s in stalls:
        run.say(f"{s['w']} stalled in recovery (generation {s['gen']}) for {s['for']} s:")
        for line in explain(s):
            print(line, flush=True)
    n = recoveries(result.events)
    figures = (f"{len(stalls)} stalled recoveries (records left unchanged for {args.stall:.0f} s or more) in {n} "
               f"recoveries that read changelogs ({result.cycles} join/{'kill' if args.leave == 'kill' else 'leave'}"
               f" cycles)")
    return h.finish(bool(stalls), figures)


def main(argv=None) -> int:
    p = h.parser(__doc__, attempts=8, timeout=175)
    h.churn_options(p, rate=60, delay=0.01, buffer=64, leave="kill")
    p.set_defaults(diagnose=True, tables=2, session_timeout=6.0, stay=2.0)
    p.add_argument("--widen-recovery-window", type=float, default=0.0, metavar="SECONDS",
                   help="make the workers sleep between recovery's seek of the active changelog partitions and "
                        "their resume (a busy event loop): makes the stall frequent (default: off, plain faust)")
    p.add_argument("--fix-stall", action="store_true",
                   help="run the workers with tests.faust_faults.fixes.RewindingConsumer (the proposed fix)")
    p.add_argument("--stall", type=float, default=15.0,
                   help="seconds without recovery progress that count as a stall (default %(default)s)")
    return h.main_with(body, p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
