"""Fault 2: records handed back unprocessed around a rebalance are acknowledged, and committed.

What faust does (faust/streams.py, `Stream._py_aiter`): a stream that takes a record from its queue while the
flow is stopped (`app.flow_control` suspended by the revocation) or whose `message.generation_id` is not the
app's current `consumer_generation_id` skips it, unprocessed, and still acknowledges it (the `finally` of the
loop: `do_ack or value is skipped_value` -> `Event.ack` -> `Consumer.ack`). `Consumer.ack` counts the offset
as done (`_acked`), and the next commit (the revocation's `wait_empty`/`commit`, or the commit timer in the new
generation) moves the group's offset past it: the record's next reader (this worker after its seek, or the
partition's next owner) starts after it.

How: plain faust workers (tests/faust_faults/_worker.py, no Aduan guard) whose agent is slow and whose stream
buffers are small (the conductor then waits on full queues, so records fetched in one generation reach the
stream in the next); worker A reads a 4-partition topic under load; worker B joins and leaves, a number of
times. `Consumer._acked` is watched (both ack paths, `Consumer.ack` and the Cython `StreamIterator.after`,
append to it): an offset counted as acknowledged by a worker that had not processed it is this fault; it loses
the record if the group's committed offset passed it and no worker processed it.

Ends with `REPRODUCED ...` (exit 0) when at least one unprocessed record was acknowledged and counted, else
`NOT REPRODUCED ...` (exit 1); the figures say how many of those were lost.
"""

from __future__ import annotations

import sys

from tests.faust_faults import _harness as h


def acked_unprocessed(events: list[dict]) -> list[dict]:
    """Acknowledgements counted as committable of records the acknowledging worker had not processed."""
    seen: set = set()
    out = []
    for e in events:  # in the order written (one file, line-buffered)
        if e["ev"] == "processed":
            seen.add((e["w"], e["p"], e["o"]))
        elif e["ev"] == "ack" and (e["w"], e["p"], e["o"]) not in seen:
            out.append(e)
    return out


async def body(run: h.Run, args, deadline: h.Deadline) -> int:
    result = await h.churn(run, args, deadline)
    around = [e for e in result.events if e["ev"] == "ack" and not e["flow"]]
    bad = acked_unprocessed(result.events)
    lost = h.lost_offsets(result.events, result.committed)
    lost_set = {(p, o) for p, v in lost.items() for o in v}
    for e in bad:
        fate = "LOST (committed, processed by no worker)" if (e["p"], e["o"]) in lost_set else "read again later"
        run.say(f"{e['w']} acknowledged {result.topic}[{e['p']}]@{e['o']} unprocessed (generation {e['app_gen']}, "
                f"flow {'on' if e['flow'] else 'stopped'}): {fate}")
    for p, offsets in sorted(lost.items()):
        run.say(f"{result.topic}[{p}]: committed {result.committed[p]}, never processed: {h.ranges(offsets)}")
    n_lost = sum(1 for e in bad if (e["p"], e["o"]) in lost_set)
    thrown = {(p, o) for e in result.events if e["ev"] == "queue_cleared" and e["kind"] == "input"
              and e["by"] == "resume" for p, o in e["items"]}
    n_thrown = len(lost_set & thrown)
    rebalances = len({(e["w"], e["app_gen"]) for e in bad})
    figures = (f"{len(bad)} unprocessed records acknowledged and counted as done around a rebalance "
               f"(in {rebalances} worker-rebalances; {len(around)} acknowledgements with the flow stopped in all), "
               f"{n_lost} of them lost; {result.cycles} join/leave cycles; lost in all: "
               f"{sum(len(v) for v in lost.values())} of {result.sent} records ({n_thrown} of them thrown away by "
               f"FlowControlEvent.resume after being handed out: fault 1, see stale_batch_gap); read to the end: "
               f"{'yes' if result.drained else 'NO'}")
    return h.finish(len(bad) > 0, figures)


def main(argv=None) -> int:
    p = h.parser(__doc__, attempts=6, timeout=170)
    h.churn_options(p, rate=15, delay=0.04, buffer=4, leave="term")
    return h.main_with(body, p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
