"""Who sees what of a case: the one table (README, "Who sees what"), enforced here.

Every view of a case that leaves the system starts in this module or in `domain.public` (the public
record, which this module uses for published texts):

- the citizen with the case's secret sees their whole case (`citizen_view(..., owner=True)`), but not the
  contact they gave: a forwarded link should not carry a phone number;
- anyone with the tracking id sees where the case stands and none of its texts, until it is published;
  then only the scrubbed public record (`citizen_view(..., owner=False)`); a confidential case does not
  exist for them;
- staff in scope see the case as it is, except that an *anonim* reporter's name and contact are in none
  of it (`for_staff`): the field is empty and every text is scrubbed;
- the public and Open311 clients see the public record (`domain.public.public_record`).

The field lists below are the table's columns; `tests/unit/test_access.py` checks them against the README,
and `tests/integration/test_who_sees_what.py` walks each row against the running API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.case import Case
from domain.complaint import Reporter
from domain.events import Actor
from domain.jurisdiction import Jurisdiction
from domain.public import public_record, publishable
from domain.redaction import scrub
from domain.sla import clocks

# What anyone with a tracking id sees; `published` is None until the case is published.
TRACKING_FIELDS = ("tracking_id", "status", "category", "regency", "district", "agency", "submitted_at",
                   "updated_at", "deadlines", "timeline", "published")
TRACKING_TIMELINE_FIELDS = ("type", "status", "occurred_at", "by")
PUBLISHED_FIELDS = ("title", "description", "resolution")
# What the citizen with the secret sees on top.
OWNER_FIELDS = TRACKING_FIELDS + ("title", "description", "address", "attributes", "anonymous", "confidential",
                                  "resolution", "rating", "rating_comment", "rejection_reason", "refer_to",
                                  "merged_into", "photos")
OWNER_TIMELINE_FIELDS = TRACKING_TIMELINE_FIELDS + ("text",)


def visible_by_tracking_id(case: Case) -> bool:
    """A confidential (rahasia) case answers as if it did not exist to anyone without its secret."""
    return not case.complaint.confidential


def citizen_view(case: Case, jurisdiction: Jurisdiction, now: datetime, owner: bool) -> dict[str, Any] | None:
    """The case as a citizen sees it: with the secret (`owner`) all of it, without only what the table allows;
    None when the case must answer 404."""
    if not owner and not visible_by_tracking_id(case):
        return None
    c = case.complaint
    agency = jurisdiction.agency(case.agency) if case.agency else None
    view: dict[str, Any] = {
        "tracking_id": case.case_id,
        "status": case.status.value,
        "category": c.category,
        "regency": c.regency,
        "district": c.district,
        "agency": {"code": agency.code, "name": agency.name} if agency else None,
        "submitted_at": case.submitted_at,
        "updated_at": case.updated_at,
        "deadlines": deadlines(case, jurisdiction, now),
        "timeline": [{"type": t.type, "status": t.status.value, "occurred_at": t.occurred_at,
                      "by": t.actor.agency or t.actor.role, **({"text": t.text} if owner else {})}
                     for t in case.timeline if t.public],
        "published": _published(case, jurisdiction, now),
    }
    if owner:
        view.update({
            "title": c.title, "description": c.description, "address": c.address, "attributes": dict(c.attributes),
            "anonymous": c.anonymous, "confidential": c.confidential, "resolution": case.resolution,
            "rating": case.rating, "rating_comment": case.rating_comment, "rejection_reason": case.rejection_reason,
            "refer_to": case.refer_to, "merged_into": case.merged_into, "photos": list(c.photos),
        })
    return view


def deadlines(case: Case, jurisdiction: Jurisdiction, now: datetime) -> list[dict[str, Any]]:
    """The case's time limits as citizens and staff see them: whose, when due, and their state at `now`."""
    return [{"name": k.name, "agency": k.agency, "due_at": k.due_at, "state": k.state(now)}
            for k in clocks(case, jurisdiction)]


def _published(case: Case, jurisdiction: Jurisdiction, now: datetime) -> dict[str, Any] | None:
    if not publishable(case):
        return None
    record = public_record(case, jurisdiction, now)
    return {name: record[name] for name in PUBLISHED_FIELDS} if record else None


def for_staff(case: Case) -> Case:
    """The case as staff may see it: for an *anonim* case, without the reporter's name and contact, in the
    reporter field and in every text (scrubbed with the reporter's own name and its variants). The case's
    address stays: it is where the problem is, and the agency needs it to act."""
    c = case.complaint
    if not c.anonymous:
        return case
    names = [c.reporter.name]

    def clean(text: str | None) -> str | None:
        return scrub(text, names)

    complaint = c.model_copy(update={
        "reporter": Reporter(), "title": clean(c.title), "description": clean(c.description) or "",
        "attributes": {k: clean(v) or "" for k, v in c.attributes.items()},
    })
    timeline = tuple(t.model_copy(update={"text": clean(t.text)}) if t.text else t for t in case.timeline)
    return case.model_copy(update={
        "complaint": complaint, "timeline": timeline, "resolution": clean(case.resolution),
        "rating_comment": clean(case.rating_comment), "rejection_reason": clean(case.rejection_reason),
    })


def performance_scope(actor: Actor, group: str) -> tuple[str | None, str | None]:
    """Whose performance records `actor` may read, grouped by `group` ("agency" or "officer"): (agency, officer),
    None meaning all. Coordinators and administrators: the whole jurisdiction. Supervisors: their agency, every
    officer of it. Officers: their agency's record, and of the per-officer records only their own."""
    if actor.role in ("coordinator", "admin"):
        return None, None
    if actor.role == "officer" and group == "officer":
        return actor.agency, actor.id
    return actor.agency, None
