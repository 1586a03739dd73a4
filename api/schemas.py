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
    """One public entry of the case's history, without its text (domain.access.TRACKING_TIMELINE_FIELDS)."""

    type: str
    status: str
    occurred_at: datetime
    by: str  # a role, or an agency: never a person's identity


class CitizenTimelineItem(TimelineItem):
    text: str | None = None  # the reply, question, resolution or reason: for the citizen with the secret


class Deadline(BaseModel):
    """A time limit of the case in working time (SP4N-LAPOR!'s stages)."""

    name: str  # dispatch, response or resolution
    agency: str | None  # whose limit it is
    due_at: datetime | None  # None while the clock is paused (waiting on the citizen)
    state: str  # running, paused, met or breached


class PublishedTexts(BaseModel):
    """The case's texts as its public record has them (scrubbed of personal data), once it is published."""

    title: str | None = None
    description: str | None = None
    resolution: str | None = None


class CaseTracking(BaseModel):
    """What anyone with the tracking id sees (domain.access.TRACKING_FIELDS): where the case stands, no texts
    until it is published. A confidential case answers 404 without the secret."""

    tracking_id: str
    status: str
    category: str
    regency: str
    district: str | None
    agency: AgencyRef | None
    submitted_at: datetime
    updated_at: datetime
    deadlines: list[Deadline] = []
    timeline: list[TimelineItem]
    published: PublishedTexts | None = Field(None, description="the scrubbed public texts, once published")


class CitizenCase(CaseTracking):
    """What the citizen with the secret (`kunci`) sees of their own case (domain.access.OWNER_FIELDS)."""

    title: str | None = None
    description: str
    address: str | None = None
    attributes: dict[str, str] = {}
    anonymous: bool
    confidential: bool
    resolution: str | None = None
    rating: int | None = None
    rating_comment: str | None = None
    rejection_reason: str | None = None
    refer_to: str | None = None
    merged_into: str | None = None
    photos: list[str] = []
    timeline: list[CitizenTimelineItem]


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
    complaint: CitizenCase | None = None


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


class StaffTimelineItem(BaseModel):
    """One event of the case as staff see it: who did it, and whether the citizen sees it too."""

    seq: int
    type: str
    status: str
    occurred_at: datetime
    actor_role: str
    actor_id: str | None = None  # a staff username or a system component; never a citizen's identity
    actor_agency: str | None = None
    agency: str | None = None  # who holds the case after this event
    text: str | None = None  # for command.rejected: the reason the command was refused
    public: bool


class ReporterContact(BaseModel):
    name: str | None = None
    phone: str | None = None
    email: str | None = None


class OfficerCase(BaseModel):
    """The case as the officer workspace shows it (staff in the case's scope only)."""

    tracking_id: str
    seq: int
    status: str
    category: str
    regency: str
    district: str | None
    address: str | None
    lat: float | None
    lon: float | None
    title: str | None
    description: str
    channel: str
    anonymous: bool
    confidential: bool
    reporter: ReporterContact | None = Field(description="None when the reporter asked to stay anonymous")
    personal_data_erased_at: datetime | None = Field(None, description="when the case's personal data was erased "
                                                     "(UU PDP): its texts read [dihapus], contact and photos gone")
    agency: AgencyRef | None
    assignee: str | None
    submitted_at: datetime
    updated_at: datetime
    resolution: str | None = None
    rating: int | None = None
    rating_comment: str | None = None
    reopen_count: int = 0
    rejection_reason: str | None = None
    refer_to: str | None = None
    merged_into: str | None = None
    breached: bool = False
    escalated: bool = False
    photos: list[str] = Field([], description="URLs of the photos, for staff in scope")
    photo_ids: list[str] = Field([], description="the photos' ids, in the order of `photos`")
    public_photos: list[str] = Field([], description="ids of the photos published on the public case page")
    attributes: dict[str, str] = Field({}, description="answers to the category's extra questions")
    media_url: str | None = None
    deadlines: list[Deadline]
    timeline: list[StaffTimelineItem]
    actions: list[str] = Field(description="the commands the caller's role allows in the case's present status")
    templates: dict[str, str] = Field(description="starting texts for reply, request_info and resolve")


class QueueItem(BaseModel):
    tracking_id: str
    status: str
    category: str
    regency: str
    district: str | None
    agency: str | None
    assignee: str | None
    title: str | None
    summary: str
    submitted_at: datetime
    due_at: datetime | None  # the nearest deadline among the case's running clocks
    breached: bool


class QueuePageOut(BaseModel):
    view: str
    counts: dict[str, int] = Field(description="cases in each view under the same filters")
    total: int
    page: int
    pages: int
    size: int
    items: list[QueueItem]
