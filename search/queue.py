"""The officer workspace's queues: one search over the `cases` index, always within the caller's scope.

A queue is a *view* (mine, agency, unassigned, due_soon, breached, verification) plus the caller's
filters (category, regency, state, text), sorted by the nearest deadline. One request answers both the
page of the chosen view (`post_filter`) and the count of every view under the same filters (a `filters`
aggregation), so the tabs' numbers always agree with the lists behind them.

The scope is not a filter the caller chooses: `scope_filter` is added to every query built here, and a
caller without a scope (an administrator) gets a query that matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from elasticsearch import AsyncElasticsearch

from domain.case import Status
from domain.events import Actor
from domain.ids import normalize_case_id
from search.documents import case_from_document
from search.text import query_stems

View = Literal["mine", "agency", "unassigned", "due_soon", "breached", "verification"]
VIEWS: tuple[View, ...] = ("mine", "agency", "unassigned", "due_soon", "breached", "verification")
# A case someone must work on: with an agency and not yet resolved (a resolved case waits on the citizen's
# rating, and closes by itself).
OPEN = (Status.ROUTED, Status.IN_PROGRESS, Status.WAITING_ON_CITIZEN, Status.REOPENED)
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_WINDOW = 10_000  # Elasticsearch's index.max_result_window: deeper pages need narrower filters
DUE_SOON = timedelta(hours=24)
_MATCH_NONE: dict[str, Any] = {"bool": {"must_not": {"match_all": {}}}}


def scope_filter(actor: Actor) -> dict[str, Any]:
    """What `actor` may see (DESIGN.md rule 8): coordinators the whole jurisdiction, officers and
    supervisors their own agency, anyone else nothing."""
    if actor.role == "coordinator":
        return {"match_all": {}}
    if actor.role in ("officer", "supervisor") and actor.agency:
        return {"term": {"agency": actor.agency}}
    return _MATCH_NONE


def in_scope(actor: Actor, agency: str | None) -> bool:
    """`scope_filter` for one case held by `agency`: the same rule, so a page and a search never disagree."""
    if actor.role == "coordinator":
        return True
    return actor.role in ("officer", "supervisor") and agency is not None and agency == actor.agency


def _received() -> dict[str, Any]:
    return {"term": {"status": Status.RECEIVED.value}}


def _open() -> dict[str, Any]:
    return {"terms": {"status": [s.value for s in OPEN]}}


def view_filter(view: View, actor: Actor, now: datetime) -> dict[str, Any]:
    if view == "mine":
        return {"bool": {"filter": [_open(), {"term": {"assignee": actor.id or ""}}]}}
    if view == "agency":
        return _open()
    if view == "unassigned":
        return {"bool": {"filter": [_open()], "must_not": [{"exists": {"field": "assignee"}}]}}
    if view == "due_soon":
        return {"bool": {"filter": [_open(), {"range": {"due_at": {"gte": now.isoformat(),
                                                                  "lte": (now + DUE_SOON).isoformat()}}}]}}
    if view == "breached":
        # Past its nearest deadline now, or a deadline of the caller's agency was missed (a case transferred in
        # after another agency's breach is not this agency's breach).
        missed = {"term": {"breached": True}} if actor.role == "coordinator" else \
            {"term": {"breached_by": actor.agency or ""}}
        return {"bool": {"filter": [_open()], "minimum_should_match": 1, "should": [
            missed, {"range": {"due_at": {"lt": now.isoformat()}}}]}}
    if view == "verification":
        return _received()
    raise ValueError(f"unknown view {view!r}")


@dataclass(frozen=True)
class QueueFilters:
    category: str | None = None
    regency: str | None = None
    state: str | None = None  # a case status; it replaces the view's own status condition
    text: str | None = None  # simple_query_string over the tracking id, title and description


def queue_query(actor: Actor, view: View, filters: QueueFilters, now: datetime, page: int = 1,
                size: int = PAGE_SIZE) -> dict[str, Any]:
    """The search body of one queue page: scope and filters in `query`, the view in `post_filter`, the
    counts of every view in `aggs`."""
    must: list[dict[str, Any]] = [scope_filter(actor)]
    if filters.category:
        must.append({"term": {"category": filters.category}})
    if filters.regency:
        must.append({"term": {"regency": filters.regency}})
    if filters.state:
        must.append({"term": {"status": filters.state}})
    query: dict[str, Any] = {"bool": {"filter": must}}
    if filters.text:
        words = {"simple_query_string": {"query": filters.text, "fields": ["title^2", "description"],
                                         "default_operator": "and", "lenient": True}}
        either = [words]
        wanted = query_stems(filters.text)  # any form of the words: "banjir" finds "kebanjiran"
        if wanted:
            either.append({"match": {"text_stems": {"query": " ".join(wanted), "operator": "and"}}})
        case_id = normalize_case_id(filters.text)  # as people type it: lower case, no dashes, O for 0
        if case_id:
            either.append({"term": {"case_id": case_id}})
        query["bool"]["must"] = [{"bool": {"should": either, "minimum_should_match": 1}}]

    def counted(view: View) -> dict[str, Any]:
        chosen = view_filter(view, actor, now)
        # An explicit state replaces the view's status condition, so "resolved" can be listed at all.
        return _without_status(chosen) if filters.state else chosen

    return {
        "query": query,
        "post_filter": counted(view),
        "aggs": {"views": {"filters": {"filters": {v: counted(v) for v in VIEWS}}}},
        "sort": [{"due_at": {"order": "asc", "missing": "_last"}}, {"submitted_at": {"order": "asc"}},
                 {"case_id": {"order": "asc"}}],
        "from": (page - 1) * size,
        "size": size,
        "track_total_hits": True,
        "_source": ["state", "due_at"],
    }


def _without_status(clause: dict[str, Any]) -> dict[str, Any]:
    """`clause` with its open-statuses condition taken out (the caller's state filter stands instead); the
    verification view keeps its own status, so it lists nothing but received cases under any filter."""
    status_terms = (_open(),)
    if clause in status_terms:
        return {"match_all": {}}
    if "bool" in clause:
        body = dict(clause["bool"])
        body["filter"] = [c for c in body.get("filter", []) if c not in status_terms]
        return {"bool": body}
    return clause


@dataclass
class QueuePage:
    view: View
    counts: dict[str, int]
    total: int
    page: int
    size: int
    cases: list  # domain.case.Case, nearest deadline first
    due: list  # each case's nearest deadline (datetime), or None

    @property
    def pages(self) -> int:
        return max(1, min(-(-self.total // self.size), MAX_WINDOW // self.size))


async def read_queue(es: AsyncElasticsearch, alias: str, actor: Actor, view: View, filters: QueueFilters,
                     now: datetime, page: int = 1, size: int = PAGE_SIZE) -> QueuePage:
    size = max(1, min(size, MAX_PAGE_SIZE))
    page = max(1, min(page, MAX_WINDOW // size))
    found = await es.search(index=alias, **queue_query(actor, view, filters, now, page, size))
    buckets, hits = found["aggregations"]["views"]["buckets"], found["hits"]["hits"]
    return QueuePage(view=view, counts={v: buckets[v]["doc_count"] for v in VIEWS},
                     total=found["hits"]["total"]["value"], page=page, size=size,
                     cases=[case_from_document(hit["_source"]) for hit in hits],
                     due=[datetime.fromisoformat(h["_source"]["due_at"]) if h["_source"].get("due_at") else None
                          for h in hits])
