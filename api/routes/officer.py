"""The officer workspace over JSON: queues, the case, its photos, actions and performance records.

Every route takes the caller's scope (search/queue.py: coordinators the whole jurisdiction, officers
and supervisors their agency, administrators no cases). A case outside it answers 404, exactly as a case
that does not exist: the answer never tells another agency's case apart from a wrong id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from pydantic import BaseModel

from api.actions import build_command, send_command
from api.audit_trail import contact_viewed, photo_viewed
from api.auth import StaffDep
from api.deps import ServicesDep
from api.routes.complaints import NOT_FOUND, case_or_404, deadlines_of
from api.routes.public import FIRST_DAY, LAST_DAY
from api.routes.responses import BODY, KAFKA_UNAVAILABLE, STAFF, not_found
from api.schemas import AgencyRef, OfficerCase, QueueItem, QueuePageOut, ReporterContact, StaffTimelineItem
from domain.access import for_staff, performance_scope
from domain.case import Case, Status
from domain.commands import CITIZEN_COMMANDS
from domain.events import Actor
from domain.jurisdiction import Jurisdiction
from domain.lifecycle import allowed_actions
from search.performance import performance
from search.queue import MAX_PAGE_SIZE, PAGE_SIZE, QueueFilters, View, in_scope, read_queue

router = APIRouter(prefix="/api/v1/officer", tags=["officer"], responses=STAFF)  # every route needs a staff token
_OUT_OF_SCOPE = not_found("No such case in your scope")


class ActionAccepted(BaseModel):
    command_id: str
    case_id: str


async def case_in_scope(services, actor: Actor, case_id: str) -> Case:
    """The case, if it exists and `actor` may see it; 404 otherwise (the same answer for both)."""
    case = await case_or_404(services, case_id)
    if not in_scope(actor, case.agency):
        raise HTTPException(404, NOT_FOUND)  # the same answer as for no such case
    return case


def officer_view(case: Case, actor: Actor, jurisdiction: Jurisdiction, photo_url: str,
                 now: datetime | None = None) -> OfficerCase:
    """The staff view of `case` for `actor`; `photo_url` has {case_id} and {photo_id} to fill in. An *anonim*
    reporter is in none of it (`domain.access.for_staff`)."""
    case = for_staff(case)
    c = case.complaint
    agency = jurisdiction.agency(case.agency) if case.agency else None
    return OfficerCase(
        tracking_id=case.case_id, seq=case.seq, status=case.status.value, category=c.category, regency=c.regency,
        district=c.district, address=c.address, lat=c.lat, lon=c.lon, title=c.title, description=c.description,
        channel=c.channel, anonymous=c.anonymous, confidential=c.confidential,
        reporter=None if c.anonymous else ReporterContact(**c.reporter.model_dump()),
        personal_data_erased_at=case.erased_at,
        agency=AgencyRef(code=agency.code, name=agency.name) if agency else None, assignee=case.assignee,
        submitted_at=case.submitted_at, updated_at=case.updated_at, resolution=case.resolution,
        rating=case.rating, rating_comment=case.rating_comment, reopen_count=case.reopen_count,
        rejection_reason=case.rejection_reason, refer_to=case.refer_to, merged_into=case.merged_into,
        breached=case.breached, escalated=case.escalated,
        photos=[photo_url.format(case_id=case.case_id, photo_id=p) for p in c.photos], photo_ids=list(c.photos),
        public_photos=list(case.public_photos), attributes=dict(c.attributes), media_url=c.media_url,
        deadlines=deadlines_of(case, jurisdiction, now or datetime.now(UTC)),
        timeline=[StaffTimelineItem(seq=t.seq, type=t.type, status=t.status.value, occurred_at=t.occurred_at,
                                    actor_role=t.actor.role, actor_id=t.actor.id, actor_agency=t.actor.agency,
                                    agency=t.agency, text=t.text, public=t.public) for t in case.timeline],
        actions=allowed_actions(case, actor),
        templates={kind: jurisdiction.reply_template(kind, c.category, case.case_id, case.agency)
                   for kind in ("reply", "request_info", "resolve")},
    )


def queue_item(case: Case, due_at: datetime | None) -> QueueItem:
    c = for_staff(case).complaint
    summary = c.description if len(c.description) <= 160 else c.description[:157].rstrip() + "…"
    return QueueItem(tracking_id=case.case_id, status=case.status.value, category=c.category, regency=c.regency,
                     district=c.district, agency=case.agency, assignee=case.assignee, title=c.title,
                     summary=summary, submitted_at=case.submitted_at, due_at=due_at,
                     breached=case.breached)


@router.get("/queue", response_model=QueuePageOut)
async def read_queue_page(
    services: ServicesDep, actor: StaffDep,
    view: Annotated[View, Query(description="mine: assigned to you; agency: every open case; unassigned; "
                                            "due_soon: due within 24 hours; breached; verification: new cases "
                                            "waiting for a coordinator")] = "agency",
    category: Annotated[str | None, Query(max_length=40)] = None,
    regency: Annotated[str | None, Query(pattern=r"^\d{2}\.\d{2}$")] = None,
    state: Annotated[Status | None, Query(description="a case status; replaces the view's open statuses")] = None,
    q: Annotated[str | None, Query(max_length=200, description="words of the title or description, or a "
                                                              "tracking id; * for all")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
) -> QueuePageOut:
    """The caller's queue, nearest deadline first, with the number of cases in every view."""
    found = await read_queue(services.es, services.settings.indices.cases, actor, view,
                             QueueFilters(category, regency, state.value if state else None, q),
                             datetime.now(UTC), page, size)
    return QueuePageOut(view=view, counts=found.counts, total=found.total, page=found.page, pages=found.pages,
                        size=found.size, items=[queue_item(c, d) for c, d in zip(found.cases, found.due, strict=True)])


