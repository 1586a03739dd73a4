"""Reads and writes of the internal `cases` projection.

The projection keeps no state of its own beyond a cache: each document carries the case state it
was built from, so a worker that takes a partition over continues from what the index holds.
Writes use ``version = seq`` with ``version_type=external`` (DESIGN.md rule 4): replaying an event
leaves the document, and its version, as it was.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass, field

from elasticsearch import AsyncElasticsearch, NotFoundError
from elasticsearch.helpers import async_bulk

from domain.case import Case, SequenceError, apply
from domain.events import Event
from domain.jurisdiction import Jurisdiction
from search.documents import case_from_document, index_action
from search.public import public_actions

log = logging.getLogger(__name__)


async def get_case(es: AsyncElasticsearch, alias: str, case_id: str) -> Case | None:
    """Realtime get: a case is readable as soon as it is written, refresh or not."""
    try:
        found = await es.get(index=alias, id=case_id, realtime=True)
    except NotFoundError:
        return None
    return case_from_document(found["_source"])


async def write_cases(es: AsyncElasticsearch, target: str, cases: list[Case], jurisdiction: Jurisdiction,
                      require_alias: bool = True) -> int:
    """Index each case at version = seq; returns how many were newer than what the index held.

    Writes go through the alias and require it: while a projection is being rebuilt or its index was
    deleted, a write fails (and is retried) rather than create a stray index with guessed mappings."""
    if not cases:
        return 0
    written, errors = await async_bulk(
        es, (index_action(target, c, jurisdiction) for c in cases), raise_on_error=False, stats_only=False,
        require_alias=require_alias,
    )
    real = [e for e in errors if next(iter(e.values())).get("status") != 409]
    if real:
        raise ProjectionUnavailable(f"indexing failed for {len(real)} case(s): {real[:3]}")
    return written


class BatchingCaseWriter:
    """`write_cases` for many concurrent callers: while one bulk request is in flight, the writes
    that arrive wait and go together in the next one. A lone write goes at once; under load the
    batches grow by themselves, and Elasticsearch syncs its translog once per batch, not per case."""

    def __init__(self, es: AsyncElasticsearch, alias: str, jurisdiction: Jurisdiction, max_batch: int = 500) -> None:
        self._es, self._alias, self._jurisdiction, self._max_batch = es, alias, jurisdiction, max_batch
        self._pending: list[tuple[Case, asyncio.Future[None]]] = []
        self._draining = False

    async def write(self, case: Case) -> None:
        done = asyncio.get_running_loop().create_future()
        self._pending.append((case, done))
        if not self._draining:
            self._draining = True
            asyncio.create_task(self._drain())  # noqa: RUF006 - it settles every future it takes
        await done

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch:]
                try:
                    await write_cases(self._es, self._alias, [case for case, _ in batch], self._jurisdiction)
                except Exception as exc:  # noqa: BLE001 - handed to every caller of this batch
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                else:
                    for _, done in batch:
                        if not done.done():
                            done.set_result(None)
        finally:
            self._draining = False


async def write_public(es: AsyncElasticsearch, actions: list[dict], require_alias: bool = True) -> None:
    """The public index's writes and deletes, versioned like the projection's; a stale or repeated one, or
    the delete of what is not there, is no error."""
    if not actions:
        return
    _, errors = await async_bulk(es, actions, raise_on_error=False, stats_only=False, require_alias=require_alias)
    # Harmless: a stale or repeated write (409), the delete of what is not there (404 on a delete). A 404 on
    # a write means the index or alias is missing: retried, never dropped.
    real = [e for e in errors if not (next(iter(e.values())).get("status") == 409
                                      or ("delete" in e and e["delete"].get("status") == 404))]
    if real:
        raise ProjectionUnavailable(f"public index writes failed for {len(real)} case(s): {real[:3]}")


class ProjectionUnavailable(Exception):
    """The index cannot be read or written now; the batch should be tried again later."""


@dataclass
class ProjectionResult:
    written: int = 0
    skipped: int = 0
    failed: list[tuple[Event, str]] = field(default_factory=list)


class CaseProjection:
    """Applies batches of case events to the `cases` index, and to the public index when given one."""

    def __init__(self, es: AsyncElasticsearch, alias: str, jurisdiction: Jurisdiction, cache_size: int = 50_000,
                 is_alias: bool = True, public: str | None = None) -> None:
        self._es = es
        self._alias = alias
        self._public = public
        self._jurisdiction = jurisdiction
        self._is_alias = is_alias
        self._cache: OrderedDict[str, Case] = OrderedDict()
        self._cache_size = cache_size

    async def _load(self, case_ids: list[str]) -> dict[str, Case | None]:
        if not case_ids:
            return {}
        found = await self._es.mget(index=self._alias, ids=case_ids, realtime=True)
        failed = [d["error"] for d in found["docs"] if "error" in d]
        if failed:  # e.g. the index is gone: not "no such case", so retry rather than start the case anew
            raise ProjectionUnavailable(f"cannot read the {self._alias} index: {failed[0]}")
        return {d["_id"]: case_from_document(d["_source"]) if d.get("found") else None for d in found["docs"]}

    def _remember(self, case: Case) -> None:
        self._cache[case.case_id] = case
        self._cache.move_to_end(case.case_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def project(self, events: list[Event]) -> ProjectionResult:
        result = ProjectionResult()
        by_case: dict[str, list[Event]] = {}
        for event in events:
            by_case.setdefault(event.case_id, []).append(event)
        states: dict[str, Case | None] = {cid: self._cache.get(cid) for cid in by_case}
        states.update(await self._load([cid for cid, s in states.items() if s is None]))

        changed: list[Case] = []
        public: list[dict] = []
        for case_id, case_events in by_case.items():
            before = states[case_id]
            case, skipped, failed = _advance(before, case_events)
            if failed and case_id in self._cache:
                # The cache may be stale after a partition moved away and back: ask the index once.
                before = (await self._load([case_id]))[case_id]
                case, skipped, failed = _advance(before, case_events)
            result.skipped += skipped
            result.failed.extend(failed)
            if case is not None and case is not before:
                changed.append(case)
                if self._public:
                    # Stopped clocks only on the public pages: the case's own last time gives the same
                    # document on every replay.
                    public += public_actions(self._public, before, case, self._jurisdiction, case.updated_at)
        # The public index first: if this fails the batch is retried whole, and nothing is left unwritten.
        await write_public(self._es, public, require_alias=self._is_alias)
        result.written = await write_cases(self._es, self._alias, changed, self._jurisdiction,
                                           require_alias=self._is_alias)
        for case in changed:
            self._remember(case)
        return result


def _advance(case: Case | None, events: list[Event]) -> tuple[Case | None, int, list[tuple[Event, str]]]:
    """Apply what is new of `events` to `case`: (new state, events already applied, events refused)."""
    skipped, failed = 0, []
    for event in events:
        if case is not None and event.seq <= case.seq:
            skipped += 1
            continue
        try:
            case = apply(case, event)
        except SequenceError as exc:
            failed.append((event, str(exc)))
    return case, skipped, failed
