"""The first document of an accepted case, written beside the answer instead of before it.

A submission is answered 202 once Kafka has confirmed it; Elasticsearch is not on that path. Each receipt
(the case as its first event makes it, the same document at the same version the projection will write) is
written by a background task, so the citizen can read their case at once without waiting for the worker.
A receipt that cannot be written is logged and dropped: Kafka has the submission, and the projection
writes the real document anyway. A read that finds no document waits for it a little (`read_case`).
"""

from __future__ import annotations

import asyncio
import logging

from elasticsearch import AsyncElasticsearch

from domain.case import Case
from search.cases import BatchingCaseWriter, get_case

log = logging.getLogger(__name__)

# A read that finds nothing asks again after each of these pauses (about 1.5 s in all) before its 404:
# long enough for a receipt written by another API process, or for the projection on an idle worker.
POLL_PAUSES_S = (0.05, 0.1, 0.2, 0.4, 0.75)
MAX_POLLING = 64  # reads waiting at once; past it a missing case answers 404 at once (no amplified scans)


class Receipts:
    """Background writes of receipts: bounded in number and in time, each failure logged."""

    def __init__(self, writer: BatchingCaseWriter, max_pending: int = 2000, timeout_s: float = 5.0) -> None:
        self._writer, self._max_pending, self._timeout_s = writer, max_pending, timeout_s
        self._pending: dict[str, asyncio.Task[bool]] = {}
        self._polling = 0

    def schedule(self, case: Case) -> None:
        """Write `case`'s receipt soon; returns at once."""
        if case.case_id in self._pending:
            return  # a repeated submission: its receipt is on its way
        if len(self._pending) >= self._max_pending:
            log.warning("receipt of case %s not indexed: %d receipts already waiting for Elasticsearch; "
                        "the projection will index it", case.case_id, len(self._pending))
            return
        task = asyncio.create_task(self._write(case), name=f"receipt-{case.case_id}")
        self._pending[case.case_id] = task
        task.add_done_callback(lambda _: self._pending.pop(case.case_id, None))

    async def _write(self, case: Case) -> bool:
        try:
            await asyncio.wait_for(self._writer.write(case), self._timeout_s)
        except Exception as exc:  # noqa: BLE001 - Kafka has the case; the projection indexes it
            log.warning("receipt of case %s not indexed (the projection will index it): %r", case.case_id, exc)
            return False
        return True

    def pending(self) -> int:
        return len(self._pending)

    async def settled(self, case_id: str) -> bool | None:
        """Wait for this process's receipt of `case_id`: True written, False failed, None none pending."""
        task = self._pending.get(case_id)
        if task is None:
            return None
        return await asyncio.shield(task)  # a cancelled reader must not cancel the write

    async def read_case(self, es: AsyncElasticsearch, alias: str, case_id: str) -> Case | None:
        """The case, waiting for a receipt still being written (here, or by another API process) before
        answering None."""
        case = await get_case(es, alias, case_id)
        if case is not None:
            return case
        if await self.settled(case_id) is not None:
            case = await get_case(es, alias, case_id)
            if case is not None:
                return case
        if self._polling >= MAX_POLLING:
            return None
        self._polling += 1
        try:
            for pause in POLL_PAUSES_S:
                await asyncio.sleep(pause)
                case = await get_case(es, alias, case_id)
                if case is not None:
                    return case
            return None
        finally:
            self._polling -= 1

    async def close(self, timeout_s: float = 5.0) -> None:
        """Let the receipts under way finish (within `timeout_s`) before the client closes."""
        if self._pending:
            await asyncio.wait(list(self._pending.values()), timeout=timeout_s)
