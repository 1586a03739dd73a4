"""The worker's watchdog: a worker whose table recovery has stopped reading exits, to be started again.

faust-streaming (0.15) can leave a worker in recovery for good after a rebalance: the changelog partitions
it must read are resumed, yet no record of them arrives (its log repeats "No event received for active tp
... since recovery start"), and the worker processes nothing until it is restarted. The two-worker test
sees this in about one run in ten after a takeover. A restart is what clears it, so the watchdog makes
the stall an exit: when recovery has made no progress for ADUAN_WORKER_STALL_TIMEOUT_S, the worker logs
what it was waiting for (the partitions, and where each of its tasks stood) and exits with code 70. Its
supervisor starts it again: Kubernetes (the worker Deployment), `aduan run`, or the test harness. Nothing
is lost by the exit: the offsets of unprocessed records are not committed.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import sys
import time
from dataclasses import dataclass

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


def _task_stacks() -> str:
    out = io.StringIO()
    for task in asyncio.all_tasks():
        out.write(f"--- {task.get_name()} ({task.get_coro()!r})\n")
        task.print_stack(limit=8, file=out)
    return out.getvalue()


def install(app, timeout_s: float) -> None:
    """Watch the recovery of `app` (a faust app) from a timer of its own; 0 turns the watchdog off."""
    progress = RecoveryProgress(timeout_s)

    @app.timer(interval=CHECK_EVERY_S)
    async def watch_recovery() -> None:
        recovery = app.tables.recovery
        remaining = recovery.active_remaining()
        if progress.stalled(recovery.in_recovery, sum(remaining.values()), time.monotonic()):
            behind = {f"{tp.topic}[{tp.partition}]": n for tp, n in remaining.items() if n}
            log.error("table recovery has read nothing for %.0f s (records left per changelog partition: %s); "
                      "the worker exits with code %d to be started again", timeout_s, behind, STALLED_EXIT_CODE)
            log.warning("where the worker's tasks stood:\n%s", _task_stacks())
            for handler in logging.getLogger().handlers:
                handler.flush()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(STALLED_EXIT_CODE)  # no graceful stop: it would wait on the same stalled consumer
