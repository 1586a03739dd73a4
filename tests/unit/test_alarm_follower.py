"""The sla worker's follower of the deadline index's changelog and its copy on disk (a real RocksDB in a
temporary folder; the Kafka consumer is a stand-in that records seeks): a follower started again on the same
copy has every entry back and reads on after the last offset it read, never from the start."""

from __future__ import annotations

import asyncio
import json

from faust.types import TP

from config.jurisdiction_file import load_jurisdiction
from config.settings import DEFAULT_JURISDICTION
from stream_processors.alarm_store import AlarmStore
from stream_processors.sla_timer import AlarmFollower, AlarmIndex, SlaTimer, partition_of

J = load_jurisdiction(DEFAULT_JURISDICTION)
TOPIC = "aduan-alarms-changelog"
P0, P1 = TP(TOPIC, 0), TP(TOPIC, 1)


class Consumer:
    """Where the changelog partitions end, and where the follower sought."""

    def __init__(self, ends: dict) -> None:
        self.ends, self.sought = ends, {}

    async def highwaters(self, *tps):
        return {tp: self.ends[tp] for tp in tps}

    async def seek_wait(self, partitions):
        self.sought.update(partitions)

    def highwater(self, tp):
        return self.ends.get(tp)


def record(tp, offset, case_id, at):
    return tp, offset, json.dumps(case_id).encode(), None if at is None else json.dumps(at).encode()


def started(store, consumer, tps=(P0, P1)):
    index = AlarmIndex({}, J)
    follower = AlarmFollower(index, store, TOPIC)
    asyncio.run(follower.on_assigned(consumer, set(tps), 2))
    return index, follower


def test_a_follower_started_again_has_every_entry_and_reads_on_after_the_last_offset(tmp_path):
    store = AlarmStore(tmp_path / "alarms")
    consumer = Consumer({P0: 0, P1: 0})
    index, follower = started(store, consumer)
    assert consumer.sought == {P0: 0, P1: 0}  # nothing kept yet: from the start
    follower.follow([record(P0, 0, "a", 100.0), record(P1, 0, "b", 200.0), record(P0, 1, "c", 300.0)])
    follower.follow([record(P0, 2, "a", 150.0), record(P1, 1, "b", None), record(P0, 3, "d", 400.0)])
    assert index.table == {"a": 150.0, "c": 300.0, "d": 400.0} and index.open_clocks == 3
    store.db.close()

    store = AlarmStore(tmp_path / "alarms")  # the process is gone: only the copy on disk is left
    consumer = Consumer({P0: 6, P1: 2})  # two records arrived meanwhile in partition 0
    index, follower = started(store, consumer)
    assert consumer.sought == {P0: 4, P1: 2}
    assert index.table == {"a": 150.0, "c": 300.0, "d": 400.0} and index.open_clocks == 3
    assert not follower.done(consumer)  # partition 0 has two records to read
    follower.follow([record(P0, 3, "d", 999.0)])  # read before: skipped
    follower.follow([record(P0, 4, "c", None), record(P0, 5, "e", 500.0)])
    assert follower.done(consumer)
    assert index.table == {"a": 150.0, "d": 400.0, "e": 500.0}


def test_records_of_a_partition_not_yet_resumed_are_not_taken(tmp_path):
    store = AlarmStore(tmp_path / "alarms")
    store.write([(0, "a", 100.0)], {0: 7})
    index = AlarmIndex({}, J)
    follower = AlarmFollower(index, store, TOPIC)
    follower.assigned = {P0}  # assigned, the seek not made yet: a fetch from offset 0 hands out old records
    follower.follow([record(P0, 0, "old", 1.0)])
    assert index.table == {} and store.offset(0) == 7


def test_a_changelog_that_ends_before_the_copy_is_read_again_from_the_start(tmp_path):
    store = AlarmStore(tmp_path / "alarms")
    store.write([(0, "a", 100.0), (1, "b", 200.0)], {0: 41, 1: 9})
    consumer = Consumer({P0: 3, P1: 10})  # partition 0 made again under the same name
    index, follower = started(store, consumer)
    assert consumer.sought == {P0: 0, P1: 10}
    assert index.table == {"b": 200.0}
    assert list(store.entries(0)) == [] and store.offset(0) is None


def test_a_partition_given_up_leaves_the_index_and_stays_on_disk(tmp_path):
    store = AlarmStore(tmp_path / "alarms")
    consumer = Consumer({P0: 0, P1: 0})
    index, follower = started(store, consumer)
    # each case's entry in the partition Kafka's partitioner gives it, as the case agent writes them
    assert (partition_of("ADU-1", 2), partition_of("ADU-2", 2)) == (0, 1)
    follower.follow([record(P0, 0, "ADU-1", 100.0), record(P1, 0, "ADU-2", 200.0)])
    asyncio.run(follower.on_assigned(consumer, {P0}, 2))
    assert index.table == {"ADU-1": 100.0}
    assert follower.done(Consumer({P0: 1}))  # the partition given up is no longer waited for
    assert list(store.entries(1)) == [("ADU-2", 200.0)] and store.offset(1) == 0


def test_malformed_records_are_skipped_and_their_offset_counts_as_read(tmp_path):
    store = AlarmStore(tmp_path / "alarms")
    index, follower = started(store, Consumer({P0: 0, P1: 0}), tps=(P0,))
    follower.follow([(P0, 0, b"not json", b"1"), (P0, 1, b'"a"', b'"soon"'), record(P0, 2, "b", 5.0)])
    assert index.table == {"b": 5.0} and store.offset(0) == 2


class Timer(SlaTimer):
    def __init__(self, index, tick_s):
        self.index, self.tick_s = index, tick_s


def test_the_timer_wakes_when_the_first_alarm_falls_due_and_at_least_every_tick():
    index = AlarmIndex({}, J)
    index.stale = False
    timer = Timer(index, 1.0)
    assert timer.pause(1000.0) == 1.0  # nothing to wait for
    index.follow("a", 1000.25)
    assert timer.pause(1000.0) == 0.25
    index.follow("b", 5000.0)
    index.due(1000.3)  # "a" asked for
    assert timer.pause(1000.3) == 1.0
    index.stale = True  # the heap is to be rebuilt: its first entry says nothing
    index.follow("c", 1000.4)
    assert timer.pause(1000.3) == 1.0
