"""Decisions of the case agent: which events a submission or a command produces.

`decide` answers every command with events: the change it asks for, or one `command.rejected` event
with the reason (wrong status, wrong role, another agency's case, the reply window passed...). A
command whose id the case has seen already produces nothing.
"""

from __future__ import annotations

from datetime import datetime

from domain import events as ev
from domain.case import Case, Status, apply
from domain.commands import CITIZEN_COMMANDS, COORDINATOR_COMMANDS, ERASURE_COMMANDS, Command
from domain.complaint import Complaint
from domain.events import Actor, Event
from domain.jurisdiction import Jurisdiction
from domain.public import public_texts
from domain.routing import route
from domain.sla import reply_deadline

SYSTEM_ROUTING = Actor(role="system", id="routing")
S = Status
_OPEN = frozenset({S.ROUTED, S.IN_PROGRESS, S.WAITING_ON_CITIZEN, S.REOPENED})

# In which statuses each command may act.
ALLOWED: dict[str, frozenset[Status]] = {
    "acknowledge": frozenset({S.ROUTED, S.REOPENED}),
    "reply": _OPEN,
    "request_info": frozenset({S.ROUTED, S.IN_PROGRESS, S.REOPENED}),
    "add_note": frozenset(Status),
    "transfer": _OPEN,
    "not_our_authority": frozenset({S.ROUTED, S.IN_PROGRESS, S.REOPENED}),
    "resolve": _OPEN,
    "reassign": _OPEN,
    "make_confidential": frozenset(Status),
    "publish_photo": frozenset(Status),
    "citizen_reply": _OPEN | {S.RECEIVED},
    "accept": frozenset({S.RESOLVED}),
    "reopen": frozenset({S.RESOLVED}),
    "dispatch": frozenset({S.RECEIVED}),
    "reject": frozenset({S.RECEIVED, S.ROUTED}),
    "merge": _OPEN | {S.RECEIVED},
    "erase_personal_data": frozenset(Status),
}

_EVENT_OF = {
    "acknowledge": ev.CASE_ACKNOWLEDGED, "reply": ev.CASE_REPLIED, "request_info": ev.CASE_INFO_REQUESTED,
    "add_note": ev.CASE_NOTE_ADDED, "transfer": ev.CASE_ROUTED, "not_our_authority": ev.CASE_RETURNED,
    "resolve": ev.CASE_RESOLVED, "reassign": ev.CASE_REASSIGNED, "citizen_reply": ev.CITIZEN_REPLIED,
    "accept": ev.CASE_CLOSED, "reopen": ev.CASE_REOPENED, "dispatch": ev.CASE_ROUTED, "reject": ev.CASE_REJECTED,
    "merge": ev.CASE_MERGED, "make_confidential": ev.CASE_MADE_CONFIDENTIAL, "publish_photo": ev.CASE_PHOTO_PUBLISHED,
    "erase_personal_data": ev.CASE_PERSONAL_DATA_ERASED,
}
_STAFF_ROLES = frozenset({"officer", "supervisor", "coordinator"})


class ConflictingSubmission(Exception):
    """Two different complaints under one case id (a client reused its request id for new content)."""


class UnknownCase(Exception):
    """A command for a case that has no events: it cannot go on a log that does not exist."""


def decide_submission(case: Case | None, submitted: Event, jurisdiction: Jurisdiction, now: datetime) -> list[Event]:
    """A submission opens the case and routes it; the same submission again changes nothing."""
    if case is not None:
        if case.erased_at is not None:
            return []  # its complaint is gone: nothing to compare a repeat with, and nothing to add
        if Complaint.model_validate(submitted.payload["complaint"]) == case.complaint:
            return []
        raise ConflictingSubmission(f"case {case.case_id} already holds a different complaint")
    opened = apply(None, submitted)
    agency = route(jurisdiction, opened.complaint.category, opened.complaint.regency)
    # Routed at the submission's own time, not the agent's clock: deciding the same submission again
    # (a replay after a crash) must give the very same event.
    routed = ev.new_event(opened.case_id, 2, ev.CASE_ROUTED, submitted.occurred_at, SYSTEM_ROUTING,
                          agency=agency, via="rules")
    return [submitted, routed]


