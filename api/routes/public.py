"""The public transparency API: search of resolved cases (personal data removed) and agency scorecards.

Everything here reads the public index (search/public.py), which holds only what `domain.public` allows,
or aggregates of the internal one (scorecards): there is nothing personal to show.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query
from fastapi.exceptions import RequestValidationError

from api.deps import ServicesDep
from api.routes.responses import not_found
from domain.ids import normalize_case_id
from domain.jurisdiction import Jurisdiction
from search.performance import scorecards
from search.public import MAX_PAGE_SIZE, PAGE_SIZE, PublicQuery, get_public_case, search_public
from search.text import MAX_QUERY_CHARS, highlight

router = APIRouter(prefix="/api/v1/public", tags=["public"])


def check_query(jurisdiction: Jurisdiction, query: PublicQuery) -> None:
    """422 naming the parameter when a filter names nothing of this jurisdiction or the dates are reversed."""
    problems = []
    for name, known in (("category", jurisdiction.category), ("agency", jurisdiction.agency),
                        ("regency", jurisdiction.regency)):
        value = getattr(query, name)
        if value and known(value) is None:
            problems.append({"type": "value_error", "loc": ("query", name), "input": value,
                             "msg": f"tidak dikenal / unknown {name} {value!r}"})
    if query.since and query.until and query.since > query.until:
        problems.append({"type": "value_error", "loc": ("query", "from"), "input": str(query.since),
                         "msg": "'from' jatuh setelah 'to' / 'from' is after 'to'"})
    if problems:
        raise RequestValidationError(problems)


def names(jurisdiction: Jurisdiction, record: dict[str, Any]) -> dict[str, str | None]:
    """Display names of a record's codes (the index keeps codes; names may change in the file)."""
    category, agency = jurisdiction.category(record["category"]), jurisdiction.agency(record.get("agency") or "")
    regency = jurisdiction.regency(record["regency"])
    district = next((d for d in regency.districts if d.code == record.get("district")), None) if regency else None
    return {"category_name": category.name if category else record["category"],
            "agency_name": agency.name if agency else record.get("agency"),
            "regency_name": regency.name if regency else record["regency"],
            "district_name": district.name if district else None}


async def run_search(services, query: PublicQuery) -> dict[str, Any]:
    """The search, its hits with names and highlighted snippets, and its facets with names."""
    j = services.jurisdiction
    found = await search_public(services.es, services.settings.indices.public_cases, query)
    found["items"] = [{
        "tracking_id": hit["tracking_id"], "status": hit["status"], "title": hit["title"],
        # Escaped text with <mark> around matched words (a Markup: the pages render it as it is).
        "snippet": highlight(hit["description"], found["stems"]),
        "category": hit["category"], "agency": hit["agency"], "regency": hit["regency"],
        "district": hit["district"], "submitted_at": hit["submitted_at"], "resolved_at": hit["resolved_at"],
        "rating": hit["rating"], "url": f"/kasus/{hit['tracking_id']}", **names(j, hit),
    } for hit in found.pop("hits")]
    label = {"category": lambda c: getattr(j.category(c), "name", c),
             "agency": lambda c: getattr(j.agency(c), "name", c),
             "regency": lambda c: getattr(j.regency(c), "name", c), "year": str}
    for facet, buckets in found["facets"].items():
        for bucket in buckets:
            bucket["name"] = label[facet](bucket["key"])
    return found


@router.get("/cases")
async def search_cases(
    services: ServicesDep,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS, description="words, in any of their forms: 'perbaikan "
                                                                   "jalan' finds 'jalan sudah diperbaiki'")] = "",
    category: Annotated[str | None, Query(max_length=40)] = None,
    agency: Annotated[str | None, Query(max_length=32)] = None,
    regency: Annotated[str | None, Query(max_length=5)] = None,
    since: Annotated[date | None, Query(alias="from", description="submitted on or after (YYYY-MM-DD)")] = None,
    until: Annotated[date | None, Query(alias="to", description="submitted on or before (YYYY-MM-DD)")] = None,
    sort: Literal["relevance", "newest", "oldest"] = "relevance",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
) -> dict[str, Any]:
    """Resolved and closed cases that are not confidential, with personal data removed: full text across
    Indonesian affixes, highlighted `snippet` (HTML, escaped, words in `<mark>`), facets with counts
    (category, agency, regency, year), date range, sort by relevance or date, pages."""
    query = PublicQuery(q.strip(), category, agency, regency, since, until, sort, page, size,
                        services.jurisdiction.timezone)
    check_query(services.jurisdiction, query)
    return await run_search(services, query)


