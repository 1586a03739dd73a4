"""The SLA timer: finds the cases whose next alarm is due and asks the case agent to look at them.

It changes no state (DESIGN.md rule 5): a late, repeated or stale ask is harmless, because the case agent
decides on the case itself and records each alarm once. The deadline index (the `alarms` table) says when
each case's next alarm is due; this worker keeps its own cases' entries in a heap, rebuilt from the table
whenever partitions move. "Its own": the table also holds the standby copies of other workers' partitions
(faust keeps them warm for a fast takeover); their alarms are those workers' to ask for, and counting them
would count every open clock twice across the workers.
"""

from __future__ import annotations

import heapq
import json
import logging
import time
from typing import Literal

from kafka.partitioner.default import murmur2
from pydantic import BaseModel

from domain.case import Case
from domain.jurisdiction import Jurisdiction
from domain.sla import next_alarm
from producers.kafka import encode

log = logging.getLogger(__name__)


class SlaDue(BaseModel):
    """The SLA timer's message to the case agent: look at this case's clocks now."""

    type: Literal["sla.due"]
    case_id: str
    at: float  # when the timer asked (epoch seconds): the moment the case agent decides for


def partition_of(case_id: str, partitions: int) -> int:
    """The partition of a case's messages, as Kafka's default partitioner puts them (murmur2 of the key; the
    API, the SLA timer and kafka-python all key by case id), and so of its table entries: faust writes them
    to the partition of the message being processed."""
    return (murmur2(case_id.encode()) & 0x7FFFFFFF) % partitions


class AlarmIndex:
    """The deadline index of one worker: the `alarms` table (case id -> when its next alarm is due, epoch
    seconds) and a heap of this worker's own entries, earliest first, rebuilt from the table whenever
    partitions move; stale heap entries (the table says later, or nothing) are dropped when they come up.

    `table` is a mapping: faust's table in the worker, a dict in the unit tests. The case agent writes it
    (`index_next_alarm`) with the case's message as faust's current event, so an entry goes to the case's
    partition."""

    def __init__(self, table, jurisdiction: Jurisdiction, keep_heap: bool = True) -> None:
        self.table, self.jurisdiction = table, jurisdiction
        self.keep_heap = keep_heap  # False where no SLA timer runs (an sla worker of its own asks): table only
        self.heap: list[tuple[float, str]] = []
        self.stale = True
        self.open_clocks = 0  # cases of this worker's own partitions with a pending alarm

    def index_next_alarm(self, case: Case) -> None:
        """Called by the case agent after each change of a case: its next alarm, in the table and the heap."""
        upcoming = next_alarm(case, self.jurisdiction)
        self._put(case.case_id, upcoming.at.timestamp() if upcoming is not None else None)

    def rebuild(self, own_partitions: set[int], partitions: int) -> None:
        """The heap from the table's entries of `own_partitions` (not the standby copies of others')."""
        self.heap = [(at, case_id) for case_id, at in self.table.items()
                     if at is not None and partition_of(case_id, partitions) in own_partitions]
        heapq.heapify(self.heap)
        self.open_clocks = len(self.heap)
        self.stale = False

    def due(self, now: float) -> list[str]:
        """The cases whose alarm is due at `now`, taken off the heap (sorted, each once)."""
        found: set[str] = set()
        while self.heap and self.heap[0][0] <= now:
            _, case_id = heapq.heappop(self.heap)
            current = self.table.get(case_id)
            if current is not None and current <= now:
                found.add(case_id)
        return sorted(found)

    def follow(self, case_id: str, at: float | None) -> None:
        """Role `sla` alone: an entry of the table as read from its changelog (None: the entry was removed)."""
        self._put(case_id, at)

    def load(self, entries) -> int:
        """Role `sla` alone: entries (case id, due time) of a partition taken on, straight into the table (the
        heap is rebuilt from it once the follower has caught up). Returns how many."""
        before = len(self.table)
        self.table.update(entries)
        self.open_clocks += len(self.table) - before
        self.stale = True
        return len(self.table) - before

    def _put(self, case_id: str, at: float | None) -> None:
        """The case's next alarm is due at `at` (None: it has none): table, heap and count brought to it."""
        previous = self.table.get(case_id)
        if at is None:
            if previous is not None:
                del self.table[case_id]
                self.open_clocks -= 1
        elif previous != at:
            self.open_clocks += previous is None
            self.table[case_id] = at
            if self.keep_heap:
                heapq.heappush(self.heap, (at, case_id))

    def keep_only(self, own_partitions: set[int], partitions: int) -> None:
        """Role `sla` alone: forget the entries of partitions this worker no longer reads."""
        for case_id in [c for c in self.table if partition_of(c, partitions) not in own_partitions]:
            del self.table[case_id]
        self.stale = True

    def retry(self, case_ids, at: float) -> None:
        """Asks that could not be sent: due again at `at`."""
        for case_id in case_ids:
            heapq.heappush(self.heap, (at, case_id))