def decide(case: Case | None, command: Command, jurisdiction: Jurisdiction, now: datetime) -> list[Event]:
    if case is None:
        raise UnknownCase(f"no case {command.case_id}")
    if command.command_id in case.command_ids:
        return []
    at = max(now, case.updated_at)
    refusal = refusal_reason(case, command, jurisdiction, now)
    if refusal:
        return [ev.new_event(case.case_id, case.seq + 1, ev.COMMAND_REJECTED, at, command.actor,
                             command_id=command.command_id, command_type=command.type, reason=refusal)]
    payload = command.model_dump(mode="json", exclude={"command_id", "case_id", "actor", "issued_at", "type"})
    if command.type in ("transfer", "dispatch"):
        payload["via"] = command.type
    event = ev.new_event(case.case_id, case.seq + 1, _EVENT_OF[command.type], at, command.actor,
                         command_id=command.command_id, **payload)
    if command.type == "resolve" and not case.complaint.confidential:
        # Published now: its public texts go in the event in clear, beside the sealed originals, so that the
        # public record outlives an erasure of the case's personal data (domain.public.public_texts).
        event = event.model_copy(update={"payload": {**event.payload, "public": public_texts(apply(case, event))}})
    return [event]


def _role_or_status_refusal(case: Case, kind: str, actor: Actor) -> str | None:
    """Why `actor` may not send a `kind` command to `case` in its status, or None if they may."""
    role = actor.role
    if kind in CITIZEN_COMMANDS:
        if role != "citizen":
            return f"only the citizen who submitted the case may {kind.replace('_', ' ')}"
    elif kind in COORDINATOR_COMMANDS:
        if role != "coordinator":
            return f"only a coordinator may {kind}"
    elif kind in ERASURE_COMMANDS:
        if role not in ("admin", "system"):
            return "only an administrator may erase a case's personal data"
    elif role not in _STAFF_ROLES:
        return f"only officers may {kind.replace('_', ' ')}"
    elif kind == "reassign" and role == "officer":
        return "only a supervisor or a coordinator may reassign a case"
    elif role != "coordinator" and (case.agency is None or actor.agency != case.agency):
        return "the case is not with your agency"
    if case.status not in ALLOWED[kind]:
        return f"a case that is {case.status.value} cannot take {kind}"
    return None


def allowed_actions(case: Case, actor: Actor) -> list[str]:
    """The commands `actor` may send to `case` in its present status, in a stable order: what the officer
    workspace offers. The case agent still decides each one (the case may have moved on meanwhile)."""
    kinds = [kind for kind in ALLOWED if kind not in ERASURE_COMMANDS  # the host's command line only
             and _role_or_status_refusal(case, kind, actor) is None]
    unpublished = set(case.complaint.photos) - set(case.public_photos)
    if case.complaint.confidential:
        kinds = [k for k in kinds if k not in ("make_confidential", "publish_photo")]
    elif not unpublished:
        kinds = [k for k in kinds if k != "publish_photo"]
    return kinds


def refusal_reason(case: Case, command: Command, jurisdiction: Jurisdiction, now: datetime) -> str | None:
    """Why `command` may not act on `case` now, or None if it may. Reasons are shown to people."""
    kind = command.type
    refusal = _role_or_status_refusal(case, kind, command.actor)
    if refusal:
        return refusal
    if kind in ("transfer", "dispatch"):
        if jurisdiction.agency(command.agency) is None:
            return f"unknown agency {command.agency}"
        if kind == "transfer" and command.agency == case.agency:
            return "the case is already with that agency"
    if kind == "make_confidential" and case.complaint.confidential:
        return "the case is confidential already"
    if kind == "publish_photo":
        if command.photo_id not in case.complaint.photos:
            return "the case has no such photo"
        if command.photo_id in case.public_photos:
            return "that photo is public already"
        if case.complaint.confidential:
            return "a confidential case shows nothing in public"
    if kind == "erase_personal_data" and case.erased_at is not None:
        return "the case's personal data is erased already"
    if kind == "merge" and command.into == case.case_id:
        return "a case cannot be merged into itself"
    if kind == "reopen" and case.resolved_at is not None and now > reply_deadline(case, jurisdiction):
        return "the reply window after the resolution has passed"
    return None

