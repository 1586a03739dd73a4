"""The case: its state, rebuilt from its events.

``apply(case, event)`` is the one place state changes; replaying a case's events through it always
rebuilds the same state. Decisions (which events a command produces) live in `domain.lifecycle`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain import events as ev
from domain.complaint import Complaint, Reporter
from domain.erasure import ERASED, erased_text
from domain.events import Actor, Event

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


FINAL = frozenset({Status.CLOSED, Status.REJECTED, Status.MERGED})


class TimelineEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    type: str
    occurred_at: AwareDatetime
    actor: Actor
    status: Status  # the case's status after this event
    agency: str | None = None  # the agency holding the case after this event
    text: str | None = None  # the message, question, note, resolution or reason the event carries
    public: bool  # may the citizen (and, once resolved, the public) see it
    command_id: str | None = None  # the command that led to this event, if one did


class PublishedText(BaseModel):
    """The texts of a case's public record, scrubbed of personal data, as they were when it was published (the
    `public` part of its `case.resolved` event, in clear): what the public record shows once the case's
    personal data is erased, when the originals they were scrubbed from are gone."""

    model_config = ConfigDict(frozen=True)

    title: str | None = None
    description: str | None = None
    resolution: str | None = None
    texts: dict[int, str] = {}  # seq -> the scrubbed text of that timeline entry (the agency's public texts)


class Case(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    seq: int
    status: Status
    complaint: Complaint
    submitted_at: AwareDatetime
    updated_at: AwareDatetime
    agency: str | None = None
    assignee: str | None = None
    routed_at: AwareDatetime | None = None
    acknowledged_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    resolution: str | None = None
    rating: int | None = None
    rating_comment: str | None = None
    reopen_count: int = 0
    rejection_reason: str | None = None
    refer_to: str | None = None
    merged_into: str | None = None
    command_ids: tuple[str, ...] = ()  # every command applied or refused, so a repeat changes nothing
    sla_fired: tuple[str, ...] = ()  # the SLA alarms recorded (clock, its start, level): each fires once
    escalated: bool = False  # raised to the coordinators after a second breach
    public_photos: tuple[str, ...] = ()  # photos an officer allowed on the public page
    timeline: tuple[TimelineEntry, ...] = ()
    published_text: PublishedText | None = None  # recorded at the last resolution (domain.public)
    erased_at: AwareDatetime | None = None  # its personal data erased (domain/erasure.py)

    @property
    def breached(self) -> bool:
        """A deadline of the case was missed (an SLA breach is recorded)."""
        return any(key.endswith("#breach") for key in self.sla_fired)


class SequenceError(Exception):
    """An event that does not follow the case's last one: a gap, or an event for an unknown case."""


def _routed(case: Case, e: Event) -> dict[str, Any]:
    return {"status": Status.ROUTED, "agency": e.payload["agency"], "assignee": None, "routed_at": e.occurred_at,
            "acknowledged_at": None}


def _acknowledged(case: Case, e: Event) -> dict[str, Any]:
    return {"status": Status.IN_PROGRESS, "acknowledged_at": case.acknowledged_at or e.occurred_at,
            "assignee": case.assignee or e.actor.id}


def _published(e: Event) -> PublishedText | None:
    """The public texts an event records in clear (`public`: a resolution's, or an erasure's for a case resolved
    before resolutions recorded them)."""
    return PublishedText.model_validate(e.payload["public"]) if isinstance(e.payload.get("public"), dict) else None


def _citizen_replied(case: Case, e: Event) -> dict[str, Any]:
    back = case.status is Status.WAITING_ON_CITIZEN
    return {"status": Status.IN_PROGRESS} if back else {}