class AlarmFollower:
    """Role `sla` alone: reads the deadline index's changelog into the index (`follow`) and says whether it has
    read its partitions to their end (`done`: the timer asks for nothing before, since an entry read early may
    be superseded by a later one).

    What it reads is also kept on disk (`AlarmStore`) with the offset read up to, per partition: a partition
    assigned to it (at start, or taken over from another sla worker) is loaded from there and read on from the
    next offset, so a restart reads the changelog's tail, not all of it. Nothing is committed to Kafka: the copy
    on disk is the only record of how far it read."""

    def __init__(self, index: AlarmIndex, store, topic: str) -> None:
        self.index, self.store, self.topic = index, store, topic
        self.last: dict = {}  # tp -> offset of the last record read; only for partitions resumed from the copy
        self.assigned: set = set()

    async def on_assigned(self, consumer, assigned, partitions: int) -> None:
        mine = {tp for tp in assigned if tp.topic == self.topic}
        gone, new = self.assigned - mine, mine - self.assigned
        self.assigned = mine
        for tp in gone | new:
            self.last.pop(tp, None)  # records of a new partition handed out before it is resumed: skipped
        if gone:
            self.index.keep_only({tp.partition for tp in mine}, partitions)
        if not new:
            return
        try:
            ends = await consumer.highwaters(*new)
        except Exception as exc:  # noqa: BLE001 - the copy is trusted as it is
            log.warning("could not read where the deadline changelog ends: %r", exc)
            ends = {}
        started = time.monotonic()
        for tp in sorted(new):
            start = self.store.resume(tp.partition, ends.get(tp))
            loaded = self.index.load(self.store.entries(tp.partition))
            await consumer.seek_wait({tp: start})
            self.last[tp] = start - 1
            log.info("deadline changelog %s[%d]: %d alarms from the copy on disk, reading on from offset %d "
                     "(ends at %s)", tp.topic, tp.partition, loaded, start, ends.get(tp))
        log.info("deadline index copy loaded in %.2f s", time.monotonic() - started)

    def follow(self, records) -> None:
        """`records`: (tp, offset, key, value) of the changelog, in the order read."""
        changes, read_up_to = [], {}
        for tp, offset, key, value in records:
            last = self.last.get(tp)
            if last is None or offset <= last:
                continue  # not (yet) resumed, or read before
            self.last[tp] = read_up_to[tp.partition] = offset
            try:
                case_id = json.loads(key)
                at = json.loads(value) if value is not None else None
                if not isinstance(case_id, str) or not (at is None or isinstance(at, int | float)):
                    raise TypeError(type(at).__name__)
            except (TypeError, ValueError):
                log.warning("a record of %s at offset %s is not a deadline entry", tp.topic, offset)
                continue
            self.index.follow(case_id, at)
            changes.append((tp.partition, case_id, at))
        if read_up_to:
            self.store.write(changes, read_up_to)

    def done(self, consumer) -> bool:
        for tp in self.assigned:
            end, last = consumer.highwater(tp), self.last.get(tp)
            if end is None or last is None or end > last + 1:
                return False
        return True


