"""The officer workspace's pages: sign in and out, the queue, the case page with its actions, and the
performance dashboard. Every page takes the caller's scope, as the JSON routes do (api/routes/officer.py):
a case outside it is a 404 page, its photos too.

A page session lives in the accounts database (api/accounts: `staff_sessions`); the signed, HttpOnly,
SameSite session cookie holds only its random token. It ends `staff_token_ttl_s` after sign-in (absolute
expiry), after `staff_idle_s` without a request (idle expiry), at sign-out (the row is deleted, so a copy
of the cookie is worthless too), and at once when the account is disabled. Signing in starts a fresh
session: nothing of the anonymous one carries over.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from api.accounts import MfaRequired, SignInThrottled
from api.actions import await_outcome, build_command, send_command
from api.audit_trail import contact_viewed, photo_viewed
from api.deps import ServicesDep
from api.ratelimit import client_address
from api.routes.officer import case_in_scope, officer_view, queue_item
from api.sign_in import sign_in
from api.web import check_csrf, render
from domain.access import performance_scope
from domain.case import Status
from domain.events import Actor
from search.performance import performance
from search.queue import VIEWS, QueueFilters, read_queue

router = APIRouter(prefix="/petugas", include_in_schema=False)
LOGIN = "/petugas/masuk"
SESSION_KEY = "staff_session"
QUEUE = "/petugas"
ACTION_WAIT_S = 5.0
# The form fields each action sends; the rest of the form is ignored.
ACTION_FIELDS = {"acknowledge": (), "reply": ("message",), "request_info": ("question",), "add_note": ("text",),
                 "transfer": ("agency", "reason"), "not_our_authority": ("reason",), "resolve": ("resolution",),
                 "reassign": ("assignee",), "dispatch": ("agency",), "reject": ("reason", "refer_to"),
                 "merge": ("into",), "make_confidential": ("reason",), "publish_photo": ("photo_id",)}


class SignedOut(Exception):
    """No valid staff session: the page answers with the sign-in form."""


PASSWORD_PAGE = "/petugas/sandi"  # noqa: S105 - a page address


class MustChangePassword(Exception):
    """An administrator reset the password: the account may see nothing but the page that changes it."""


def _page_account(request: Request):
    services = request.app.state.services
    token = request.session.get(SESSION_KEY)
    account = services.accounts.session_account(token, services.settings.staff_idle_s) \
        if token and services.accounts is not None else None
    if account is None:
        request.session.pop(SESSION_KEY, None)
        raise SignedOut
    return account


def _staff_page(request: Request) -> Actor:
    """The signed-in staff member of this page request (a plain `def`: FastAPI runs it in its thread pool,
    as the database is read)."""
    account = _page_account(request)
    if account.must_change_password:
        raise MustChangePassword
    return Actor(role=account.role, id=account.username, agency=account.agency)


def _staff_password_page(request: Request) -> Actor:
    account = _page_account(request)
    request.state.must_change_password = account.must_change_password
    return Actor(role=account.role, id=account.username, agency=account.agency)


StaffPageDep = Annotated[Actor, Depends(_staff_page)]
PasswordPageDep = Annotated[Actor, Depends(_staff_password_page)]


@router.get("/masuk", response_class=HTMLResponse)
async def login_page(request: Request) -> HTMLResponse:
    return render(request, "staff_login.html", error=None, username="")


@router.post("/masuk")
async def login(request: Request, services: ServicesDep, csrf: str = Form(""), username: str = Form(""),
                password: str = Form(""), otp: str = Form("")) -> Response:
    check_csrf(request, csrf)
    try:
        account = await sign_in(services, request, username, password, otp)
    except SignInThrottled as exc:
        return render(request, "staff_login.html", 429, error="throttled", wait=exc.retry_after_s, username=username)
    except MfaRequired:
        return render(request, "staff_login.html", 401, error="mfa", username=username)
    if account is None:
        return render(request, "staff_login.html", 401, error="wrong", username=username)
    lang = request.session.get("lang")
    request.session.clear()  # a fresh session at sign-in: nothing of the anonymous one carries over
    if lang:
        request.session["lang"] = lang
    request.session[SESSION_KEY] = await run_in_threadpool(services.accounts.open_session, account.username,
                                                           services.settings.staff_token_ttl_s)
    return RedirectResponse(PASSWORD_PAGE if account.must_change_password else QUEUE, status_code=303)


@router.get("/sandi", response_class=HTMLResponse)
async def password_page(request: Request, actor: PasswordPageDep) -> HTMLResponse:
    return render(request, "staff_password.html", actor=actor, error=None, done=False,
                  forced=request.state.must_change_password)


@router.post("/sandi", response_class=HTMLResponse)
async def change_password(request: Request, services: ServicesDep, actor: PasswordPageDep, csrf: str = Form(""),
                          current: str = Form(""), new: str = Form(""), repeat: str = Form("")) -> HTMLResponse:
    """The signed-in account's own change of password: every other session of it ends, this one stays."""
    check_csrf(request, csrf)
    if new != repeat:
        return render(request, "staff_password.html", 400, actor=actor, error=None, mismatch=True, done=False)
    try:
        await run_in_threadpool(lambda: services.accounts.change_password(
            actor.id, current, new, request.session.get(SESSION_KEY), address=client_address(request)))
    except SignInThrottled as exc:
        return render(request, "staff_password.html", 429, actor=actor, error=None, done=False,
                      throttled=exc.retry_after_s)
    except ValueError as exc:  # WrongPassword, WeakPassword: their message is bilingual
        return render(request, "staff_password.html", 400, actor=actor, error=str(exc), done=False)
    return render(request, "staff_password.html", actor=actor, error=None, done=True)


