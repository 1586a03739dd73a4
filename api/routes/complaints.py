"""Citizens' complaints over JSON (or multipart with photos): submit, read the citizen view, act."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from pydantic import ValidationError

from api.actions import await_outcome, build_command, send_command
from api.auth import case_secret_keys, citizen_secret_matches
from api.deps import JurisdictionDep, ServicesDep
from api.routes.responses import BODY, INVALID, JSON, KAFKA_UNAVAILABLE, RATE_LIMITED
from api.schemas import (
    ActionOutcome,
    CaseTracking,
    CitizenAction,
    CitizenCase,
    ComplaintAccepted,
    ComplaintCreate,
    Deadline,
)
from api.submission import DuplicateRequestId, SubmissionUnavailable, accept_complaint
from domain import access
from domain.case import CITIZEN, Case
from domain.ids import normalize_case_id
from domain.jurisdiction import Jurisdiction

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/complaints", tags=["complaints"])
ACTION_WAIT_S = 5.0
NOT_FOUND = "Kasus tidak ditemukan / case not found"

_MULTIPART_DOC = {
    "requestBody": {"content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/ComplaintCreate"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "complaint": {"type": "string", "description": "the JSON body, as text"},
            "photos": {"type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": 3},
        }, "required": ["complaint"]}},
    }, "required": True},
}


async def _read_submission(request: Request) -> tuple[ComplaintCreate, list[tuple[str, bytes]]]:
    content_type = request.headers.get("content-type", "")
    uploads: list[tuple[str, bytes]] = []
    try:
        if content_type.startswith("multipart/form-data"):
            form = await request.form(max_files=3, max_fields=10)
            raw = form.get("complaint")
            if not isinstance(raw, str):
                raise RequestValidationError([{"type": "missing", "loc": ("body", "complaint"), "input": None,
                                               "msg": "the complaint's JSON goes in the form field 'complaint'"}])
            data = json.loads(raw)
            for upload in form.getlist("photos"):
                if hasattr(upload, "read"):
                    uploads.append((upload.filename or "", await upload.read()))
        else:
            data = await request.json()
        return ComplaintCreate.model_validate(data), uploads
    except json.JSONDecodeError as exc:
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body",), "msg": f"not JSON: {exc}",
                                       "input": None}]) from None
    except UnicodeDecodeError:
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body",), "input": None,
                                       "msg": "the body is not UTF-8 text: send JSON in UTF-8"}]) from None
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]) \
            from None


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=ComplaintAccepted, openapi_extra=_MULTIPART_DOC,
             responses=BODY | INVALID | RATE_LIMITED | KAFKA_UNAVAILABLE | {
                 409: {"description": "The client_request_id was used before for a different complaint"}})
async def submit_complaint(request: Request, services: ServicesDep) -> ComplaintAccepted | JSON:
    """Submit a complaint as JSON, or as multipart/form-data with the JSON in `complaint` and up to 3
    `photos`. 202 only once Kafka has confirmed it. Keep the `secret`: it is shown once."""
    services.limiter.check(request)
    body, uploads = await _read_submission(request)
    try:
        return await accept_complaint(services, body, uploads, channel="api")
    except DuplicateRequestId as exc:
        return JSON({"detail": str(exc)}, status_code=409)
    except SubmissionUnavailable as exc:
        return JSON({"detail": str(exc)}, status_code=503, headers={"Retry-After": "10"})


@router.get("/{tracking_id}", response_model=CitizenCase | CaseTracking,
            responses={404: {"description": "No such case (or a confidential one, without its secret)"}})
async def read_complaint(tracking_id: str, services: ServicesDep, jurisdiction: JurisdictionDep,
                         kunci: str = "") -> CitizenCase | CaseTracking:
    """Where the case stands. With the secret (`kunci`, from the tracking link) the citizen sees their whole
    case; without it (or with a wrong one) only its status, agency, dates, deadlines and history without texts,
    and its scrubbed public texts once it is published (README, "Who sees what")."""
    case = await case_or_404(services, tracking_id)
    view = citizen_view(case, jurisdiction, owner=is_owner(services, case, kunci))
    if view is None:
        raise HTTPException(404, NOT_FOUND)
    return view


@router.get("/{tracking_id}/photos/{photo_id}", response_class=FileResponse,
            responses={403: {"description": "Wrong secret"}, 404: {"description": "No such photo"}})
async def read_photo(tracking_id: str, photo_id: str, secret: str, services: ServicesDep) -> FileResponse:
    """A photo of the case, for its submitter (the secret is needed: photos may show people and homes)."""
    case = await case_or_404(services, tracking_id)
    require_owner(services, case, secret)
    return services.photos.response(case.case_id, photo_id, case.complaint.photos, "private, max-age=3600")


@router.post("/{tracking_id}/actions", response_model=ActionOutcome,
             responses=BODY | KAFKA_UNAVAILABLE | {
                 202: {"model": ActionOutcome, "description": "Accepted, not applied yet"},
                 403: {"description": "Wrong secret"}, 404: {"description": "No such case"},
                 409: {"description": "The case agent refused the action; detail says why"}})
async def citizen_action(tracking_id: str, body: CitizenAction, services: ServicesDep,
                         jurisdiction: JurisdictionDep) -> ActionOutcome | JSON:
    """Reply to a question, accept the resolution with a rating (1-5), or reopen it with a reason. Needs the
    secret given at submission. Waits (a few seconds at most) for the case agent, so the answer shows the
    case with the action applied."""
    outcome, refusal = await act_as_citizen(services, tracking_id, body)
    if refusal:
        return JSON({"detail": refusal, "command_id": outcome.command_id}, status_code=409)
    if outcome.outcome == "pending":
        return JSON(outcome.model_dump(), status_code=202)
    return outcome


async def act_as_citizen(services, tracking_id: str, body: CitizenAction) -> tuple[ActionOutcome, str | None]:
    """Send the citizen's command and wait for it: (outcome, refusal reason or None)."""
    case = await case_or_404(services, tracking_id)
    require_owner(services, case, body.secret)
    command = build_command(case.case_id, CITIZEN, body.model_dump(exclude_none=True), datetime.now(UTC).isoformat())
    await send_command(services, command)
    applied, refusal = await await_outcome(services, case.case_id, command.command_id, ACTION_WAIT_S)
    if applied is None:
        return ActionOutcome(command_id=command.command_id, outcome="pending"), None
    return ActionOutcome(command_id=command.command_id, outcome="applied",
                         complaint=citizen_view(applied, services.jurisdiction, owner=True)), refusal