@router.get("/cases/{tracking_id}", responses=not_found("No such public case"))
async def read_public_case(tracking_id: str, services: ServicesDep) -> dict[str, Any]:
    """One public case: redacted description, the agency's public replies, dates, deadlines met or not."""
    record = await public_case_or_404(services, tracking_id)
    return {**record, **names(services.jurisdiction, record)}


async def public_case_or_404(services, tracking_id: str) -> dict[str, Any]:
    case_id = normalize_case_id(tracking_id)
    record = await get_public_case(services.es, services.settings.indices.public_cases, case_id) if case_id else None
    if record is None:
        raise HTTPException(404, "Kasus tidak ditemukan di halaman publik / no such public case")
    return record


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)  # the days a scorecard's period may cover
MAX_SCORECARD_YEARS = 10  # one bucket a month per row: a longer period is neither readable nor cheap


def _bad_date(name: str, value: date, msg: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("query", name), "input": str(value), "msg": msg}])


def period(jurisdiction: Jurisdiction, since: date | None, until: date | None) -> tuple[datetime, datetime]:
    """[since, until] as instants in the jurisdiction's zone; by default the last twelve whole months and
    this one. 422 naming the parameter for a day outside FIRST_DAY..LAST_DAY (or its default outside them),
    reversed dates or a period of more than MAX_SCORECARD_YEARS."""
    zone = ZoneInfo(jurisdiction.timezone)
    for name, given in (("from", since), ("to", until)):
        if given is not None and not FIRST_DAY <= given <= LAST_DAY:
            raise _bad_date(name, given, f"di luar / outside {FIRST_DAY.isoformat()}..{LAST_DAY.isoformat()}")
    today = datetime.now(zone).date()
    until = until or today
    since = since or date(until.year - 1, until.month, 1)
    if since < FIRST_DAY:  # the default twelve months before an early 'to'
        raise _bad_date("to", until, f"dua belas bulan sebelumnya jatuh sebelum {FIRST_DAY.isoformat()}, beri 'from' / "
                                     f"twelve months before it fall before {FIRST_DAY.isoformat()}: give 'from'")
    if since > until:
        raise _bad_date("from", since, "'from' jatuh setelah 'to' / 'from' is after 'to'")
    if until.year - since.year > MAX_SCORECARD_YEARS or \
            (until.year - since.year == MAX_SCORECARD_YEARS and (until.month, until.day) >= (since.month, since.day)):
        raise _bad_date("from", since, f"periode paling lama {MAX_SCORECARD_YEARS} tahun / the period is at most "
                                       f"{MAX_SCORECARD_YEARS} years")
    return (datetime.combine(since, time(0), zone).astimezone(UTC),
            datetime.combine(until + timedelta(days=1), time(0), zone).astimezone(UTC))


async def read_scorecards(services, group: str, since: date | None, until: date | None) -> dict[str, Any]:
    j = services.jurisdiction
    start, end = period(j, since, until)
    found = await scorecards(services.es, services.settings.indices.cases, group, start, end,  # type: ignore[arg-type]
                             services.settings.scorecard_min_cases, j.timezone)
    lookup = j.agency if group == "agency" else j.regency
    for row in found["rows"]:
        row["name"] = getattr(lookup(row[group]), "name", row[group])
    found["from"], found["to"] = start.astimezone(ZoneInfo(j.timezone)).date().isoformat(), \
        (end - timedelta(days=1)).astimezone(ZoneInfo(j.timezone)).date().isoformat()
    return found


@router.get("/scorecards")
async def public_scorecards(
    services: ServicesDep,
    group: Literal["agency", "regency"] = "agency",
    since: Annotated[date | None, Query(alias="from", description="cases submitted on or after (default: "
                                                                  "twelve months back); 2000-01-01 at the earliest, "
                                                                  "at most ten years before 'to'")] = None,
    until: Annotated[date | None, Query(alias="to", description="cases submitted on or before (default today); "
                                                                "2999-12-31 at the latest")] = None,
) -> dict[str, Any]:
    """Per agency (or regency): cases, median working hours to the first response and to resolution, share
    resolved within the SLA, average rating, and each month's cases and share on time. Rows with fewer than
    `min_cases` cases in the period are listed but not ranked (`rank` null)."""
    return await read_scorecards(services, group, since, until)
