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
CASE_ROUTED = "case.routed"

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
