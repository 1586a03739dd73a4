"""Officer actions over JSON (the officer workspace issue adds the pages and the queues)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, status
from pydantic import BaseModel

from api.actions import build_command, send_command
from api.auth import StaffDep
from api.deps import ServicesDep
from domain.commands import CITIZEN_COMMANDS
from domain.events import Actor
from domain.ids import normalize_case_id
from search.cases import get_case
from search.performance import performance

router = APIRouter(prefix="/api/v1/officer", tags=["officer"])


class ActionAccepted(BaseModel):
    command_id: str
    case_id: str


def in_scope(actor: Actor, agency: str | None) -> bool:
    """Coordinators see the whole jurisdiction; everyone else their own agency (DESIGN.md rule 8)."""
    return actor.role == "coordinator" or (agency is not None and agency == actor.agency)


@router.get("/performance")
async def read_performance(
    services: ServicesDep, actor: StaffDep,
    group: Annotated[Literal["agency", "officer"], Query(description="one row per agency or per officer")] = "agency",
    since: Annotated[datetime | None, Query(alias="from", description="cases submitted from (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(alias="to", description="cases submitted before (ISO 8601)")] = None,
) -> dict:
    """Performance records in working time: cases received and handled, median and p90 hours to the first
    response and to resolution, share within SLA per stage, breaches, reopen rate, average rating. Officers
    and supervisors see their agency; coordinators the whole jurisdiction."""
    agency = None if actor.role in ("coordinator", "admin") else actor.agency
    rows = await performance(services.es, services.settings.indices.cases, agency, group, since, until)
    return {"scope": agency or "jurisdiction", "group": group, "rows": rows}


@router.post("/cases/{case_id}/actions", status_code=status.HTTP_202_ACCEPTED, response_model=ActionAccepted,
             responses={404: {"description": "No such case in your scope"}})
async def act(case_id: str, services: ServicesDep, actor: StaffDep,
              body: dict[str, Any] = Body(..., examples=[{"type": "reply", "message": "Sedang kami tangani."}]),
              ) -> ActionAccepted:
    """Send a command (acknowledge, reply, request_info, add_note, transfer, not_our_authority, resolve,
    reassign; coordinators also dispatch, reject, merge). 202 once Kafka has it; the case agent decides,
    and a refused command shows in the case's timeline with its reason."""
    normalized = normalize_case_id(case_id)
    case = await get_case(services.es, services.settings.indices.cases, normalized) if normalized else None
    if case is None or not in_scope(actor, case.agency):
        raise HTTPException(404, "Kasus tidak ditemukan / case not found")
    if body.get("type") in CITIZEN_COMMANDS:
        raise HTTPException(422, f"{body['type']} is the citizen's action")
    command = build_command(case.case_id, actor, body, datetime.now(UTC).isoformat())
    await send_command(services, command)
    return ActionAccepted(command_id=command.command_id, case_id=case.case_id)
