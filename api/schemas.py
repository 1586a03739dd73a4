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


class AgencyRef(BaseModel):
    code: str
    name: str


class TimelineItem(BaseModel):
    type: str
    status: str
    occurred_at: datetime
    by: str  # a role, or an agency: never a person's identity


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
    timeline: list[TimelineItem]


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
