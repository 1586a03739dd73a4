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
from domain.sla import alarms
from producers.kafka import encode
from stream_processors.app import alarms_table, app, commands_topic, jurisdiction, settings

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


def index_next_alarm(case: Case) -> None:
    """Called by the case agent after each change of a case: its next alarm, in the index and the heap."""
    global _open_clocks
    upcoming = alarms(case, jurisdiction)
    previous = alarms_table.get(case.case_id)
    if upcoming:
        at = upcoming[0].at.timestamp()
        if previous != at:
            _open_clocks += previous is None
            alarms_table[case.case_id] = at
            heapq.heappush(_alarm_heap, (at, case.case_id))
    elif previous is not None:
        _open_clocks -= 1
        del alarms_table[case.case_id]


def _partition_count(topic: str) -> int:
    """The topic's partitions as the cluster has them (a topic made before a change of ADUAN_PARTITIONS
    keeps its count; bootstrap only warns), else the setting."""
    try:
        found = app.consumer._thread._ensure_consumer().partitions_for_topic(topic)
    except Exception:  # noqa: BLE001 - no metadata yet
        found = None
    if found and len(found) != settings.partitions:
        log.warning("%s has %d partitions, ADUAN_PARTITIONS says %d: using %d", topic, len(found),
                    settings.partitions, len(found))
    return len(found) if found else settings.partitions


def open_clocks() -> int:
    """Cases of this worker's own partitions with a pending alarm."""
    return _open_clocks


# This worker's alarms, earliest first, rebuilt from the deadline index whenever partitions move; stale
# entries (the index says later, or nothing) are dropped when they come up.
_alarm_heap: list[tuple[float, str]] = []
_heap_stale = True
_open_clocks = 0


@app.on_partitions_assigned.connect
async def _partitions_moved(sender, assigned, **kwargs) -> None:
    global _heap_stale
    _heap_stale = True


@app.on_rebalance_complete.connect
async def _tables_recovered(sender, **kwargs) -> None:
    """Recovery of the partitions taken over is over: their alarms are in the table now. (A tick between
    the assignment and the start of recovery may have rebuilt the heap without them.)"""
    global _heap_stale
    _heap_stale = True


@app.timer(interval=settings.sla_tick_s)
async def sla_timer() -> None:
    global _alarm_heap, _heap_stale, _open_clocks
    if app.tables.recovery.in_recovery:
        # Partitions taken over are still being read from their changelogs: rebuild once that is done.
        # (A rebuild between the assignment and the start of recovery would miss their alarms for good.)
        _heap_stale = True
    elif _heap_stale:
        topic = settings.topics.commands  # co-partitioned with the submissions and the tables
        partitions = _partition_count(topic)
        own = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic}
        _alarm_heap = [(at, case_id) for case_id, at in alarms_table.items()
                       if at is not None and partition_of(case_id, partitions) in own]
        heapq.heapify(_alarm_heap)
        _open_clocks = len(_alarm_heap)
        _heap_stale = False
    now = time.time()
    due: set[str] = set()
    while _alarm_heap and _alarm_heap[0][0] <= now:
        at, case_id = heapq.heappop(_alarm_heap)
        current = alarms_table.get(case_id)
        if current is not None and current <= now:
            due.add(case_id)
    unsent = sorted(due)
    while unsent:
        try:
            ask = {"type": "sla.due", "case_id": unsent[0], "at": now}
            await commands_topic.send(key=unsent[0].encode(), value=encode(ask))
        except Exception as exc:  # noqa: BLE001 - Kafka away: keep them for the next tick, keep ticking
            log.warning("could not ask for %d due SLA checks, again next tick: %r", len(unsent), exc)
            for case_id in unsent:
                heapq.heappush(_alarm_heap, (now, case_id))
            return
        unsent.pop(0)
