"""Every offset of our input partitions reaches an agent: a guard on faust-streaming's consumer.

Why: faust-streaming (0.15) hands records to agents from a batch it fetched earlier. When a rebalance
seeks a partition back to its committed offset while such a batch is still being handed out, the rest of
the stale batch follows the seek: the consumer sees offset 43 where it expected 11. faust takes any such
jump for a "gap" (records removed by compaction, or transaction markers) and commits the offsets in
between as done, so records 11..42 are never processed by anyone. The two-worker test showed it: after a
takeover, 20-odd submissions in a row were committed and never routed.

Our input topics (submissions, commands, events) are neither compacted nor transactional: their offsets
have no holes. So on them a jump is never a gap, only records not yet handed out. The guard passes records
on only in offset order from the last seek; at a jump it drops the rest of that partition's batch and
seeks the partition back to the first missing offset, so the records are fetched again and processed
(agents are idempotent: a record seen twice decides nothing new). Changelog topics, which are compacted,
are left to faust.

If a partition keeps jumping to the same place (the missing records are really gone: retention removed
them before they were read), the guard gives up after a few tries and lets reading go on, logging an
error that names the offsets.

Second, records acknowledged without being processed: faust hands a record fetched before a rebalance
back unprocessed when its stream meets it after the rebalance began (flow stopped, or a new generation),
but acknowledges it all the same, and the revocation's commit then counts it as done: the next owner of
the partition starts after it. The intake benchmark lost a case that way when a second worker joined.
On our input topics such an acknowledgement is not recorded (the record counts as unprocessed and is read
again, by this worker after its seek or by the partition's next owner); agents are idempotent, so a
record that was in fact processed just before the rebalance is only decided again.

Third, partitions faust forgets to fetch: faust asks the Kafka client only for the records of its
"active" partitions, a set it edits on every pause, resume, rebalance and full buffer. After a takeover a
partition could drop out of it for good: an input partition whose records then wait in Kafka (the
two-worker test: one partition of four never read again, its offsets uncommitted; that the set lost it is
our reading, not seen in the act). `FetchWatch` checks every few
seconds that the partitions that must be read are in that set (outside a rebalance: our input
partitions, unless held back by a full buffer; during table recovery: the changelog partitions with
records left) and puts back one missing twice in a row, with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

MAX_REWINDS = 3  # seeks back to one offset before the records in between are taken for lost


@dataclass
class ContiguousOffsets:
    """Which records of the guarded topics may be handed on: the pure rule, without faust.

    `expected` is the next offset a partition must hand on (None: unknown, take the first that comes).
    """

    topics: frozenset[str]
    max_rewinds: int = MAX_REWINDS
    expected: dict = field(default_factory=dict)
    _rewinds: dict = field(default_factory=dict)

    def guards(self, tp) -> bool:
        return tp.topic in self.topics

    def seeked(self, tp, offset: int | None) -> None:
        """The partition will be read from `offset` next. None: faust found no committed offset, so the
        start is unknown (the partition is new, or its last owner's commit was not seen yet: reading it
        again from 0 could mean the whole partition) and the first record that comes sets it."""
        if self.guards(tp):
            self.expected[tp] = offset if offset is not None and offset >= 0 else None

    def forget(self, tps: Iterable) -> None:
        """Partitions revoked: whoever gets them next starts from their committed offsets."""
        for tp in tps:
            self.expected.pop(tp, None)
            self._rewinds.pop(tp, None)

    def admit(self, tp, offset: int) -> int | None:
        """None if the record at `offset` may be handed on; else the offset to seek back to."""
        if not self.guards(tp):
            return None
        expected = self.expected.get(tp)
        if expected is None or offset <= expected:
            # Unknown start, the expected record, or one already handed on coming again (faust drops those
            # itself): reading goes on from here.
            self.expected[tp] = offset + 1
            self._rewinds.pop(tp, None)
            return None
        at, tries = self._rewinds.get(tp, (expected, 0))
        tries = tries + 1 if at == expected else 1
        if tries > self.max_rewinds:
            log.error("offsets %d..%d of %s[%d] could not be read after %d seeks back (removed by retention?); "
                      "reading goes on at %d", expected, offset - 1, tp.topic, tp.partition, self.max_rewinds, offset)
            self.expected[tp] = offset + 1
            self._rewinds.pop(tp, None)
            return None
        self._rewinds[tp] = (expected, tries)
        return expected


@dataclass
class Absences:
    """Partitions seen missing from the fetch at consecutive checks: the pure rule of `watch`."""

    checks: int = 2  # a partition missing at this many checks in a row is put back
    _seen: dict = field(default_factory=dict)

    def to_resume(self, missing: set) -> set:
        self._seen = {tp: self._seen.get(tp, 0) + 1 for tp in missing}
        return {tp for tp, n in self._seen.items() if n >= self.checks}


CHECK_FETCHING_EVERY_S = 5.0


class FetchWatch:
    """Every few seconds, the partitions that must be read are put back into faust's fetch if they dropped
    out of it (the third fault above). Registered on the app by the worker build."""

    def __init__(self, app) -> None:
        self.app = app
        self.absences = Absences()

    def register(self) -> None:
        @self.app.timer(interval=CHECK_FETCHING_EVERY_S)
        async def check_fetching() -> None:
            try:
                self.check()
            except Exception:  # a faust timer that raises is never run again: log, and check again next time
                log.exception("the fetch check failed")

    def check(self) -> None:
        app = self.app
        consumer = app.consumer
        active = consumer._active_partitions
        if active is None or not app.flow_control.is_active():
            self.absences.to_resume(set())
            return
        recovery = app.tables.recovery
        if recovery.in_recovery:
            needed = {tp for tp, left in recovery.active_remaining().items() if left > 0}
        elif not app.rebalancing:
            needed = {tp for tp in consumer.assignment() if consumer.guard.guards(tp)}
        else:
            needed = set()  # between an assignment and its recovery faust holds partitions back on purpose
        missing = {tp for tp in needed if tp not in active and tp not in consumer._buffered_partitions}
        resume = self.absences.to_resume(missing)
        if resume:
            log.warning("faust stopped fetching %s (paused: %s); fetching them again",
                        sorted(f"{tp.topic}[{tp.partition}]" for tp in resume),
                        sorted(f"{tp.topic}[{tp.partition}]" for tp in resume & consumer._paused_partitions))
            consumer.resume_partitions(resume)
