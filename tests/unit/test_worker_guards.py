"""The worker's guards against faust-streaming faults, as pure rules: the consumer guard hands records of our
input partitions on in offset order from the last seek (a jump is read again, never committed over) and puts
back a partition missing from the fetch twice in a row; the watchdog calls a recovery that reads nothing
for its timeout a stall."""

from __future__ import annotations

import pytest
from faust.types import TP

from stream_processors.consumer_guard import Absences, ContiguousOffsets
from stream_processors.watchdog import PartitionProgress, RecoveryProgress

pytestmark = pytest.mark.unit

SUBMISSIONS = TP("complaints.submitted", 2)
CHANGELOG = TP("aduan-cases-changelog", 2)


def guard() -> ContiguousOffsets:
    return ContiguousOffsets(frozenset({"complaints.submitted"}), max_rewinds=3)


def test_records_in_order_from_the_seek_are_handed_on():
    g = guard()
    g.seeked(SUBMISSIONS, 10)
    assert [g.admit(SUBMISSIONS, offset) for offset in range(10, 15)] == [None] * 5
    assert g.expected[SUBMISSIONS] == 15


def test_a_jump_after_a_seek_is_read_again_from_the_first_missing_offset():
    # The takeover seen in the two-worker test: seek to the committed offset 10, then the rest of a stale
    # batch (43 onwards) arrives. faust committed 11..42 as a "gap"; the guard asks for 10 again.
    g = guard()
    g.seeked(SUBMISSIONS, 10)
    assert g.admit(SUBMISSIONS, 43) == 10
    assert g.admit(SUBMISSIONS, 44) == 10  # still missing: same answer
    g.seeked(SUBMISSIONS, 10)  # the seek back
    assert [g.admit(SUBMISSIONS, offset) for offset in range(10, 45)] == [None] * 35


def test_a_jump_in_the_middle_of_reading_is_caught_too():
    g = guard()
    g.seeked(SUBMISSIONS, 0)
    assert g.admit(SUBMISSIONS, 0) is None
    assert g.admit(SUBMISSIONS, 1) is None
    assert g.admit(SUBMISSIONS, 5) == 2


def test_records_already_handed_on_may_come_again():
    # After a seek back the same records are fetched again: agents are idempotent, faust drops repeats.
    g = guard()
    g.seeked(SUBMISSIONS, 20)
    assert g.admit(SUBMISSIONS, 20) is None
    g.seeked(SUBMISSIONS, 15)
    assert g.admit(SUBMISSIONS, 15) is None
    assert g.admit(SUBMISSIONS, 3) is None  # older still: taken as the new reading point, never a jump
    assert g.expected[SUBMISSIONS] == 4


def test_no_committed_offset_leaves_the_start_to_the_first_record():
    # Not 0: the last owner's commit may just not be visible yet, and 0 could mean the whole partition again.
    g = guard()
    g.seeked(SUBMISSIONS, None)
    assert g.admit(SUBMISSIONS, 7) is None
    assert g.admit(SUBMISSIONS, 9) == 8


def test_an_unknown_start_takes_the_first_record():
    g = guard()
    assert g.admit(SUBMISSIONS, 7) is None
    assert g.admit(SUBMISSIONS, 9) == 8


def test_records_really_gone_are_given_up_after_the_allowed_seeks(caplog):
    # Retention removed 10..49 before they were read: the log starts at 50 and every seek back lands there.
    g = guard()
    g.seeked(SUBMISSIONS, 10)
    assert [g.admit(SUBMISSIONS, 50) for _ in range(3)] == [10, 10, 10]
    assert g.admit(SUBMISSIONS, 50) is None
    assert "offsets 10..49" in caplog.text
    assert g.admit(SUBMISSIONS, 51) is None
    assert g.admit(SUBMISSIONS, 60) == 52  # a later jump is counted afresh


def test_compacted_and_other_topics_are_left_to_faust():
    g = guard()
    g.seeked(CHANGELOG, 10)
    assert g.admit(CHANGELOG, 43) is None
    assert CHANGELOG not in g.expected


def test_revoked_partitions_are_forgotten():
    g = guard()
    g.seeked(SUBMISSIONS, 10)
    g.forget([SUBMISSIONS])
    assert g.admit(SUBMISSIONS, 43) is None


def test_a_partition_missing_from_the_fetch_twice_in_a_row_is_put_back():
    absences = Absences(checks=2)
    other = TP("complaints.submitted", 0)
    assert absences.to_resume({SUBMISSIONS}) == set()  # once may be a pause in passing
    assert absences.to_resume({SUBMISSIONS, other}) == {SUBMISSIONS}
    assert absences.to_resume({other}) == {other}
    assert absences.to_resume(set()) == set()
    assert absences.to_resume({SUBMISSIONS}) == set()  # back, then missing again: counted afresh


# The watchdog's rule: a recovery that reads nothing for the timeout is a stall (the worker exits then).