@router.post("/keluar")
async def logout(request: Request, services: ServicesDep, csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    token = request.session.get(SESSION_KEY)
    if token and services.accounts is not None:
        await run_in_threadpool(services.accounts.end_session, token)
    request.session.clear()
    return RedirectResponse(LOGIN, status_code=303)


@router.get("/kinerja", response_class=HTMLResponse)
async def performance_page(request: Request, services: ServicesDep, actor: StaffPageDep,
                           group: str = "agency") -> HTMLResponse:
    """Supervisors' dashboard: each agency's (or officer's) record in working time; per officer, an officer
    sees only their own (domain.access.performance_scope)."""
    group = "officer" if group == "officer" else "agency"
    agency, officer = performance_scope(actor, group)
    rows = await performance(services.es, services.settings.indices.cases, agency, group, officer=officer)
    return render(request, "staff_performance.html", actor=actor, rows=rows, group=group,
                  scope=agency or services.jurisdiction.name)


UNFILLED = ("lengkapi dulu bagian templat {parts} / fill in the template's {parts} first")


def _unfilled_template_parts(jurisdiction, case, kind: str, body: dict) -> str:
    """The template's "[describe ...]" parts still in the text, so they never reach the citizen as such."""
    if kind not in ("reply", "request_info", "resolve"):
        return ""
    template = jurisdiction.reply_template(kind, case.complaint.category, case.case_id, case.agency)
    text = body.get(ACTION_FIELDS[kind][0], "")
    return ", ".join(part for part in re.findall(r"\[[^\[\]]{3,}\]", template) if part in text)


@router.get("", response_class=HTMLResponse)
async def queue_page(request: Request, services: ServicesDep, actor: StaffPageDep, view: str = "",
                     category: str = "", regency: str = "", state: str = "", q: str = "",
                     page: str = "1") -> HTMLResponse:
    """The queue: one tab per view with its count, filters, nearest deadline first, 25 a page. Unknown
    values in the address are ignored, not errors: a page is always shown."""
    views = [v for v in VIEWS if v != "verification" or actor.role == "coordinator"]
    view = view if view in views else ("verification" if actor.role == "coordinator" else "agency")
    state = state if state in {s.value for s in Status} else ""
    category = category if services.jurisdiction.category(category) else ""
    regency = regency if services.jurisdiction.regency(regency) else ""
    q = q.strip()[:200]
    filters_ = QueueFilters(category or None, regency or None, state or None, q or None)
    asked = int(page) if page.isdigit() else 1
    found = await read_queue(services.es, services.settings.indices.cases, actor, view,  # type: ignore[arg-type]
                             filters_, datetime.now(UTC), asked)
    if asked > found.pages:  # past the last page (the queue shrank meanwhile): show the last one
        found = await read_queue(services.es, services.settings.indices.cases, actor, view,  # type: ignore[arg-type]
                                 filters_, datetime.now(UTC), found.pages)
    filters = {k: v for k, v in {"category": category, "regency": regency, "state": state, "q": q}.items() if v}
    return render(request, "staff_queue.html", actor=actor, found=found, view=view, views=views, filters=filters,
                  items=[queue_item(c, d) for c, d in zip(found.cases, found.due, strict=True)],
                  link=lambda **changes: f"{QUEUE}?{urlencode({**filters, 'view': view, **changes})}",
                  now=datetime.now(UTC), statuses=[s.value for s in Status])


@router.get("/kasus/{case_id}", response_class=HTMLResponse)
async def case_page(request: Request, case_id: str, services: ServicesDep, actor: StaffPageDep) -> HTMLResponse:
    case = await case_in_scope(services, actor, case_id)
    view = officer_view(case, actor, services.jurisdiction, "/petugas/kasus/{case_id}/foto/{photo_id}")
    await contact_viewed(services, actor, view, "page")  # recorded before it is shown (README, "Audit trail")
    officers = []
    if "reassign" in view.actions and services.accounts is not None:
        officers = [a.username for a in await run_in_threadpool(services.accounts.list)
                    if a.agency == case.agency and a.role in ("officer", "supervisor") and not a.disabled]
    notice = request.session.get("staff_notice")
    if notice and notice.get("case") == case.case_id:  # another tab's notice stays for its own case
        request.session.pop("staff_notice")
    else:
        notice = None
    return render(request, "staff_case.html", actor=actor, case=view, officers=officers, notice=notice,
                  fields=ACTION_FIELDS)


@router.get("/kasus/{case_id}/foto/{photo_id}")
async def case_photo(case_id: str, photo_id: str, services: ServicesDep, actor: StaffPageDep) -> FileResponse:
    case = await case_in_scope(services, actor, case_id)
    answer = services.photos.response(case.case_id, photo_id, case.complaint.photos, "private, no-store")
    await photo_viewed(services, actor, case.case_id, photo_id, "page")
    return answer


@router.post("/kasus/{case_id}/tindakan")
async def case_action(request: Request, case_id: str, services: ServicesDep, actor: StaffPageDep) -> Response:
    """An action form of the case page: sent as a command, then a short wait to show its outcome."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    case = await case_in_scope(services, actor, case_id)
    kind = str(form.get("type", ""))
    if kind not in ACTION_FIELDS:
        raise HTTPException(422, "Tindakan tidak dikenal / unknown action")
    body = {"type": kind, **{f: str(form[f]).strip() for f in ACTION_FIELDS[kind] if str(form.get(f, "")).strip()}}
    unfilled = _unfilled_template_parts(services.jurisdiction, case, kind, body)
    try:
        if unfilled:
            raise RequestValidationError([{"loc": (ACTION_FIELDS[kind][0],), "msg": UNFILLED.format(parts=unfilled)}])
        command = build_command(case.case_id, actor, body, datetime.now(UTC).isoformat())
    except RequestValidationError as exc:
        notice = {"kind": "refused", "text": "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors())}
    else:
        await send_command(services, command)
        applied, refusal = await await_outcome(services, case.case_id, command.command_id, ACTION_WAIT_S)
        notice = {"kind": "refused", "text": refusal} if refusal else \
            {"kind": "applied" if applied else "pending", "text": ""}
    request.session["staff_notice"] = {**notice, "case": case.case_id}
    return RedirectResponse(f"/petugas/kasus/{case.case_id}", status_code=303)
