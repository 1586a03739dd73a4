"""Performance records per agency or per officer, aggregated from the cases' metrics in the index.

The stream processors keep each case's metrics current in its document (domain.sla.case_metrics);
the record of an agency or officer is an aggregation over its cases, scoped like every officer query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from elasticsearch import AsyncElasticsearch

Group = Literal["agency", "officer"]
_FIELD = {"agency": "agency", "officer": "assignee"}


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


async def performance(es: AsyncElasticsearch, alias: str, agency: str | None, group: Group,
                      since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
    """One row per agency (or officer) among the cases submitted in [since, until), limited to `agency`
    unless it is None (the whole jurisdiction, for coordinators)."""
    filters: list[dict] = [{"exists": {"field": "agency"}}]
    if agency is not None:
        filters.append({"term": {"agency": agency}})
    if since or until:
        filters.append({"range": {"submitted_at": {k: v.isoformat() for k, v in (("gte", since), ("lt", until))
                                                   if v is not None}}})
    percent = {"percents": [50, 90]}
    aggs = {"groups": {"terms": {"field": _FIELD[group], "size": 1000}, "aggs": {
        "handled": {"sum": {"field": "metrics.handled"}},
        "first_response": {"percentiles": {"field": "metrics.first_response_s", **percent}},
        "resolution": {"percentiles": {"field": "metrics.resolution_s", **percent}},
        "dispatch_met": {"avg": {"field": "metrics.dispatch_met"}},
        "response_met": {"avg": {"field": "metrics.response_met"}},
        "resolution_met": {"avg": {"field": "metrics.resolution_met"}},
        "breaches": {"sum": {"field": "metrics.breaches"}},
        "reopened": {"avg": {"field": "metrics.reopened"}},
        "rating": {"avg": {"field": "metrics.rating"}},
        "rated": {"value_count": {"field": "metrics.rating"}},
    }}}
    found = await es.search(index=alias, size=0, query={"bool": {"filter": filters}}, aggs=aggs)
    rows = []
    for bucket in found["aggregations"]["groups"]["buckets"]:
        def pct(name: str, p: str, bucket: dict = bucket) -> float | None:
            return _hours(bucket[name]["values"].get(p))

        rows.append({
            group: bucket["key"],
            "received": bucket["doc_count"],
            "handled": int(bucket["handled"]["value"] or 0),
            "first_response_hours": {"median": pct("first_response", "50.0"), "p90": pct("first_response", "90.0")},
            "resolution_hours": {"median": pct("resolution", "50.0"), "p90": pct("resolution", "90.0")},
            "within_sla": {stage: bucket[f"{stage}_met"]["value"] for stage in ("dispatch", "response", "resolution")},
            "breaches": int(bucket["breaches"]["value"] or 0),
            "reopen_rate": bucket["reopened"]["value"],
            "average_rating": bucket["rating"]["value"],
            "ratings": bucket["rated"]["value"],
        })
    return rows
