"""Events: immutable, versioned facts about a case (DESIGN.md rule 3).

Every change to a case is one of these on ``cases.events``, keyed by ``case_id``; ``seq`` is set by
the case agent, per case, without gaps. ``event_id`` is derived from (case_id, seq), so an event
re-emitted after a crash carries the same id as the first emission.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = 1
_EVENT_NAMESPACE = uuid.UUID("6f1c8a52-4a55-4c1e-9a43-0f5b0f3c1d21")

# Event types: one name each, used unchanged in code, on topics and in the index.
COMPLAINT_SUBMITTED = "complaint.submitted"
CASE_ROUTED = "case.routed"  # sent to an agency: by the routing rules, a coordinator or a transfer
CASE_ACKNOWLEDGED = "case.acknowledged"
CASE_REPLIED = "case.replied"  # an officer's message to the citizen
CASE_INFO_REQUESTED = "case.info_requested"
CASE_NOTE_ADDED = "case.note_added"  # internal
CASE_RETURNED = "case.returned"  # "not our authority": back to the coordinators
CASE_RESOLVED = "case.resolved"
CASE_REASSIGNED = "case.reassigned"
CITIZEN_REPLIED = "citizen.replied"
CASE_CLOSED = "case.closed"  # the citizen accepted the resolution, with a rating
CASE_REOPENED = "case.reopened"
CASE_REJECTED = "case.rejected"
CASE_MERGED = "case.merged"
CASE_MADE_CONFIDENTIAL = "case.made_confidential"  # never shown publicly from now on (internal)
CASE_PHOTO_PUBLISHED = "case.photo_published"  # an officer judged a photo fit for the public page
CASE_PERSONAL_DATA_ERASED = "case.personal_data_erased"  # its data key destroyed (domain/erasure.py; internal)
COMMAND_REJECTED = "command.rejected"
SLA_WARNING = "sla.warning"  # a clock has used a share of its time (to the assignee)
SLA_BREACHED = "sla.breached"  # a clock ran out (to the assignee and the agency's supervisor)
SLA_ESCALATED = "sla.escalated"  # still unresolved well past the deadline: raised to the coordinators

# What the citizen may see of a case's timeline; everything else is for staff only.
PUBLIC_TYPES = frozenset({
    COMPLAINT_SUBMITTED, CASE_ROUTED, CASE_ACKNOWLEDGED, CASE_REPLIED, CASE_INFO_REQUESTED, CASE_RETURNED,
    CASE_RESOLVED, CITIZEN_REPLIED, CASE_CLOSED, CASE_REOPENED, CASE_REJECTED, CASE_MERGED,
})

ActorRole = Literal["citizen", "officer", "supervisor", "coordinator", "admin", "system"]


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    role: ActorRole
    id: str | None = None  # an officer's username or a system component; never a citizen's identity
    agency: str | None = None


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str
    case_id: str = Field(min_length=1, max_length=64)
    seq: int = Field(ge=1)
    type: str = Field(min_length=1)
    schema_version: int = SCHEMA_VERSION
    occurred_at: AwareDatetime
    actor: Actor
    payload: dict[str, Any] = Field(default_factory=dict)

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)


def event_id_for(case_id: str, seq: int) -> str:
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{case_id}/{seq}"))


def new_event(case_id: str, seq: int, type: str, occurred_at: datetime, actor: Actor, **payload: Any) -> Event:
    return Event(
        event_id=event_id_for(case_id, seq),
        case_id=case_id,
        seq=seq,
        type=type,
        occurred_at=occurred_at,
        actor=actor,
        payload=payload,
    )
