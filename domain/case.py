"""The case: its state, rebuilt from its events, and the decisions the case agent takes.

``apply(case, event)`` is the one place state changes; replaying a case's events through it always
rebuilds the same state. ``decide_*`` functions take state and an input and answer with new events.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain import events as ev
from domain.complaint import Complaint
from domain.events import Actor, Event
from domain.jurisdiction import Jurisdiction
from domain.routing import route

SYSTEM_ROUTING = Actor(role="system", id="routing")
CITIZEN = Actor(role="citizen")


class Status(StrEnum):
    RECEIVED = "received"
    ROUTED = "routed"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CITIZEN = "waiting_on_citizen"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    REJECTED = "rejected"
    MERGED = "merged"


class TimelineEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    type: str
    occurred_at: AwareDatetime
    actor: Actor
    status: Status


class Case(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    seq: int
    status: Status
    complaint: Complaint
    submitted_at: AwareDatetime
    updated_at: AwareDatetime
    agency: str | None = None
    routed_at: AwareDatetime | None = None
    timeline: tuple[TimelineEntry, ...] = ()


class SequenceError(Exception):
    """An event that does not follow the case's last one: a gap, or an event for an unknown case."""


class ConflictingSubmission(Exception):
    """Two different complaints under one case id (a client reused its request id for new content)."""


def apply(case: Case | None, event: Event) -> Case:
    expected = 1 if case is None else case.seq + 1
    if event.seq != expected:
        raise SequenceError(f"case {event.case_id}: expected seq {expected}, got {event.seq}")
    if event.type == ev.COMPLAINT_SUBMITTED:
        case = Case(
            case_id=event.case_id,
            seq=event.seq,
            status=Status.RECEIVED,
            complaint=Complaint.model_validate(event.payload["complaint"]),
            submitted_at=event.occurred_at,
            updated_at=event.occurred_at,
        )
    elif case is None:
        raise SequenceError(f"case {event.case_id}: first event is {event.type}, not a submission")
    elif event.type == ev.CASE_ROUTED:
        case = case.model_copy(
            update={"status": Status.ROUTED, "agency": event.payload["agency"], "routed_at": event.occurred_at}
        )
    else:
        # A type this version does not know changes nothing but the position in the log.
        case = case.model_copy()
    entry = TimelineEntry(
        seq=event.seq, type=event.type, occurred_at=event.occurred_at, actor=event.actor, status=case.status
    )
    return case.model_copy(update={"seq": event.seq, "updated_at": event.occurred_at,
                                   "timeline": (*case.timeline, entry)})


def replay(events: list[Event]) -> Case | None:
    case: Case | None = None
    for event in events:
        case = apply(case, event)
    return case


def submission_event(case_id: str, complaint: Complaint, now: datetime) -> Event:
    """The first event of every case; made at intake, appended to the log by the case agent."""
    return ev.new_event(
        case_id, 1, ev.COMPLAINT_SUBMITTED, now, CITIZEN, complaint=complaint.model_dump(mode="json")
    )


def decide_submission(
    case: Case | None, submitted: Event, jurisdiction: Jurisdiction, now: datetime
) -> list[Event]:
    """A submission opens the case and routes it; the same submission again changes nothing."""
    if case is not None:
        first = Complaint.model_validate(submitted.payload["complaint"])
        if first == case.complaint:
            return []
        raise ConflictingSubmission(f"case {case.case_id} already holds a different complaint")
    opened = apply(None, submitted)
    agency = route(jurisdiction, opened.complaint.category, opened.complaint.regency)
    routed = ev.new_event(opened.case_id, 2, ev.CASE_ROUTED, max(now, submitted.occurred_at),
                          SYSTEM_ROUTING, agency=agency)
    return [submitted, routed]