_APPLY: dict[str, Callable[[Case, Event], dict[str, Any]]] = {
    ev.CASE_ROUTED: _routed,
    ev.CASE_ACKNOWLEDGED: _acknowledged,
    ev.CASE_REPLIED: lambda c, e: {"acknowledged_at": c.acknowledged_at or e.occurred_at},
    ev.CASE_INFO_REQUESTED: lambda c, e: {"status": Status.WAITING_ON_CITIZEN,
                                          "acknowledged_at": c.acknowledged_at or e.occurred_at},
    ev.CASE_NOTE_ADDED: lambda c, e: {},
    ev.CASE_RETURNED: lambda c, e: {"status": Status.RECEIVED, "agency": None, "assignee": None,
                                    "routed_at": None, "acknowledged_at": None},
    ev.CASE_RESOLVED: lambda c, e: {"status": Status.RESOLVED, "resolution": e.payload.get("resolution", ERASED),
                                    "resolved_at": e.occurred_at, "published_text": _published(e)},
    ev.CASE_REASSIGNED: lambda c, e: {"assignee": e.payload["assignee"]},
    ev.CITIZEN_REPLIED: _citizen_replied,
    ev.CASE_CLOSED: lambda c, e: {"status": Status.CLOSED, "closed_at": e.occurred_at,
                                  "rating": e.payload.get("rating"), "rating_comment": e.payload.get("comment"),
                                  "sla_fired": (*c.sla_fired, e.payload["alarm"]) if "alarm" in e.payload
                                  else c.sla_fired},
    ev.CASE_REOPENED: lambda c, e: {"status": Status.REOPENED, "reopen_count": c.reopen_count + 1,
                                    "resolution": None, "resolved_at": None},
    ev.CASE_REJECTED: lambda c, e: {"status": Status.REJECTED, "rejection_reason": e.payload.get("reason", ERASED),
                                    "refer_to": e.payload.get("refer_to"), "closed_at": e.occurred_at},
    ev.CASE_MERGED: lambda c, e: {"status": Status.MERGED, "merged_into": e.payload["into"],
                                  "closed_at": e.occurred_at},
    ev.CASE_MADE_CONFIDENTIAL: lambda c, e: {"complaint": c.complaint.model_copy(update={"confidential": True}),
                                             "public_photos": ()},
    ev.CASE_PHOTO_PUBLISHED: lambda c, e: {"public_photos": (*c.public_photos, e.payload["photo_id"])},
    ev.COMMAND_REJECTED: lambda c, e: {},
    ev.SLA_WARNING: lambda c, e: {"sla_fired": (*c.sla_fired, e.payload["alarm"])},
    ev.SLA_BREACHED: lambda c, e: {"sla_fired": (*c.sla_fired, e.payload["alarm"])},
    ev.SLA_ESCALATED: lambda c, e: {"sla_fired": (*c.sla_fired, e.payload["alarm"]), "escalated": True},
    ev.CASE_PERSONAL_DATA_ERASED: lambda c, e: {"erased_at": c.erased_at or e.occurred_at,
                                                "published_text": c.published_text or _published(e)},
}

# The payload field an event's timeline entry shows as its text.
TEXT_FIELD = {
    ev.CASE_REPLIED: "message", ev.CITIZEN_REPLIED: "message", ev.CASE_INFO_REQUESTED: "question",
    ev.CASE_NOTE_ADDED: "text", ev.CASE_RESOLVED: "resolution", ev.CASE_RETURNED: "reason",
    ev.CASE_REOPENED: "reason", ev.CASE_REJECTED: "reason", ev.COMMAND_REJECTED: "reason",
    ev.CASE_ROUTED: "reason", ev.CASE_CLOSED: "comment", ev.CASE_MADE_CONFIDENTIAL: "reason",
}


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
        updates: dict[str, Any] = {}
    elif case is None:
        raise SequenceError(f"case {event.case_id}: first event is {event.type}, not a submission")
    else:
        # A type this version does not know changes nothing but the position in the log.
        updates = _APPLY.get(event.type, lambda c, e: {})(case, event)
    command_id = event.payload.get("command_id")
    if command_id:
        updates["command_ids"] = (*case.command_ids, command_id)
    case = case.model_copy(update=updates)
    entry = TimelineEntry(
        seq=event.seq, type=event.type, occurred_at=event.occurred_at, actor=event.actor, status=case.status,
        agency=case.agency,
        text=event.payload.get(TEXT_FIELD.get(event.type, ""), None), public=event.type in ev.PUBLIC_TYPES,
        command_id=command_id,
    )
    # An erasure is no news of the case: its last change (shown in public) stays what it was.
    updated_at = case.updated_at if event.type == ev.CASE_PERSONAL_DATA_ERASED else event.occurred_at
    case = case.model_copy(update={"seq": event.seq, "updated_at": updated_at, "timeline": (*case.timeline, entry)})
    # Erased once, erased for good: what an event brings later is erased as it comes.
    return erased(case) if case.erased_at is not None else case


def erased(case: Case) -> Case:
    """`case` with its personal data erased (domain/erasure.py): each given text ERASED, the contact, the
    coordinates, the attribute answers, the media link and the photos gone. Everything else stays: status,
    agency, times, SLA alarms, rating, the published public texts."""
    c = case.complaint
    complaint = c.model_copy(update={
        "reporter": Reporter(), "title": erased_text(c.title), "description": ERASED,
        "address": erased_text(c.address), "lat": None, "lon": None, "attributes": {}, "media_url": None,
        "photos": (),
    })
    return case.model_copy(update={
        "complaint": complaint, "public_photos": (),
        "resolution": erased_text(case.resolution), "rating_comment": erased_text(case.rating_comment),
        "rejection_reason": erased_text(case.rejection_reason), "refer_to": erased_text(case.refer_to),
        "timeline": tuple(t.model_copy(update={"text": ERASED}) if t.text is not None else t
                          for t in case.timeline),
    })


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
