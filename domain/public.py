"""What the public may see of a case: an allowlist of fields, free text scrubbed of personal data.

`public_record` is the one place a case becomes public (the transparency index, its case pages and the
Open311 interface all start from it). It names the fields it keeps; anything added to a case later stays
private until it is added here. Locations go no finer than the district; the reporter's contact never
appears, and their name is scrubbed from every text; officers appear as their agency; internal notes,
refused commands, SLA events and citizens' own messages are left out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain import events as ev
from domain.case import Case, Status
from domain.jurisdiction import Jurisdiction
from domain.redaction import scrub
from domain.sla import case_metrics, clocks

PUBLIC_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED})
# Events whose text the public may read (scrubbed): what the agency said, and the resolution.
_AGENCY_TEXTS = frozenset({ev.CASE_REPLIED, ev.CASE_INFO_REQUESTED, ev.CASE_RESOLVED, ev.CASE_REJECTED})


def publishable(case: Case) -> bool:
    """Resolved or closed, and not confidential: a reopened case leaves the public pages until resolved again."""
    return case.status in PUBLIC_STATUSES and not case.complaint.confidential


def public_texts(case: Case) -> dict[str, Any]:
    """The texts of `case`'s public record, scrubbed: title, description, resolution, and by seq the agency's
    texts of its public timeline. Recorded in clear when a case is resolved (domain.lifecycle), and what the
    public record shows once the originals are erased."""
    c = case.complaint
    names = [c.reporter.name]
    return {
        "title": scrub(c.title, names),
        "description": scrub(c.description, names),
        "resolution": scrub(case.resolution, names),
        "texts": {str(t.seq): scrub(t.text, names) for t in case.timeline
                  if t.public and t.type in _AGENCY_TEXTS and t.text is not None},
    }


def _shown_texts(case: Case) -> dict[str, Any]:
    """The public record's texts: scrubbed from the originals; once those are erased, the texts recorded at
    publication, scrubbed again with today's rules (they only ever take more out)."""
    recorded = case.published_text
    if case.erased_at is None or recorded is None:
        return public_texts(case)
    return {"title": scrub(recorded.title, []), "description": scrub(recorded.description, []),
            "resolution": scrub(recorded.resolution, []),
            "texts": {str(seq): scrub(text, []) for seq, text in recorded.texts.items()}}


def public_record(case: Case, jurisdiction: Jurisdiction, now: datetime, include_open: bool = False
                  ) -> dict[str, Any] | None:
    """The public view of `case`, or None when it must not be shown. `include_open` also admits cases
    still being worked on (Open311 clients follow their own requests); confidential ones never."""
    if case.complaint.confidential or not (publishable(case) or include_open):
        return None
    c = case.complaint
    texts = _shown_texts(case)
    metrics = case_metrics(case, jurisdiction)
    return {
        "tracking_id": case.case_id,
        "status": case.status.value,
        "category": c.category,
        "agency": case.agency,
        "regency": c.regency,
        "district": c.district,
        "channel": c.channel,
        "title": texts["title"],
        "description": texts["description"],
        "resolution": texts["resolution"],
        "submitted_at": case.submitted_at.isoformat(),
        "resolved_at": case.resolved_at.isoformat() if case.resolved_at else None,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "updated_at": case.updated_at.isoformat(),
        "year": case.submitted_at.astimezone(ZoneInfo(jurisdiction.timezone)).year,
        "rating": case.rating,
        "photos": list(case.public_photos),
        "timeline": [
            {"type": t.type, "status": t.status.value, "occurred_at": t.occurred_at.isoformat(),
             "by": t.agency if t.actor.role in ("officer", "supervisor") else t.actor.role,
             "text": texts["texts"].get(str(t.seq)) if t.type in _AGENCY_TEXTS else None}
            for t in case.timeline if t.public
        ],
        "deadlines": [{"name": k.name, "agency": k.agency, "due_at": k.due_at.isoformat() if k.due_at else None,
                       "state": k.state(now)} for k in clocks(case, jurisdiction)],
        "metrics": {k: metrics.get(k) for k in ("first_response_s", "resolution_s", "response_met",
                                                 "resolution_met")},
    }
