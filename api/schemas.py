"""The API's input and public models: a response carries only the fields its model names."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from domain.complaint import ComplaintDetails


class ComplaintCreate(ComplaintDetails):
    client_request_id: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_.:-]{16,128}$",
        description="Your own unique id for this submission (a UUID): sending it again gives the same case.",
    )


class ComplaintAccepted(BaseModel):
    tracking_id: str
    status: str
    status_url: str
    secret: str = Field(description="Only the submitter gets this: it lets them reply, rate or reopen. Keep it.")
    tracking_url: str = Field(description="The citizen's tracking page, with the secret in it")


class AgencyRef(BaseModel):
    code: str
    name: str


class TimelineItem(BaseModel):
    type: str
    status: str
    occurred_at: datetime
    by: str  # a role, or an agency: never a person's identity
    text: str | None = None


class Deadline(BaseModel):
    """A time limit of the case in working time (SP4N-LAPOR!'s stages)."""

    name: str  # dispatch, response or resolution
    agency: str | None  # whose limit it is
    due_at: datetime | None  # None while the clock is paused (waiting on the citizen)
    state: str  # running, paused, met or breached


class ComplaintPublic(BaseModel):
    """What the citizen sees of their case."""

    tracking_id: str
    status: str
    category: str
    regency: str
    district: str | None
    agency: AgencyRef | None
    submitted_at: datetime
    updated_at: datetime
    resolution: str | None = None
    rating: int | None = None
    rejection_reason: str | None = None
    refer_to: str | None = None
    merged_into: str | None = None
    photos: list[str] = []
    deadlines: list[Deadline] = []
    timeline: list[TimelineItem]


class CitizenAction(BaseModel):
    """What the submitter may do: reply (to a question), accept with a rating, or reopen."""

    secret: str = Field(min_length=1, max_length=64)
    type: str = Field(pattern="^(citizen_reply|accept|reopen)$")
    command_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.:-]{8,64}$",
                                   description="Your id for this action: sending it again changes nothing")
    message: str | None = None
    rating: int | None = None
    comment: str | None = None
    reason: str | None = None


class ActionOutcome(BaseModel):
    command_id: str
    outcome: str  # "applied" or "pending" (still on its way; look again shortly)
    complaint: ComplaintPublic | None = None


class CategoryPublic(BaseModel):
    code: str
    name: str
    name_en: str
    description: str
    description_en: str


class DistrictPublic(BaseModel):
    code: str
    name: str


class RegencyPublic(BaseModel):
    code: str
    name: str
    districts: list[DistrictPublic]
