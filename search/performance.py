"""Performance records per agency or per officer, aggregated from the cases' metrics in the index.

The stream processors keep each case's metrics current in its document (domain.sla.case_metrics);
the record of an agency or officer is an aggregation over its cases, scoped like every officer query.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from elasticsearch import AsyncElasticsearch

Group = Literal["agency", "officer", "regency"]
_FIELD = {"agency": "agency", "officer": "assignee", "regency": "regency"}
_PERCENT = {"percents": [50, 90]}
_METRICS: dict[str, Any] = {
    "handled": {"sum": {"field": "metrics.handled"}},
    "first_response": {"percentiles": {"field": "metrics.first_response_s", **_PERCENT}},
    "resolution": {"percentiles": {"field": "metrics.resolution_s", **_PERCENT}},
    "dispatch_met": {"avg": {"field": "metrics.dispatch_met"}},
    "response_met": {"avg": {"field": "metrics.response_met"}},
    "resolution_met": {"avg": {"field": "metrics.resolution_met"}},
    "breaches": {"sum": {"field": "metrics.breaches"}},
    "reopened": {"avg": {"field": "metrics.reopened"}},
    "rating": {"avg": {"field": "metrics.rating"}},
    "rated": {"value_count": {"field": "metrics.rating"}},
}


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


async def performance(es: AsyncElasticsearch, alias: str, agency: str | None, group: Group,
                      since: datetime | None = None, until: datetime | None = None,
                      officer: str | None = None) -> list[dict[str, Any]]:
    """One row per agency (or officer) among the cases submitted in [since, until), limited to `agency`
    unless it is None (the whole jurisdiction, for coordinators), and to the cases of `officer` unless it is
    None (domain.access.performance_scope says whose)."""
    filters: list[dict] = [{"exists": {"field": "agency"}}]
    if agency is not None:
        filters.append({"term": {"agency": agency}})
    if officer is not None:
        filters.append({"term": {"assignee": officer}})
    if since or until:
        filters.append({"range": {"submitted_at": {k: v.isoformat() for k, v in (("gte", since), ("lt", until))
                                                   if v is not None}}})
    aggs = {"groups": {"terms": {"field": _FIELD[group], "size": 1000}, "aggs": _METRICS}}
    found = await es.search(index=alias, size=0, query={"bool": {"filter": filters}}, aggs=aggs)
    return [{group: bucket["key"], **_row(bucket)} for bucket in found["aggregations"]["groups"]["buckets"]]


def _row(bucket: dict[str, Any]) -> dict[str, Any]:
    def pct(name: str, p: str) -> float | None:
        return _hours(bucket[name]["values"].get(p))

    return {
        "received": bucket["doc_count"],
        "handled": int(bucket["handled"]["value"] or 0),
        "first_response_hours": {"median": pct("first_response", "50.0"), "p90": pct("first_response", "90.0")},
        "resolution_hours": {"median": pct("resolution", "50.0"), "p90": pct("resolution", "90.0")},
        "within_sla": {stage: bucket[f"{stage}_met"]["value"] for stage in ("dispatch", "response", "resolution")},
        "breaches": int(bucket["breaches"]["value"] or 0),
        "reopen_rate": bucket["reopened"]["value"],
        "average_rating": bucket["rating"]["value"],
        "ratings": bucket["rated"]["value"],
    }


async def scorecards(es: AsyncElasticsearch, alias: str, group: Literal["agency", "regency"], since: datetime,
                     until: datetime, min_cases: int, zone: str) -> dict[str, Any]:
    """The public scorecards: every agency (or regency) with cases submitted in [since, until), its record
    and its months. Ranked by the share resolved within the SLA, then by the median resolution time;
    one with fewer than `min_cases` cases is listed but not ranked (too few to judge). Aggregates only:
    nothing of any one case."""
    first, last = since.astimezone(ZoneInfo(zone)), (until - timedelta(seconds=1)).astimezone(ZoneInfo(zone))
    monthly = {"date_histogram": {"field": "submitted_at", "calendar_interval": "month", "time_zone": zone,
                                  "format": "yyyy-MM", "min_doc_count": 0,
                                  "extended_bounds": {"min": first.strftime("%Y-%m"), "max": last.strftime("%Y-%m")}},
               "aggs": {"resolution_met": {"avg": {"field": "metrics.resolution_met"}},
                        "handled": {"sum": {"field": "metrics.handled"}}}}
    query = {"bool": {"filter": [{"exists": {"field": "agency"}}, {"range": {"submitted_at": {
        "gte": since.isoformat(), "lt": until.isoformat()}}}]}}
    found = await es.search(index=alias, size=0, query=query, aggs={
        "groups": {"terms": {"field": _FIELD[group], "size": 1000}, "aggs": {**_METRICS, "months": monthly}},
        "all": {"global": {}, "aggs": {"in": {"filter": query, "aggs": {**_METRICS, "months": monthly}}}},
    })
    rows = [{group: b["key"], **_row(b), "months": _months(b["months"])}
            for b in found["aggregations"]["groups"]["buckets"]]
    whole = found["aggregations"]["all"]["in"]
    return {"group": group, "rows": rank(rows, min_cases), "min_cases": min_cases,
            "total": {**_row(whole), "months": _months(whole["months"])}}


def rank(rows: list[dict[str, Any]], min_cases: int) -> list[dict[str, Any]]:
    """Rows with at least `min_cases` cases, ranked 1, 2, ... by the share resolved within the SLA (then the
    shorter median resolution); after them the rest, unranked (`rank` None), busiest first."""
    for row in rows:
        row["ranked"] = row["received"] >= min_cases
    ranked = sorted((r for r in rows if r["ranked"]), key=lambda r: (
        -(r["within_sla"]["resolution"] if r["within_sla"]["resolution"] is not None else -1),
        r["resolution_hours"]["median"] if r["resolution_hours"]["median"] is not None else float("inf")))
    for number, row in enumerate(ranked, 1):
        row["rank"] = number
    unranked = sorted((r for r in rows if not r["ranked"]), key=lambda r: -r["received"])
    for row in unranked:
        row["rank"] = None
    return ranked + unranked


def _months(histogram: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"month": b["key_as_string"], "received": b["doc_count"], "handled": int(b["handled"]["value"] or 0),
             "within_sla": b["resolution_met"]["value"]} for b in histogram["buckets"]]
