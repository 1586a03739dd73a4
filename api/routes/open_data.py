"""Open data (README, "Open data"): the published cases and the scorecards as CSV files anyone may download.

`/data/kasus.csv` streams the public index (what `domain.public` allows: scrubbed texts, no contact, nothing
finer than the district) a page at a time through one point in time, so a file is one consistent snapshot and
never held whole in memory. `/data/kinerja.csv` is the public scorecards (aggregates only). A cell that a
spreadsheet would take for a formula (it starts with = + - @ or a tab) is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from api.deps import ServicesDep
from api.routes.public import read_scorecards
from domain.jurisdiction import Jurisdiction
from search.public import SOURCE_EXCLUDES

router = APIRouter(prefix="/data", tags=["open data"])

PAGE = 500
LICENCE = "CC BY 4.0"  # README, "Open data"
CASE_COLUMNS = ("tracking_id", "status", "category", "category_name", "agency", "agency_name", "regency",
                "regency_name", "district", "district_name", "channel", "title", "description", "resolution",
                "submitted_at", "resolved_at", "closed_at", "rating", "first_response_s", "resolution_s",
                "response_met", "resolution_met")
SCORECARD_COLUMNS = ("code", "name", "rank", "received", "handled", "within_sla_dispatch", "within_sla_response",
                     "within_sla_resolution", "first_response_hours_median", "first_response_hours_p90",
                     "resolution_hours_median", "resolution_hours_p90", "breaches", "reopen_rate",
                     "average_rating", "ratings", "from", "to")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value as a CSV cell: text that a spreadsheet would run as a formula is defused."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return "" if value is None else value


def _csv(rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return buffer.getvalue()


def _headers(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "public, max-age=300",
            "Link": '<https://creativecommons.org/licenses/by/4.0/>; rel="license"'}


def case_row(record: dict[str, Any], j: Jurisdiction) -> list[Any]:
    category, agency = j.category(record["category"]), j.agency(record["agency"]) if record["agency"] else None
    regency = j.regency(record["regency"])
    district = next((d for d in regency.districts if d.code == record["district"]), None) if regency else None
    metrics = record.get("metrics") or {}
    return [record["tracking_id"], record["status"], record["category"], getattr(category, "name", None),
            record["agency"], getattr(agency, "name", None), record["regency"], getattr(regency, "name", None),
            record["district"], getattr(district, "name", None), record["channel"], record["title"],
            record["description"], record["resolution"], record["submitted_at"], record["resolved_at"],
            record["closed_at"], record["rating"], metrics.get("first_response_s"), metrics.get("resolution_s"),
            metrics.get("response_met"), metrics.get("resolution_met")]


@router.get("/kasus.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "one row per published case"}})
async def cases_csv(services: ServicesDep) -> StreamingResponse:
    """Every published case (resolved or closed, not confidential) as CSV, oldest first: its public record,
    texts scrubbed of personal data, the district as the finest place. Columns: README, "Open data"."""
    es, j = services.es, services.jurisdiction
    pit = (await es.open_point_in_time(index=services.settings.indices.public_cases, keep_alive="2m"))["id"]

    async def rows() -> AsyncIterator[str]:
        nonlocal pit
        try:
            yield _csv([CASE_COLUMNS])
            after: list[Any] | None = None
            while True:
                found = await es.search(pit={"id": pit, "keep_alive": "2m"}, size=PAGE, search_after=after,
                                        sort=[{"submitted_at": "asc"}, {"tracking_id": "asc"}],
                                        source={"excludes": SOURCE_EXCLUDES}, track_total_hits=False)
                pit = found.get("pit_id", pit)
                hits = found["hits"]["hits"]
                if not hits:
                    return
                yield _csv(case_row(hit["_source"], j) for hit in hits)
                after = hits[-1]["sort"]
        finally:
            await es.close_point_in_time(id=pit)

    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8", headers=_headers("kasus.csv"))


@router.get("/kinerja.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "one row per agency (or regency)"}})
async def scorecards_csv(
    services: ServicesDep,
    group: Literal["agency", "regency"] = "agency",
    since: Annotated[date | None, Query(alias="from", description="cases submitted on or after (default: twelve "
                                                                  "months back)")] = None,
    until: Annotated[date | None, Query(alias="to", description="cases submitted on or before (default today)")
                     ] = None,
) -> Response:
    """The public scorecards as CSV, as /kinerja shows them: ranked rows first, then those with too few cases
    to rank (`rank` empty). Aggregates only. Columns: README, "Open data"."""
    found = await read_scorecards(services, group, since, until)

    def line(r: dict[str, Any]) -> list[Any]:
        return [r[group], r["name"], r["rank"], r["received"], r["handled"], r["within_sla"]["dispatch"],
                r["within_sla"]["response"], r["within_sla"]["resolution"], r["first_response_hours"]["median"],
                r["first_response_hours"]["p90"], r["resolution_hours"]["median"], r["resolution_hours"]["p90"],
                r["breaches"], r["reopen_rate"], r["average_rating"], r["ratings"], found["from"], found["to"]]

    text = _csv([SCORECARD_COLUMNS, *(line(r) for r in found["rows"])])
    return Response(text, media_type="text/csv; charset=utf-8", headers=_headers("kinerja.csv"))