class SlaTimer:
    """Asks the case agent (on the commands topic) to look at each case whose alarm is due, when it falls due
    (waking for the first alarm of the heap, and at least every `tick_s`).

    `partition_topic`: the topic whose assigned partitions are this worker's own (the commands topic where the
    case agent runs, the deadline index's changelog for role `sla` alone); `ready()`: whether the index is
    complete for them (no table recovery running; for role `sla` alone, the changelog read to its end)."""

    def __init__(self, app, index: AlarmIndex, commands_topic, partition_topic: str, partitions: int,
                 tick_s: float, follower: AlarmFollower | None = None) -> None:
        self.app, self.index, self.commands_topic = app, index, commands_topic
        self.partition_topic, self.partitions, self.tick_s = partition_topic, partitions, tick_s
        self.follower = follower

    def ready(self) -> bool:
        if self.follower is not None:
            return self.follower.done(self.app.consumer)
        return not self.app.tables.recovery.in_recovery

    def register(self) -> None:
        app = self.app

        @app.on_partitions_assigned.connect
        async def _partitions_moved(sender, assigned, **kwargs) -> None:
            self.index.stale = True
            if self.follower is not None:
                await self.follower.on_assigned(app.consumer, assigned, self._partition_count(self.partition_topic))

        @app.on_rebalance_complete.connect
        async def _tables_recovered(sender, **kwargs) -> None:
            """Recovery of the partitions taken over is over: their alarms are in the table now. (A tick
            between the assignment and the start of recovery may have rebuilt the heap without them.)"""
            self.index.stale = True

        @app.task
        async def sla_timer() -> None:
            while not app.should_stop:
                await self.tick()
                await app.sleep(self.pause(time.time()))

    def pause(self, now: float) -> float:
        """Until the next tick: the first alarm of the heap's, if it is due before `tick_s` has passed (so an
        alarm is asked for when it falls due, not up to a tick later; one put in the heap meanwhile that falls
        due sooner waits at most a tick)."""
        heap = self.index.heap
        if heap and not self.index.stale:
            return min(self.tick_s, max(heap[0][0] - now, 0.005))
        return self.tick_s

    def _partition_count(self, topic: str) -> int:
        """The topic's partitions as the cluster has them (a topic made before a change of ADUAN_PARTITIONS
        keeps its count; bootstrap only warns), else the setting."""
        try:
            found = self.app.consumer.topic_partitions(topic)
        except Exception:  # noqa: BLE001 - no metadata yet
            found = None
        if found is not None and not isinstance(found, int):
            found = len(found)
        if found and found != self.partitions:
            log.warning("%s has %d partitions, ADUAN_PARTITIONS says %d: using %d", topic, found,
                        self.partitions, found)
            self.partitions = found
        return self.partitions

    async def tick(self) -> None:
        app, index = self.app, self.index
        if not self.ready():
            if self.follower is not None:
                return  # the follower keeps the heap itself; nothing is asked for before it has read to the end
            # Partitions taken over are still being read from their changelogs: rebuild once that is done.
            # (A rebuild between the assignment and the start of recovery would miss their alarms for good.)
            index.stale = True
        elif index.stale:
            topic = self.partition_topic  # co-partitioned with the submissions and the tables
            partitions = self._partition_count(topic)
            own = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic}
            index.rebuild(own, partitions)
        now = time.time()
        unsent = index.due(now)
        while unsent:
            try:
                ask = {"type": "sla.due", "case_id": unsent[0], "at": now}
                await self.commands_topic.send(key=unsent[0].encode(), value=encode(ask))
            except Exception as exc:  # noqa: BLE001 - Kafka away: keep them for the next tick, keep ticking
                log.warning("could not ask for %d due SLA checks, again next tick: %r", len(unsent), exc)
                index.retry(unsent, now + self.tick_s)
                return
            unsent.pop(0)