def test_a_recovery_reading_on_is_never_a_stall():
    progress = RecoveryProgress(timeout_s=20)
    assert not any(progress.stalled(True, remaining, now) for now, remaining in enumerate(range(1000, 0, -10)))


def test_a_recovery_reading_nothing_for_the_timeout_is_a_stall():
    progress = RecoveryProgress(timeout_s=20)
    assert not progress.stalled(True, 500, now=100)
    assert not progress.stalled(True, 400, now=110)
    assert not progress.stalled(True, 400, now=129)
    assert progress.stalled(True, 400, now=130)


def test_the_clock_starts_again_with_each_recovery_and_never_runs_when_off():
    progress = RecoveryProgress(timeout_s=20)
    assert not progress.stalled(True, 400, now=0)
    assert not progress.stalled(False, 0, now=15)  # recovery over
    assert not progress.stalled(True, 400, now=30)  # a new one: counted from here
    assert not progress.stalled(True, 400, now=49)
    assert progress.stalled(True, 400, now=50)
    off = RecoveryProgress(timeout_s=0)
    assert not off.stalled(True, 400, now=0) and not off.stalled(True, 400, now=10_000)


def test_an_input_partition_with_records_waiting_and_not_read_for_the_timeout_is_a_stall():
    progress = PartitionProgress(timeout_s=20)
    assert progress.stalled({SUBMISSIONS: (10, 40)}, now=0) == {}
    assert progress.stalled({SUBMISSIONS: (10, 41)}, now=19) == {}
    assert progress.stalled({SUBMISSIONS: (10, 41)}, now=20) == {SUBMISSIONS: (10, 41)}


def test_a_partition_read_on_or_with_nothing_waiting_is_no_stall():
    progress = PartitionProgress(timeout_s=20)
    other = TP("complaints.submitted", 0)
    for now in range(0, 100, 5):
        # SUBMISSIONS moves on (slowly); `other` has nothing waiting; a third is not known yet
        stuck = progress.stalled({SUBMISSIONS: (now, 1000), other: (50, 50), CHANGELOG: (None, 9)}, now=now)
        assert stuck == {}
    assert PartitionProgress(timeout_s=0).stalled({SUBMISSIONS: (10, 40)}, now=10_000) == {}


def test_a_partition_that_moves_again_starts_its_clock_again():
    progress = PartitionProgress(timeout_s=20)
    progress.stalled({SUBMISSIONS: (10, 40)}, now=0)
    progress.stalled({SUBMISSIONS: (11, 40)}, now=15)
    assert progress.stalled({SUBMISSIONS: (11, 40)}, now=30) == {}
    assert progress.stalled({SUBMISSIONS: (11, 40)}, now=35) == {SUBMISSIONS: (11, 40)}
    assert progress.stalled({}, now=36) == {}  # a rebalance: forgotten
    assert progress.stalled({SUBMISSIONS: (11, 40)}, now=40) == {}


# The watchdog's net under a stalled recovery: seek the changelog partitions back twice, then exit.
async def test_a_stalled_recovery_is_sought_back_twice_before_the_worker_exits(monkeypatch):
    from types import SimpleNamespace

    from faust.types import TP

    from stream_processors import watchdog

    tp = TP("aduan-cases-changelog", 1)
    calls: list = []

    class Consumer:
        _buffered_partitions: set = set()

        async def seek_wait(self, offsets):
            calls.append(("seek", dict(offsets)))

        def resume_partitions(self, tps):
            calls.append(("resume", set(tps)))

        def assignment(self):
            return set()

        def next_offsets(self):
            return {}

    recovery = SimpleNamespace(in_recovery=True, active_remaining=lambda: {tp: 40}, active_offsets={tp: 17})
    app = SimpleNamespace(tables=SimpleNamespace(recovery=recovery), consumer=Consumer(), rebalancing=True,
                          flow_control=SimpleNamespace(is_active=lambda: True))
    clock = [1000.0]
    monkeypatch.setattr(watchdog.time, "monotonic", lambda: clock[0])
    exits: list = []
    monkeypatch.setattr(watchdog, "_exit_stalled", exits.append)
    dog = watchdog.Watchdog(app, timeout_s=30)
    for _ in range(3):
        for step in (0, 31):  # seen, then 31 s later with the same records left
            clock[0] += step
            await dog.check()
    assert calls == [("seek", {tp: 17}), ("resume", {tp}), ("seek", {tp: 17}), ("resume", {tp})]
    assert len(exits) == 1 and "table recovery has read nothing" in exits[0]


def test_a_faust_without_the_private_parts_the_adapter_uses_is_refused_by_name(monkeypatch):
    import faust
    from faust.transport.consumer import Consumer

    from stream_processors import faust_adapter

    faust_adapter.check_faust_internals()  # the installed faust has them all
    monkeypatch.delattr(Consumer, "perform_seek")
    with pytest.raises(faust_adapter.FaustIncompatible) as refused:
        faust_adapter.check_faust_internals()
    assert f"faust-streaming {faust.__version__}" in str(refused.value)
    assert "Consumer.perform_seek" in str(refused.value)
