"""Citizens' complaints over JSON: submit one, read its citizen view."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.actions import await_outcome, build_command, send_command
from api.auth import citizen_secret, citizen_secret_matches
from api.deps import JurisdictionDep, ServicesDep
from api.schemas import (
    ActionOutcome,
    AgencyRef,
    CitizenAction,
    ComplaintAccepted,
    ComplaintCreate,
    ComplaintPublic,
    TimelineItem,
)
from domain.case import CITIZEN, Case, apply
from domain.complaint import Complaint
from domain.ids import normalize_case_id
from domain.jurisdiction import Jurisdiction
from producers.kafka import NotConfirmed
from search.cases import get_case

log = logging.getLogger(__name__)
ACTION_WAIT_S = 5.0
router = APIRouter(prefix="/api/v1/complaints", tags=["complaints"])

UNAVAILABLE = (
    "Pengaduan belum dapat disimpan, silakan coba lagi sebentar lagi. / "
    "Your complaint could not be recorded yet; please try again shortly."
)


def check_codes(body: ComplaintCreate, jurisdiction: Jurisdiction) -> None:
    """Codes must name this jurisdiction's category, regency and district: 422 naming the field."""
    errors = []
    if jurisdiction.category(body.category) is None:
        errors.append(("category", body.category, "kategori tidak dikenal / unknown category"))
    regency = jurisdiction.regency(body.regency)
    if regency is None:
        errors.append(("regency", body.regency, "kabupaten/kota tidak dikenal / unknown regency"))
    elif body.district is not None and body.district not in {d.code for d in regency.districts}:
        errors.append(("district", body.district, "kecamatan tidak dikenal / unknown district"))
    if errors:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", field), "msg": msg, "input": value}
             for field, value, msg in errors]
        )


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=ComplaintAccepted,
             responses={503: {"description": "Kafka did not confirm the submission"}})
async def submit_complaint(body: ComplaintCreate, services: ServicesDep) -> ComplaintAccepted | JSONResponse:
    check_codes(body, services.jurisdiction)
    complaint = Complaint(**body.model_dump(), channel="api")
    try:
        receipt = await services.intake.submit(complaint)
    except NotConfirmed as exc:
        log.error("submission not confirmed by Kafka: %s", exc)
        return JSONResponse({"detail": UNAVAILABLE}, status_code=503, headers={"Retry-After": "10"})
    await _write_receipt(services, apply(None, receipt.event))
    secret = citizen_secret(services.settings.secret(), receipt.case_id)
    base = services.settings.base_url
    return ComplaintAccepted(
        tracking_id=receipt.case_id,
        status="received",
        status_url=f"{base}/api/v1/complaints/{receipt.case_id}",
        secret=secret,
        tracking_url=f"{base}/lacak/{receipt.case_id}?kunci={secret}",
    )


async def _write_receipt(services, case: Case) -> None:
    # The case agent will project this same first event; writing it now (same version, same
    # document) lets the citizen read their case at once. Kafka already has it, so a failure here
    # loses nothing: the projection catches up.
    try:
        await services.receipts.write(case)
    except Exception as exc:  # noqa: BLE001 - best effort by design
        log.warning("receipt of case %s not indexed yet: %s", case.case_id, exc)


@router.get("/{tracking_id}", response_model=ComplaintPublic, responses={404: {"description": "No such case"}})
async def read_complaint(tracking_id: str, services: ServicesDep, jurisdiction: JurisdictionDep) -> ComplaintPublic:
    case_id = normalize_case_id(tracking_id)
    case = await get_case(services.es, services.settings.indices.cases, case_id) if case_id else None
    if case is None:
        raise HTTPException(404, "Kasus tidak ditemukan / case not found")
    return citizen_view(case, jurisdiction)


@router.post("/{tracking_id}/actions", response_model=ActionOutcome,
             responses={202: {"model": ActionOutcome, "description": "Accepted, not applied yet"},
                        403: {"description": "Wrong secret"}, 404: {"description": "No such case"},
                        409: {"description": "The case agent refused the action; detail says why"}})
async def citizen_action(tracking_id: str, body: CitizenAction, services: ServicesDep,
                         jurisdiction: JurisdictionDep) -> ActionOutcome | JSONResponse:
    """Reply to a question, accept the resolution with a rating (1-5), or reopen it with a reason. Needs the
    secret given at submission. Waits (a few seconds at most) for the case agent, so the answer shows the
    case with the action applied."""
    case_id = normalize_case_id(tracking_id)
    case = await get_case(services.es, services.settings.indices.cases, case_id) if case_id else None
    if case is None:
        raise HTTPException(404, "Kasus tidak ditemukan / case not found")
    if not citizen_secret_matches(services.settings.secret(), case.case_id, body.secret):
        raise HTTPException(403, "Kode rahasia salah / wrong secret for this case")
    command = build_command(case.case_id, CITIZEN, body.model_dump(exclude_none=True), datetime.now(UTC).isoformat())
    await send_command(services, command)
    applied, refusal = await await_outcome(services, case.case_id, command.command_id, ACTION_WAIT_S)
    if refusal:
        return JSONResponse({"detail": refusal, "command_id": command.command_id}, status_code=409)
    if applied is None:
        return JSONResponse(ActionOutcome(command_id=command.command_id, outcome="pending").model_dump(),
                            status_code=202)
    return ActionOutcome(command_id=command.command_id, outcome="applied",
                         complaint=citizen_view(applied, jurisdiction))


def citizen_view(case: Case, jurisdiction: Jurisdiction) -> ComplaintPublic:
    agency = jurisdiction.agency(case.agency) if case.agency else None
    return ComplaintPublic(
        tracking_id=case.case_id,
        status=case.status.value,
        category=case.complaint.category,
        regency=case.complaint.regency,
        district=case.complaint.district,
        agency=AgencyRef(code=agency.code, name=agency.name) if agency else None,
        submitted_at=case.submitted_at,
        updated_at=case.updated_at,
        resolution=case.resolution,
        rating=case.rating,
        rejection_reason=case.rejection_reason,
        refer_to=case.refer_to,
        merged_into=case.merged_into,
        timeline=[
            TimelineItem(type=t.type, status=t.status.value, occurred_at=t.occurred_at,
                         by=t.actor.agency or t.actor.role, text=t.text)
            for t in case.timeline if t.public
        ],
    )
