"""The public transparency pages: `/cari` (search of resolved cases), `/kasus/{id}` (one public case) and
`/kinerja` (agency and regency scorecards with charts). No account, no JavaScript, nothing personal."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse

from api.deps import ServicesDep
from api.routes.public import names, public_case_or_404, read_scorecards, run_search
from api.web import render
from search.public import PublicQuery
from search.text import MAX_QUERY_CHARS

router = APIRouter(include_in_schema=False)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/cari", response_class=HTMLResponse)
async def search_page(request: Request, services: ServicesDep, q: str = "", category: str = "", agency: str = "",
                      regency: str = "", dari: str = "", sampai: str = "", urut: str = "relevance",
                      page: str = "1") -> HTMLResponse:
    """Search, as forgiving as a page should be: an unknown filter is dropped, a bad date is named and
    ignored, a very long query is cut (and the page says so)."""
    j = services.jurisdiction
    notices = []
    if len(q) > MAX_QUERY_CHARS:
        q, notices = q[:MAX_QUERY_CHARS], [*notices, "long"]
    since, until = _date(dari), _date(sampai)
    if (dari and since is None) or (sampai and until is None):
        notices.append("date")
    if since and until and since > until:
        since, until, notices = until, since, [*notices, "swapped"]
    sort = urut if urut in ("relevance", "newest", "oldest") else "relevance"
    query = PublicQuery(q=q.strip(), category=category if j.category(category) else None,
                        agency=agency if j.agency(agency) else None, regency=regency if j.regency(regency) else None,
                        since=since, until=until, sort=sort, page=int(page) if page.isdigit() else 1, zone=j.timezone)
    found = await run_search(services, query)
    params = {"q": query.q, "category": query.category, "agency": query.agency, "regency": query.regency,
              "dari": since.isoformat() if since else None, "sampai": until.isoformat() if until else None,
              "urut": query.sort if query.sort != "relevance" else None}
    params = {k: v for k, v in params.items() if v}

    def link(**changes) -> str:
        merged = {**params, **changes}
        return "/cari?" + urlencode({k: v for k, v in merged.items() if v})

    return render(request, "public_search.html", found=found, query=query, params=params, link=link,
                  notices=notices, since=since, until=until)


@router.get("/kasus/{tracking_id}", response_class=HTMLResponse)
async def public_case_page(request: Request, tracking_id: str, services: ServicesDep) -> HTMLResponse:
    record = await public_case_or_404(services, tracking_id)
    return render(request, "public_case.html", case=record, names=names(services.jurisdiction, record))


@router.get("/kasus/{tracking_id}/foto/{photo_id}")
async def public_photo(tracking_id: str, photo_id: str, services: ServicesDep) -> FileResponse:
    """A photo an officer published, of a public case; nothing else."""
    record = await public_case_or_404(services, tracking_id)
    return services.photos.response(record["tracking_id"], photo_id, record["photos"], "public, max-age=3600")


@router.get("/kinerja", response_class=HTMLResponse)
async def scorecards_page(request: Request, services: ServicesDep, group: str = "agency", dari: str = "",
                          sampai: str = "") -> HTMLResponse:
    group = group if group in ("agency", "regency") else "agency"
    since, until = _date(dari), _date(sampai)
    try:
        found = await read_scorecards(services, group, since, until)
    except RequestValidationError:
        since, until = None, None
        found = await read_scorecards(services, group, None, None)
    peak = max((m["received"] for r in found["rows"] for m in r["months"]), default=0)
    return render(request, "public_scorecards.html", found=found, group=group, peak=max(peak, 1),
                  other="regency" if group == "agency" else "agency")
