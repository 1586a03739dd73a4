"""Commands: requests to change a case. The case agent checks each against the case's state and the
actor's role and answers with events, or with a `command.rejected` event giving the reason.

Each command carries a `command_id` chosen by its sender: the same id twice changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from domain.events import Actor

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{8,64}$")
    case_id: str = Field(min_length=1, max_length=64)
    actor: Actor
    issued_at: AwareDatetime


# Staff of the agency that holds the case (and coordinators, jurisdiction-wide).
class Acknowledge(_Command):
    type: Literal["acknowledge"] = "acknowledge"


class Reply(_Command):
    """A message to the citizen, shown on their tracking page."""

    type: Literal["reply"] = "reply"
    message: Text


class RequestInfo(_Command):
    """A question to the citizen; the case waits on them until they answer."""

    type: Literal["request_info"] = "request_info"
    question: Text


class AddNote(_Command):
    """An internal note: never shown to the citizen or the public."""

    type: Literal["add_note"] = "add_note"
    text: Text


class Transfer(_Command):
    type: Literal["transfer"] = "transfer"
    agency: str
    reason: Reason


class NotOurAuthority(_Command):
    """The agency declines the case; it goes back to the coordinators to dispatch again."""

    type: Literal["not_our_authority"] = "not_our_authority"
    reason: Reason


class Resolve(_Command):
    type: Literal["resolve"] = "resolve"
    resolution: Text


class Reassign(_Command):
    type: Literal["reassign"] = "reassign"
    assignee: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class MakeConfidential(_Command):
    """Keep the case off every public page from now on (e.g. at the reporter's request, or for safety)."""

    type: Literal["make_confidential"] = "make_confidential"
    reason: Reason


class PublishPhoto(_Command):
    """Allow one of the case's photos on its public page (once checked for faces, plates, homes)."""

    type: Literal["publish_photo"] = "publish_photo"
    photo_id: str = Field(pattern=r"^[0-9a-f]{32}$")


# The citizen who submitted the case (proved by the secret they received at submission).
class CitizenReply(_Command):
    type: Literal["citizen_reply"] = "citizen_reply"
    message: Text


class Accept(_Command):
    type: Literal["accept"] = "accept"
    rating: int = Field(ge=1, le=5)
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class Reopen(_Command):
    type: Literal["reopen"] = "reopen"
    reason: Reason


# Coordinators.
class Dispatch(_Command):
    """Verify the case and send it to an agency."""

    type: Literal["dispatch"] = "dispatch"
    agency: str


class Reject(_Command):
    """Not the authority of anyone here: the reason, and where to go instead."""

    type: Literal["reject"] = "reject"
    reason: Reason
    refer_to: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None


class Merge(_Command):
    """A duplicate: the case joins another."""

    type: Literal["merge"] = "merge"
    into: str = Field(min_length=1, max_length=64)


# Administrators (on the host's command line) and the retention job.
class ErasePersonalData(_Command):
    """Record that the case's personal data was erased: its data key is destroyed before this is sent
    (`aduan privacy erase`, the retention job), so nothing sealed under it opens any more."""

    type: Literal["erase_personal_data"] = "erase_personal_data"
    basis: Literal["request", "retention"]  # a data subject's (or an authority's) request; the retention rule
    # The public record's scrubbed texts (domain.public.public_texts), for a published case that has none
    # recorded (resolved before they were): read before the key was destroyed, kept from then on.
    public: dict[str, Any] | None = None


Command = Annotated[
    Acknowledge | Reply | RequestInfo | AddNote | Transfer | NotOurAuthority | Resolve | Reassign
    | MakeConfidential | PublishPhoto | CitizenReply | Accept | Reopen | Dispatch | Reject | Merge
    | ErasePersonalData,
    Field(discriminator="type"),
]

STAFF_COMMANDS = {"acknowledge", "reply", "request_info", "add_note", "transfer", "not_our_authority", "resolve",
                  "reassign", "make_confidential", "publish_photo"}
CITIZEN_COMMANDS = {"citizen_reply", "accept", "reopen"}
COORDINATOR_COMMANDS = {"dispatch", "reject", "merge"}
ERASURE_COMMANDS = {"erase_personal_data"}  # an administrator's, or the system's (retention)
