"""The citizen's pages: the complaint form at `/` and case tracking at `/lacak`. No JavaScript needed."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from api.deps import ServicesDep
from api.i18n import LANGUAGES, translator
from api.routes.complaints import act_as_citizen, citizen_view, is_owner
from api.schemas import CitizenAction, ComplaintCreate
from api.submission import SubmissionUnavailable, accept_complaint
from domain.ids import normalize_case_id

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def lang_of(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        request.session["lang"] = asked
    return request.session.get("lang", "id")


def csrf_token(request: Request) -> str:
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(32)
    return request.session["csrf"]


def check_csrf(request: Request, token: str) -> None:
    expected = request.session.get("csrf", "")
    token = token or ""  # compare_digest refuses str with non-ASCII characters (TypeError); no token has them
    if not expected or not token.isascii() or not hmac.compare_digest(expected, token):
        raise HTTPException(403, "csrf")


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = lang_of(request)
    services = request.app.state.services
    zone = ZoneInfo(services.jurisdiction.timezone)
    other = "en" if lang == "id" else "id"
    return templates.TemplateResponse(request, name, {
        "t": translator(lang), "lang": lang, "csrf": csrf_token(request), "jurisdiction": services.jurisdiction,
        "other_lang": other, "switch_url": str(request.url.include_query_params(lang=other)),
        "local": lambda dt: dt.astimezone(zone).strftime("%d-%m-%Y %H:%M") if dt else "",
        "parse": lambda text: datetime.fromisoformat(text) if text else None,
        **context,
    }, status_code=status_code)


@router.get("/", response_class=HTMLResponse)
async def form_page(request: Request) -> HTMLResponse:
    return render(request, "form.html", form={"client_request_id": secrets.token_hex(16)}, errors=[])


@router.post("/", response_class=HTMLResponse)
async def form_submit(
    request: Request, services: ServicesDep,
    csrf: str = Form(""), category: str = Form(""), title: str = Form(""), description: str = Form(""),
    location: str = Form(""), address: str = Form(""), lat: str = Form(""), lon: str = Form(""),
    name: str = Form(""), phone: str = Form(""), email: str = Form(""), anonymous: str = Form(""),
    confidential: str = Form(""), client_request_id: str = Form(""), photos: list[UploadFile] | None = None,
) -> Response:
    check_csrf(request, csrf)
    services.limiter.check(request)
    form = {"category": category, "title": title, "description": description, "location": location,
            "address": address, "lat": lat, "lon": lon, "name": name, "phone": phone, "email": email,
            "anonymous": bool(anonymous), "confidential": bool(confidential), "client_request_id": client_request_id}
    # One select names either a district (17.71.03) or a whole regency (17.71): no script needed.
    regency, district = (location[:5], location) if len(location) > 5 else (location, None)
    data = {"category": category, "title": title or None, "description": description, "regency": regency,
            "district": district, "address": address or None, "lat": lat or None, "lon": lon or None,
            "reporter": {"name": name or None, "phone": phone or None, "email": email or None},
            "anonymous": bool(anonymous), "confidential": bool(confidential),
            "client_request_id": client_request_id or None}
    uploads = [(p.filename or "", await p.read()) for p in (photos or []) if p.filename]
    try:
        body = ComplaintCreate.model_validate(data)
        accepted = await accept_complaint(services, body, uploads, channel="web")
    except ValidationError as exc:
        return render(request, "form.html", 422, form=form, errors=_messages(exc.errors()))
    except RequestValidationError as exc:
        return render(request, "form.html", 422, form=form, errors=_messages(exc.errors(), skip=1))
    except SubmissionUnavailable as exc:
        return render(request, "form.html", 503, form=form, errors=[str(exc)])
    request.session["new_case"] = accepted.tracking_id
    return RedirectResponse(f"/lacak/{accepted.tracking_id}?kunci={accepted.secret}", status_code=303)


def _messages(errors, skip: int = 0) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc'][skip:])}: {e['msg']}" for e in errors]


@router.get("/lacak", response_class=HTMLResponse)
async def track_lookup(request: Request, id: str = "") -> Response:
    if id:
        case_id = normalize_case_id(id)
        if case_id:
            return RedirectResponse(f"/lacak/{case_id}", status_code=303)
        return render(request, "track_lookup.html", 404, not_found=True, asked=id)
    return render(request, "track_lookup.html", not_found=False, asked="")


@router.get("/lacak/{tracking_id}", response_class=HTMLResponse)
async def track_page(request: Request, tracking_id: str, services: ServicesDep, kunci: str = "") -> HTMLResponse:
    case_id = normalize_case_id(tracking_id)
    case = await services.receipts.read_case(services.es, services.settings.indices.cases, case_id) \
        if case_id else None
    if case is None:
        return render(request, "track_lookup.html", 404, not_found=True, asked=tracking_id)
    owner = is_owner(services, case, kunci)
    view = citizen_view(case, services.jurisdiction, owner=owner)
    if view is None:  # confidential, and no secret: as if there were no such case
        return render(request, "track_lookup.html", 404, not_found=True, asked=tracking_id)
    new = request.session.pop("new_case", None) == case.case_id
    notice = request.session.pop("notice", None)
    return render(request, "track.html", case=view, owner=owner, kunci=kunci if owner else "", new=new,
                  notice=notice)


@router.post("/lacak/{tracking_id}/tindakan")
async def track_action(request: Request, tracking_id: str, services: ServicesDep, csrf: str = Form(""),
                       kunci: str = Form(""), type: str = Form(""), message: str = Form(""), rating: str = Form(""),
                       comment: str = Form(""), reason: str = Form("")) -> Response:
    check_csrf(request, csrf)
    fields = {"message": message or None, "comment": comment or None, "reason": reason or None,
              "rating": int(rating) if rating.isdigit() else None}
    try:
        action = CitizenAction(secret=kunci, type=type, **{k: v for k, v in fields.items() if v is not None})
        outcome, refusal = await act_as_citizen(services, tracking_id, action)
    except (ValidationError, RequestValidationError) as exc:
        request.session["notice"] = {"kind": "refused", "text": "; ".join(_messages(exc.errors()))}
    else:
        if refusal:
            request.session["notice"] = {"kind": "refused", "text": refusal}
        else:
            request.session["notice"] = {"kind": outcome.outcome, "text": ""}
    return RedirectResponse(f"/lacak/{normalize_case_id(tracking_id)}?kunci={kunci}", status_code=303)