async def case_or_404(services, tracking_id: str) -> Case:
    """The case under a tracking id as people type it, or 404."""
    case_id = normalize_case_id(tracking_id)
    case = await services.receipts.read_case(services.es, services.settings.indices.cases, case_id) \
        if case_id else None
    if case is None:
        raise HTTPException(404, NOT_FOUND)
    return case


def is_owner(services, case: Case, kunci: str | None) -> bool:
    """Does `kunci` hold the case's secret (the citizen who submitted it)?"""
    return bool(kunci) and citizen_secret_matches(case_secret_keys(services.keys), case.case_id, kunci)


def require_owner(services, case: Case, secret: str | None) -> None:
    """403 for a wrong secret; 404 for a confidential case, which does not exist without its secret."""
    if not is_owner(services, case, secret):
        if not access.visible_by_tracking_id(case):
            raise HTTPException(404, NOT_FOUND)
        raise HTTPException(403, "Kode rahasia salah / wrong secret for this case")


def citizen_view(case: Case, jurisdiction: Jurisdiction, owner: bool, now: datetime | None = None
                 ) -> CitizenCase | CaseTracking | None:
    """The citizen's view as `domain.access` allows it; None when the case must answer 404."""
    view = access.citizen_view(case, jurisdiction, now or datetime.now(UTC), owner)
    if view is None:
        return None
    return CitizenCase.model_validate(view) if owner else CaseTracking.model_validate(view)


def deadlines_of(case: Case, jurisdiction: Jurisdiction, now: datetime) -> list[Deadline]:
    return [Deadline(**d) for d in access.deadlines(case, jurisdiction, now)]
