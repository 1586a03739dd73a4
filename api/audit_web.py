"""The audit trail's page for administrators, `/petugas/audit`: the same rows as `aduan audit list`, newest
first, filtered by case, staff member and action, paged by the id of the last row shown.

Administrators manage accounts, never case data, and the trail holds none (case ids, usernames, actions,
reasons), so it is theirs to read. Anyone else gets the answer of a page that does not exist (404), as
staff get for a case outside their scope.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from api.accounts.audit import ACTIONS
from api.deps import ServicesDep
from api.staff_web import StaffPageDep
from api.web import render
from domain.ids import normalize_case_id

router = APIRouter(prefix="/petugas", include_in_schema=False)
PAGE = "/petugas/audit"
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(request: Request, services: ServicesDep, actor: StaffPageDep, case: str = "", user: str = "",
                     action: str = "", limit: str = "", before: str = "") -> HTMLResponse:
    """Unknown or malformed values in the address are ignored, as on the queue: a page is always shown."""
    if actor.role != "admin" or services.audit is None:
        raise HTTPException(404)  # what any address without a page answers
    case = case.strip()[:40]
    case_id = (normalize_case_id(case) or case.upper()) if case else ""
    user = user.strip()[:64]
    action = action if action in ACTIONS else ""
    size = min(int(limit), MAX_PAGE_SIZE) if limit.isdigit() and int(limit) > 0 else PAGE_SIZE
    before_id = int(before) if before.isdigit() else None
    rows = await run_in_threadpool(services.audit.entries, case_id or None, user or None, action or None, size,
                                   before_id)
    filters = {k: v for k, v in {"case": case_id, "user": user, "action": action}.items() if v}
    if size != PAGE_SIZE:
        filters["limit"] = str(size)
    older = f"{PAGE}?{urlencode({**filters, 'before': rows[-1].id})}" if len(rows) == size else None
    return render(request, "staff_audit.html", actor=actor, rows=rows, filters=filters, actions=ACTIONS,
                  older=older, first=f"{PAGE}?{urlencode(filters)}" if before_id else None)
