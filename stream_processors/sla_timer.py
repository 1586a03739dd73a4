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

    def retry(self, case_ids, now: float) -> None:
        """Asks that could not be sent: due again at the next tick."""
        for case_id in case_ids:
            heapq.heappush(self.heap, (now, case_id))


class CaughtUp:
    """Role `sla` alone: whether the alarm follower has read its partitions of the changelog to their end (the
    timer asks for nothing before: an entry read early may be superseded by a later one)."""

    def __init__(self) -> None:
        self.last: dict = {}  # tp -> last offset read
        self.assigned: set = set()

    def read(self, tp, offset: int) -> None:
        self.last[tp] = offset

    def reset(self, tps) -> None:
        for tp in tps:
            self.last.pop(tp, None)

    def done(self, consumer) -> bool:
        for tp in consumer.assignment():
            end = consumer.highwater(tp)
            if end is None or end > self.last.get(tp, -1) + 1:
                return False
        return True


class SlaTimer:
    """Every tick, asks the case agent (on the commands topic) to look at each case whose alarm is due.

    `partition_topic`: the topic whose assigned partitions are this worker's own (the commands topic where the
    case agent runs, the deadline index's changelog for role `sla` alone); `ready()`: whether the index is
    complete for them (no table recovery running; for role `sla` alone, the changelog read to its end)."""

    def __init__(self, app, index: AlarmIndex, commands_topic, partition_topic: str, partitions: int,
                 tick_s: float, follower: CaughtUp | None = None) -> None:
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
            if self.follower is not None:  # read from the start again: nothing of the follower's is committed
                mine = {tp for tp in assigned if tp.topic == self.partition_topic}
                self.follower.reset(mine - self.follower.assigned)  # newly assigned: read from the start
                self.follower.assigned = mine
                self.index.keep_only({tp.partition for tp in mine}, self._partition_count(self.partition_topic))

        @app.on_rebalance_complete.connect
        async def _tables_recovered(sender, **kwargs) -> None:
            """Recovery of the partitions taken over is over: their alarms are in the table now. (A tick
            between the assignment and the start of recovery may have rebuilt the heap without them.)"""
            self.index.stale = True

        @app.timer(interval=self.tick_s)
        async def sla_timer() -> None:
            await self.tick()

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
                index.retry(unsent, now)
                return
            unsent.pop(0)