@router.get("/cases/{case_id}", response_model=OfficerCase, responses=_OUT_OF_SCOPE)
async def read_case(case_id: str, services: ServicesDep, actor: StaffDep) -> OfficerCase:
    """The whole case: timeline with who did what (internal notes too), clocks, photos, the reporter's contact
    unless the case is anonymous, and the actions your role allows now."""
    case = await case_in_scope(services, actor, case_id)
    view = officer_view(case, actor, services.jurisdiction, "/api/v1/officer/cases/{case_id}/photos/{photo_id}")
    await contact_viewed(services, actor, view, "api")  # recorded before it is answered (README, "Audit trail")
    return view


@router.get("/cases/{case_id}/photos/{photo_id}", response_class=FileResponse, responses=_OUT_OF_SCOPE)
async def read_photo(case_id: str, photo_id: str, services: ServicesDep, actor: StaffDep) -> FileResponse:
    case = await case_in_scope(services, actor, case_id)
    answer = services.photos.response(case.case_id, photo_id, case.complaint.photos, "private, no-store")
    await photo_viewed(services, actor, case.case_id, photo_id, "api")
    return answer


@router.get("/performance")
async def read_performance(
    services: ServicesDep, actor: StaffDep,
    group: Annotated[Literal["agency", "officer"], Query(description="one row per agency or per officer")] = "agency",
    since: Annotated[datetime | None, Query(alias="from", description="cases submitted from (ISO 8601; without an "
                                                                     "offset, UTC; from the year 2000)")] = None,
    until: Annotated[datetime | None, Query(alias="to", description="cases submitted before (ISO 8601; up to the "
                                                                   "year 2999)")] = None,
) -> dict:
    """Performance records in working time: cases received and handled, median and p90 hours to the first
    response and to resolution, share within SLA per stage, breaches, reopen rate, average rating. Officers
    and supervisors see their agency, and per officer supervisors every officer of it, an officer only their
    own row; coordinators the whole jurisdiction."""
    agency, officer = performance_scope(actor, group)
    since, until = instant("from", since), instant("to", until)
    if since and until and since > until:
        raise RequestValidationError([{"type": "value_error", "loc": ("query", "from"), "input": since.isoformat(),
                                       "msg": "'from' jatuh setelah 'to' / 'from' is after 'to'"}])
    rows = await performance(services.es, services.settings.indices.cases, agency, group, since, until, officer)
    return {"scope": agency or "jurisdiction", "group": group, "rows": rows}


def instant(name: str, value: datetime | None) -> datetime | None:
    """`value` in UTC (a time without offset is UTC, as before); 422 naming the parameter for a day outside
    FIRST_DAY..LAST_DAY. Elasticsearch takes offsets up to 18 hours only, Python up to 24: UTC has none."""
    if value is None:
        return None
    if not FIRST_DAY <= value.date() <= LAST_DAY:
        raise RequestValidationError([{"type": "value_error", "loc": ("query", name), "input": value.isoformat(),
                                       "msg": f"di luar / outside {FIRST_DAY.isoformat()}..{LAST_DAY.isoformat()}"}])
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


@router.post("/cases/{case_id}/actions", status_code=status.HTTP_202_ACCEPTED, response_model=ActionAccepted,
             responses=BODY | _OUT_OF_SCOPE | KAFKA_UNAVAILABLE)
async def act(case_id: str, services: ServicesDep, actor: StaffDep,
              body: dict[str, Any] = Body(..., examples=[{"type": "reply", "message": "Sedang kami tangani."}]),
              ) -> ActionAccepted:
    """Send a command (acknowledge, reply, request_info, add_note, transfer, not_our_authority, resolve,
    reassign; coordinators also dispatch, reject, merge). 202 once Kafka has it; the case agent decides,
    and a refused command shows in the case's timeline with its reason."""
    case = await case_in_scope(services, actor, case_id)
    if body.get("type") in CITIZEN_COMMANDS:
        raise RequestValidationError([{"type": "value_error", "loc": ("body", "type"), "input": body["type"],
                                       "msg": f"{body['type']} is the citizen's action"}])
    command = build_command(case.case_id, actor, body, datetime.now(UTC).isoformat())
    await send_command(services, command)
    return ActionAccepted(command_id=command.command_id, case_id=case.case_id)
