"""The public index (`public-cases`): resolved and closed cases that are not confidential, as
`domain.public.public_record` allows, with Indonesian stems beside each text (search/text.py).

The projection agent keeps it in step with the `cases` index: a case that becomes publishable is written
(version = seq, like every projection write), and one that stops being publishable (reopened, made
confidential) is deleted. Searches and scorecards read it; nothing personal is in it to leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from elasticsearch import AsyncElasticsearch, NotFoundError

from domain.case import Case
from domain.jurisdiction import Jurisdiction
from domain.public import public_record, publishable
from search.text import query_stems, stems

_TEXTS = ("title", "description", "resolution", "replies")
PUBLIC_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "tracking_id": {"type": "keyword"},
        "status": {"type": "keyword"},
        "category": {"type": "keyword"},
        "agency": {"type": "keyword"},
        "regency": {"type": "keyword"},
        "district": {"type": "keyword"},
        "channel": {"type": "keyword"},
        **{name: {"type": "text"} for name in _TEXTS},
        **{f"{name}_stems": {"type": "text"} for name in _TEXTS},
        "submitted_at": {"type": "date"},
        "resolved_at": {"type": "date"},
        "closed_at": {"type": "date"},
        "updated_at": {"type": "date"},
        "year": {"type": "short"},
        "rating": {"type": "byte"},
        "photos": {"type": "keyword", "index": False},
        "metrics": {"properties": {
            "first_response_s": {"type": "long"},
            "resolution_s": {"type": "long"},
            "response_met": {"type": "byte"},
            "resolution_met": {"type": "byte"},
        }},
        "timeline": {"type": "object", "enabled": False},
        "deadlines": {"type": "object", "enabled": False},
    },
}
SOURCE_EXCLUDES = [f"{name}_stems" for name in _TEXTS]


def public_document(case: Case, jurisdiction: Jurisdiction, now: datetime) -> dict[str, Any] | None:
    record = public_record(case, jurisdiction, now)
    if record is None:
        return None
    record["replies"] = "\n".join(t["text"] for t in record["timeline"] if t["text"] and t["type"] != "case.resolved")
    for name in _TEXTS:
        record[f"{name}_stems"] = stems(record[name])
    return record


def public_actions(index: str, before: Case | None, after: Case, jurisdiction: Jurisdiction,
                   now: datetime) -> list[dict[str, Any]]:
    """The bulk actions that bring the public index from `before` to `after`: write a publishable case,
    delete one that stopped being publishable, nothing otherwise (most cases, most of the time)."""
    document = public_document(after, jurisdiction, now)
    if document is not None:
        return [{"_op_type": "index", "_index": index, "_id": after.case_id, "version": after.seq,
                 "version_type": "external", "_source": document}]
    if before is not None and publishable(before):  # reopened, or made confidential: off the public pages
        return [{"_op_type": "delete", "_index": index, "_id": after.case_id, "version": after.seq,
                 "version_type": "external"}]
    return []


async def get_public_case(es: AsyncElasticsearch, alias: str, tracking_id: str) -> dict[str, Any] | None:
    try:
        found = await es.get(index=alias, id=tracking_id, source_excludes=SOURCE_EXCLUDES)
    except NotFoundError:
        return None
    return found["_source"]


Sort = Literal["relevance", "newest", "oldest"]
PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
MAX_WINDOW = 10_000
FACETS = {"category": 50, "agency": 100, "regency": 50, "year": 30}


@dataclass(frozen=True)
class PublicQuery:
    q: str = ""
    category: str | None = None
    agency: str | None = None
    regency: str | None = None
    since: date | None = None  # submitted on or after
    until: date | None = None  # submitted on or before
    sort: Sort = "relevance"
    page: int = 1
    size: int = PAGE_SIZE
    zone: str = "UTC"  # the days of `since` and `until` are the jurisdiction's days


def search_body(query: PublicQuery) -> dict[str, Any]:
    """The search of the public index: words across affixes (stems), filters, facets, sort, page."""
    filters: list[dict[str, Any]] = []
    for field in ("category", "agency", "regency"):
        if getattr(query, field):
            filters.append({"term": {field: getattr(query, field)}})
    if query.since or query.until:
        days = {}
        if query.since:
            days["gte"] = query.since.isoformat()
        if query.until:
            days["lte"] = f"{query.until.isoformat()}||/d"  # up to the end of that day
        filters.append({"range": {"submitted_at": {**days, "time_zone": query.zone}}})
    wanted = query_stems(query.q)
    must: list[dict[str, Any]] = []
    if wanted:
        must.append({"multi_match": {"query": " ".join(wanted), "type": "cross_fields", "operator": "and",
                                     "fields": ["title_stems^3", "description_stems", "resolution_stems",
                                                "replies_stems"]}})
    sort: list[Any]
    if query.sort == "newest" or (query.sort == "relevance" and not wanted):
        sort = [{"submitted_at": "desc"}, {"tracking_id": "asc"}]
    elif query.sort == "oldest":
        sort = [{"submitted_at": "asc"}, {"tracking_id": "asc"}]
    else:
        sort = ["_score", {"submitted_at": "desc"}, {"tracking_id": "asc"}]
    size = max(1, min(query.size, MAX_PAGE_SIZE))
    page = max(1, min(query.page, MAX_WINDOW // size))
    return {
        "query": {"bool": {"filter": filters, "must": must or [{"match_all": {}}]}},
        "aggs": {name: {"terms": {"field": name, "size": size_}} for name, size_ in FACETS.items()},
        "sort": sort,
        "from": (page - 1) * size,
        "size": size,
        "track_total_hits": True,
        "_source": {"excludes": SOURCE_EXCLUDES},
    }


async def search_public(es: AsyncElasticsearch, alias: str, query: PublicQuery) -> dict[str, Any]:
    body = search_body(query)
    found = await es.search(index=alias, **body)
    total = found["hits"]["total"]["value"]
    size = body["size"]
    return {
        "total": total,
        "page": body["from"] // size + 1,
        "pages": max(1, min(-(-total // size), MAX_WINDOW // size)),
        "size": size,
        "stems": query_stems(query.q),
        "hits": [hit["_source"] for hit in found["hits"]["hits"]],
        "facets": {name: [{"key": b["key"], "count": b["doc_count"]} for b in found["aggregations"][name]["buckets"]]
                   for name in FACETS},
    }
