"""The internal `cases` document: searchable fields flattened from the case state, and the state."""

from __future__ import annotations

from typing import Any

from domain import events as ev
from domain.access import for_staff
from domain.case import Case
from domain.jurisdiction import Jurisdiction
from domain.sla import case_metrics, next_due
from search.text import stems

COORDINATORS = "coordinators"  # who a missed dispatch deadline is held against


def case_document(case: Case, jurisdiction: Jurisdiction) -> dict[str, Any]:
    # The searchable texts are what staff may read: an anonim reporter's name finds nothing. The state
    # below keeps the case whole (the citizen's own view, and the log's replay, need it).
    c = for_staff(case).complaint
    return {
        "case_id": case.case_id,
        "seq": case.seq,
        "status": case.status.value,
        "category": c.category,
        "regency": c.regency,
        "district": c.district,
        "agency": case.agency,
        "assignee": case.assignee,
        "channel": c.channel,
        "client": c.client,
        "anonymous": c.anonymous,
        "confidential": c.confidential,
        "title": c.title,
        "description": c.description,
        # Title and description stemmed apart: the public document stems the same texts (once, search/text.py).
        "text_stems": " ".join(filter(None, (stems(c.title), stems(c.description)))),
        "location": {"lat": c.lat, "lon": c.lon} if c.lat is not None else None,
        "submitted_at": case.submitted_at.isoformat(),
        "routed_at": case.routed_at.isoformat() if case.routed_at else None,
        "updated_at": case.updated_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "erased_at": case.erased_at.isoformat() if case.erased_at else None,
        "due_at": due.isoformat() if (due := next_due(case, jurisdiction)) else None,
        "breached": case.breached,
        "breached_by": sorted({t.agency or COORDINATORS for t in case.timeline if t.type == ev.SLA_BREACHED}),
        "escalated": case.escalated,
        "metrics": case_metrics(case, jurisdiction),
        "state": case.model_dump(mode="json"),
    }


def case_from_document(source: dict[str, Any]) -> Case:
    return Case.model_validate(source["state"])


def index_action(index: str, case: Case, jurisdiction: Jurisdiction) -> dict[str, Any]:
    """A bulk action writing `case` at version = seq: an older or repeated write is refused by ES."""
    return {
        "_op_type": "index",
        "_index": index,
        "_id": case.case_id,
        "version": case.seq,
        "version_type": "external",
        "_source": case_document(case, jurisdiction),
    }
