"""The officer workspace's pages: sign in, sign out, and the performance dashboard.

An HTML session holds a staff token in the signed, HttpOnly, SameSite session cookie. It ends when the
token's lifetime runs out (absolute expiry), after `staff_idle_s` without a request (idle expiry), at
sign-out, and at once when the account is disabled (the token is checked against the account on every
request, as for the API). Signing in starts a fresh session.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.accounts import AccountLocked
from api.auth import mint_staff_token, read_staff_token_issued, session_holds
from api.deps import ServicesDep
from api.web import check_csrf, render
from domain.events import Actor
from search.performance import performance

router = APIRouter(prefix="/petugas", include_in_schema=False)
LOGIN = "/petugas/masuk"


class SignedOut(Exception):
    """No valid staff session: the page answers with the sign-in form."""


def _staff_page(request: Request) -> Actor:
    services = request.app.state.services
    settings = services.settings
    token, seen = request.session.get("staff_token"), request.session.get("staff_seen", 0)
    read = read_staff_token_issued(settings.secret(), token, settings.staff_token_ttl_s) if token else None
    idle = time.time() - seen > settings.staff_idle_s
    if read is None or idle or (services.accounts is not None and not session_holds(services.accounts, *read)):
        for key in ("staff_token", "staff_seen"):
            request.session.pop(key, None)
        raise SignedOut
    request.session["staff_seen"] = int(time.time())
    return read[0]


StaffPageDep = Annotated[Actor, Depends(_staff_page)]


@router.get("/masuk", response_class=HTMLResponse)
async def login_page(request: Request) -> HTMLResponse:
    return render(request, "staff_login.html", error=None, username="")


@router.post("/masuk")
async def login(request: Request, services: ServicesDep, csrf: str = Form(""), username: str = Form(""),
                password: str = Form("")) -> Response:
    check_csrf(request, csrf)
    if services.accounts is None:
        raise HTTPException(503, "Akun belum tersedia / accounts are not configured")
    try:
        account = await run_in_threadpool(services.accounts.authenticate, username, password)
    except AccountLocked as exc:
        return render(request, "staff_login.html", 429, error="locked", wait=exc.retry_after_s, username=username)
    if account is None:
        return render(request, "staff_login.html", 401, error="wrong", username=username)
    lang = request.session.get("lang")
    request.session.clear()  # a fresh session at sign-in: nothing of the anonymous one carries over
    if lang:
        request.session["lang"] = lang
    actor = Actor(role=account.role, id=account.username, agency=account.agency)
    request.session["staff_token"] = mint_staff_token(services.settings.secret(), actor)
    request.session["staff_seen"] = int(time.time())
    return RedirectResponse("/petugas/kinerja", status_code=303)


@router.post("/keluar")
async def logout(request: Request, csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse(LOGIN, status_code=303)


@router.get("/kinerja", response_class=HTMLResponse)
async def performance_page(request: Request, services: ServicesDep, actor: StaffPageDep,
                           group: str = "agency") -> HTMLResponse:
    """Supervisors' dashboard: each agency's (or officer's) record in working time."""
    group = "officer" if group == "officer" else "agency"
    agency = None if actor.role in ("coordinator", "admin") else actor.agency
    rows = await performance(services.es, services.settings.indices.cases, agency, group)
    return render(request, "staff_performance.html", actor=actor, rows=rows, group=group,
                  scope=agency or services.jurisdiction.name)
