"""One plain faust worker for the fault reproductions (no Aduan code, no consumer guard).

Started by the scripts as `python -m tests.faust_faults._worker --app-id ... --input ...`. Its agent reads the
input topic and writes one JSON line per record it processes to the events file; with --table it also writes
each record into a table, so the worker has a changelog to recover after each rebalance.

The worker changes nothing in faust. It only watches (wrappers that log and then call faust's own method):
- `Consumer._add_gap`: faust took an offset jump for a gap and will commit the offsets in it as done;
- `Consumer._acked` (made a dict whose lists log `append`): every input record faust counts as acknowledged
  and safe to commit, with the flow state and generation at that moment (Cython or not);
- `Consumer.perform_seek` / `Consumer.seek`: where the input partitions were sought to;
- with --diagnose, where each changelog partition's records went: returned by the Kafka client
  (`Consumer._getmany`), handed out by `Consumer.getmany`, passed to the conductor (`Conductor.on_message`),
  and the changelog partitions' share of what `FlowControlEvent.clear` threw away;
- `FlowControlEvent.clear` (called by the revocation and by every `FlowControlEvent.resume`): the records it
  threw away from the agents' and the changelog queue;
- every --status-every seconds a status line: generation, rebalancing, recovery, flow, the assignment and
  faust's active/paused/buffered partition sets, read offsets, and the Kafka client's position, highwater and
  undrained records per partition.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import defaultdict

import faust
from faust.transport.consumer import Consumer, ThreadDelegateConsumer
from mode.utils.queues import FlowControlEvent


class Events:
    """Append-only JSON lines, flushed at once (the worker may be SIGKILLed)."""

    def __init__(self, path: str, name: str) -> None:
        self._file = open(path, "a", buffering=1)  # noqa: SIM115 - open for the life of the process
        self._name = name

    def emit(self, ev: str, **fields) -> None:
        fields.update(ev=ev, w=self._name, t=round(time.time(), 3))
        self._file.write(json.dumps(fields, default=str) + "\n")


def tp_key(tp) -> str:
    return f"{tp.topic}[{tp.partition}]"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--name", required=True)
    p.add_argument("--app-id", required=True)
    p.add_argument("--broker", default="127.0.0.1:9092")
    p.add_argument("--input", required=True)
    p.add_argument("--partitions", type=int, default=4)
    p.add_argument("--events", required=True, help="JSON lines file to append to")
    p.add_argument("--datadir", required=True)
    p.add_argument("--logfile", required=True)
    p.add_argument("--table", action="store_true", help="write each record into a table (changelog, recovery)")
    p.add_argument("--tables", type=int, default=1, help="with --table: how many tables (default %(default)s)")
    p.add_argument("--standby-replicas", type=int, default=1)
    p.add_argument("--process-delay", type=float, default=0.0, help="seconds per record in the agent")
    p.add_argument("--buffer-maxsize", type=int, default=4096, help="faust stream_buffer_maxsize")
    p.add_argument("--max-poll-records", type=int, default=None)
    p.add_argument("--session-timeout", type=float, default=10.0)
    p.add_argument("--heartbeat", type=float, default=1.0)
    p.add_argument("--commit-interval", type=float, default=1.0)
    p.add_argument("--status-every", type=float, default=1.0)
    p.add_argument("--diagnose", action="store_true")
    p.add_argument("--widen-recovery-window", type=float, default=0.0,
                   help="sleep this long after recovery seeks the active changelog partitions, before it resumes "
                        "them (what a busy event loop does): widens the window of the recovery stall")
    p.add_argument("--fix-stall", action="store_true",
                   help="use tests.faust_faults.fixes.RewindingConsumer (the proposed fix of the recovery stall)")
    return p.parse_args(argv)


def build_app(args: argparse.Namespace, events: Events) -> faust.App:
    app = faust.App(
        args.app_id,
        broker=f"kafka://{args.broker}",
        store="memory://",
        autodiscover=False,
        web_enabled=False,
        topic_partitions=args.partitions,
        topic_replication_factor=1,
        topic_allow_declare=True,
        datadir=args.datadir,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=args.session_timeout,
        broker_heartbeat_interval=args.heartbeat,
        broker_commit_interval=args.commit_interval,
        broker_max_poll_records=args.max_poll_records,
        stream_buffer_maxsize=args.buffer_maxsize,
        table_standby_replicas=args.standby_replicas,
    )
    source = app.topic(args.input, partitions=args.partitions, key_serializer="raw", value_serializer="raw")
    tables = [app.Table(f"state{i}" if i else "state", default=None, partitions=args.partitions)
              for i in range(args.tables if args.table else 0)]

    @app.agent(source)
    async def consume(stream):
        async for event in stream.events():
            m = event.message
            events.emit("processed", p=m.partition, o=m.offset, gen=m.generation_id)
            for table in tables:
                table[f"{m.partition}:{(m.key or b'').decode()}"] = m.offset
            if args.process_delay:
                await asyncio.sleep(args.process_delay)

    @app.timer(interval=args.status_every)
    async def status() -> None:
        try:
            events.emit("status", **snapshot(app, args))
        except Exception as exc:  # a faust timer that raises is never run again
            events.emit("status_error", error=repr(exc))

    return app


def snapshot(app: faust.App, args: argparse.Namespace) -> dict:
    consumer = app.consumer
    recovery = app.tables.recovery
    try:
        assignment = consumer.assignment()
    except Exception:  # consumer not started yet
        assignment = set()
    aio = getattr(consumer._thread, "_consumer", None)
    state = aio._fetcher._subscriptions.subscription.assignment if aio is not None else None
    records = aio._fetcher._records if aio is not None else {}
    parts = {}
    for tp in sorted(assignment):
        position = highwater = None
        if state is not None and state.active:
            try:
                st = state.state_value(tp)
                position = st.position if st.has_valid_position else None
                highwater = st.highwater
            except Exception:  # noqa: BLE001 - moved meanwhile
                pass
        parts[tp_key(tp)] = {
            "active": tp in (consumer._active_partitions or ()),
            "paused": tp in consumer._paused_partitions,
            "buffered": tp in consumer._buffered_partitions,
            "read": consumer._read_offset.get(tp),
            "committed": consumer._committed_offset.get(tp),
            "position": position,
            "highwater": highwater,
            "undrained": tp in records,
        }
    remaining = {tp_key(tp): n for tp, n in recovery.active_remaining().items() if n}
    queued = sum(chan.queue.qsize() for chan in app.topics if args.input in getattr(chan, "topics", ()))
    out = {
        "gen": app.consumer_generation_id,
        "rebalancing": app.rebalancing,
        "in_recovery": recovery.in_recovery,
        "flow": app.flow_control.is_active(),
        "consumer_flow": consumer.flow_active,
        "remaining": remaining,
        "input_queue": queued,
        "parts": parts,
    }
    if args.diagnose:
        out["diag"] = {k: dict(v) for k, v in DIAG.items()}
        out["active_offsets"] = {tp_key(tp): o for tp, o in recovery.active_offsets.items()}
        out["changelog_q"] = app.tables.changelog_queue.qsize()
    return out


DIAG: dict = defaultdict(dict)  # what -> tp -> (count, max offset)


def _count(what: str, key: str, offset: int) -> None:
    n, top = DIAG[what].get(key, (0, -1))
    DIAG[what][key] = (n + 1, max(top, offset))


def install_observers(app: faust.App, args: argparse.Namespace, events: Events) -> None:
    """Wrappers that log and call faust's own method: faust's behaviour is unchanged."""
    input_topic = args.input
    add_gap, perform_seek, seek = Consumer._add_gap, Consumer.perform_seek, Consumer.seek

    async def watched_add_gap(self, tp, offset_from, offset_to):
        if tp.topic == input_topic:
            events.emit("gap", p=tp.partition, frm=offset_from, to=offset_to,
                        committed=self._committed_offset.get(tp), gen=self.app.consumer_generation_id)
        await add_gap(self, tp, offset_from, offset_to)

    class WatchedAcks(list):
        """`Consumer._acked[tp]`: the offsets faust counts as processed and safe to commit. Both ack paths
        append here: `Consumer.ack` and, with faust's Cython speedups (installed here), `StreamIterator.after`
        in faust/_cython/streams.pyx, which inlines `Consumer.ack` and so never calls it; gaps are `extend`ed
        in by `Consumer._new_offset` and are not acknowledgements."""

        tp = None

        def append(self, offset) -> None:
            if self.tp is not None and self.tp.topic == input_topic:
                events.emit("ack", p=self.tp.partition, o=offset, flow=app.flow_control.is_active(),
                            app_gen=app.consumer_generation_id)
            super().append(offset)

    class WatchedAcked(dict):
        def __missing__(self, tp):
            acks = self[tp] = WatchedAcks()
            acks.tp = tp
            return acks

    init = Consumer.__init__

    def watched_init(self, *a, **kw):
        init(self, *a, **kw)
        self._acked = WatchedAcked()


    async def watched_perform_seek(self):
        await perform_seek(self)
        events.emit("perform_seek", gen=self.app.consumer_generation_id,
                    read={tp_key(tp): o for tp, o in self._read_offset.items() if tp.topic == input_topic})

    async def watched_seek(self, partition, offset):
        await seek(self, partition, offset)
        events.emit("seek", tp=tp_key(partition), o=offset)

    Consumer._add_gap = watched_add_gap
    Consumer.__init__ = watched_init
    Consumer.perform_seek = watched_perform_seek
    Consumer.seek = watched_seek

    clear = FlowControlEvent.clear

    def watched_clear(self):
        # Every queue made with clear_on_resume (the agents' input queues, the changelog queue) is emptied here:
        # by the revocation (flow suspended) and by every FlowControlEvent.resume (flow active). Record what
        # is thrown away.
        cleared = defaultdict(list)
        for queue in list(self._queues):
            for item in list(getattr(queue, "_queue", ())):
                message = getattr(item, "message", None)
                if message is not None:
                    cleared[message.topic].append((message.partition, message.offset))
        for topic, items in cleared.items():
            events.emit("queue_cleared", kind="input" if topic == input_topic else "changelog", topic=topic,
                        items=items, by="resume" if self.is_active() else "revocation",
                        gen=app.consumer_generation_id)
            for p_, o_ in items:
                _count("cleared", f"{topic}[{p_}]", o_)
        clear(self)

    FlowControlEvent.clear = watched_clear

    if not args.diagnose:
        return
    getmany_raw, getmany = ThreadDelegateConsumer._getmany, Consumer.getmany

    async def watched_getmany_raw(self, active_partitions, timeout):
        records = await getmany_raw(self, active_partitions, timeout)
        for tp, recs in (records or {}).items():
            for r in recs:
                _count("fetched", tp_key(tp), r.offset)
        return records

    async def watched_getmany(self, timeout):
        async for tp, message in getmany(self, timeout):
            _count("handed", tp_key(tp), message.offset)
            yield tp, message

    ThreadDelegateConsumer._getmany = watched_getmany_raw
    Consumer.getmany = watched_getmany

    on_message = app.topics.on_message

    async def watched_on_message(message):
        _count("delivered", tp_key(message.tp), message.offset)
        return await on_message(message)

    app.topics.on_message = watched_on_message

def widen(seconds: float) -> None:
    """Recovery seeks the active changelog partitions, then resumes them and the flow in the same step; a busy
    event loop can leave time between the two. Sleep there, so a fetch that spans the rebalance has the time to
    come back (fault 4's window); faust's behaviour is otherwise unchanged."""
    from faust.tables.recovery import Recovery

    seek_offsets = Recovery._seek_offsets

    async def slow_seek_offsets(self, consumer, tps, offsets, title):
        await seek_offsets(self, consumer, tps, offsets, title)
        if title == "active":
            await asyncio.sleep(seconds)

    Recovery._seek_offsets = slow_seek_offsets


def main(argv=None) -> None:
    args = parse_args(argv)
    os.makedirs(args.datadir, exist_ok=True)
    events = Events(args.events, args.name)
    app = build_app(args, events)
    install_observers(app, args, events)
    if args.widen_recovery_window:
        widen(args.widen_recovery_window)
    if args.fix_stall:
        from tests.faust_faults import fixes

        fixes.install(app)
    events.emit("start", pid=os.getpid())
    worker = faust.Worker(app, loglevel="INFO", logfile=args.logfile, quiet=True)
    try:
        worker.execute_from_commandline()
    finally:
        events.emit("exit")


if __name__ == "__main__":
    sys.exit(main())
