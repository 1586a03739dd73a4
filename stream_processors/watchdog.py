"""The worker's watchdog: a last net under faust's faults, when a worker has stopped reading.

faust-streaming (0.15) could leave a worker in table recovery for good after a rebalance (fault 4 of the
README's "Known faust-streaming faults": a fetch handed faust's emptied set of active partitions consumed the
changelog records recovery had just sought). The consumer's own fix (`faust_adapter.RewindingConsumer`) reads
such records again; should recovery still make no progress for ADUAN_WORKER_STALL_TIMEOUT_S, the watchdog
seeks the changelog partitions with records left back to where recovery stands and resumes them, twice at
most, and only then exits the worker with code 70, logging what it was waiting for (the partitions, and where
each of its tasks stood). Its supervisor starts it again: Kubernetes, `aduan run`, or the test harness.
Nothing is lost by the exit: the offsets of unprocessed records are not committed.

The same exit for an input partition outside recovery: when the Kafka client knows of records beyond the next
offset the consumer guard expects to hand on, and nothing of that partition has been handed on for the
timeout (and faust is not holding it back for a full buffer), the worker has stopped reading it, after the
consumer guard's fetch check has tried to put it back.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import sys
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

STALLED_EXIT_CODE = 70  # EX_SOFTWARE
CHECK_EVERY_S = 5.0


@dataclass
class RecoveryProgress:
    """Whether recovery reads on: the pure rule, fed what faust reports at each check."""

    timeout_s: float
    _remaining: int | None = None
    _since: float = 0.0

    def stalled(self, in_recovery: bool, remaining: int, now: float) -> bool:
        """True once recovery has been going for `timeout_s` with the same number of records left."""
        if not in_recovery or self.timeout_s <= 0:
            self._remaining = None
            return False
        if remaining != self._remaining:
            self._remaining, self._since = remaining, now
            return False
        return now - self._since >= self.timeout_s


@dataclass
class PartitionProgress:
    """Whether input partitions with records waiting are being read: the pure rule, fed at each check the
    next offset to hand on and the end of each partition as the Kafka client last saw it."""

    timeout_s: float
    _since: dict = field(default_factory=dict)  # tp -> (next offset, since when it has not moved)

    def stalled(self, partitions: dict, now: float) -> dict:
        """`partitions`: tp -> (next offset to hand on, end offset). Those that had records waiting and did
        not move for `timeout_s`, with their offsets."""
        if self.timeout_s <= 0:
            return {}
        since = {}
        for tp, (next_offset, end) in partitions.items():
            if next_offset is None or end is None or end <= next_offset:
                continue  # nothing waiting (or not known yet)
            last = self._since.get(tp)
            since[tp] = last if last is not None and last[0] == next_offset else (next_offset, now)
        self._since = since
        return {tp: partitions[tp] for tp, (_, t) in since.items() if now - t >= self.timeout_s}


MAX_RESEEKS = 2  # seeks back of a stalled recovery before the worker exits


def _exit_stalled(what: str) -> None:
    log.error("%s; the worker exits with code %d to be started again", what, STALLED_EXIT_CODE)
    log.warning("where the worker's tasks stood:\n%s", _task_stacks())
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(STALLED_EXIT_CODE)  # no graceful stop: it would wait on the same stalled consumer


def _task_stacks() -> str:
    out = io.StringIO()
    for task in asyncio.all_tasks():
        out.write(f"--- {task.get_name()} ({task.get_coro()!r})\n")
        task.print_stack(limit=8, file=out)
    return out.getvalue()


class Watchdog:
    """Watches the recovery and the input partitions of a faust app from a timer of its own (registered by
    the worker build); a timeout of 0 turns it off. The recovery clock runs only while recovery reads
    changelogs (flow resumed), not while it prepares; the partitions' only outside rebalances."""

    def __init__(self, app, timeout_s: float) -> None:
        self.app, self.timeout_s = app, timeout_s
        self.recovery_progress = RecoveryProgress(timeout_s)
        self.partition_progress = PartitionProgress(timeout_s)
        self.reseeks = 0  # of the recovery going on

    def register(self) -> None:
        @self.app.timer(interval=CHECK_EVERY_S)
        async def watch() -> None:
            await self.check()

    async def check(self) -> None:
        app, timeout_s = self.app, self.timeout_s
        recovery, consumer, now = app.tables.recovery, app.consumer, time.monotonic()
        try:
            remaining = recovery.active_remaining()
            # Before reading, faust flushes, asks Kafka for offsets and seeks (each up to its request timeout)
            # with the flow stopped: a slow Kafka there is not a stalled worker.
            reading = recovery.in_recovery and app.flow_control.is_active()
            settled = not (recovery.in_recovery or app.rebalancing) and app.flow_control.is_active()
            expected = consumer.next_offsets() if settled else {}
            partitions = {tp: (expected[tp], consumer.highwater(tp)) for tp in consumer.assignment()
                          if tp in expected and tp not in consumer._buffered_partitions}  # full buffer: on purpose
        except Exception:  # a faust timer that raises is never run again: log, and look again next time
            log.exception("the watchdog could not read the worker's progress")
            return
        if not reading:
            self.reseeks = 0
        if self.recovery_progress.stalled(reading, sum(remaining.values()), now):
            behind = {f"{tp.topic}[{tp.partition}]": n for tp, n in remaining.items() if n}
            if self.reseeks < MAX_RESEEKS:
                # A last net under the consumer's own fix (faust_adapter.RewindingConsumer): read the changelog
                # partitions again from where recovery stands, and give it another timeout.
                self.reseeks += 1
                await self._reseek(recovery, consumer, [tp for tp, n in remaining.items() if n])
                self.recovery_progress = RecoveryProgress(timeout_s)
                log.warning("table recovery read nothing for %.0f s (records left: %s): changelog partitions "
                            "sought back to where recovery stands (%d of %d)", timeout_s, behind, self.reseeks,
                            MAX_RESEEKS)
                return
            _exit_stalled(f"table recovery has read nothing for {timeout_s:.0f} s (records left per changelog "
                          f"partition: {behind})")
        stuck = self.partition_progress.stalled(partitions, now)
        if stuck:
            _exit_stalled(f"input partitions with records waiting were not read for {timeout_s:.0f} s (next "
                          f"offset, end): { {f'{tp.topic}[{tp.partition}]': v for tp, v in stuck.items()} }")

    @staticmethod
    async def _reseek(recovery, consumer, tps) -> None:
        try:
            # active_offsets: the last offset recovery applied (-1: none); one record read twice is harmless.
            await consumer.seek_wait({tp: max(recovery.active_offsets.get(tp, -1), 0) for tp in tps})
            consumer.resume_partitions(set(tps))
        except Exception:  # noqa: BLE001 - partitions moved meanwhile: the next rebalance seeks them anyway
            log.exception("could not seek the stalled changelog partitions back")
