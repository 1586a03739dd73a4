"""Staff views of personal data, recorded in the audit trail (api/accounts/audit.py) before they are answered.

What counts: a view that shows the reporter's contact (the officer case JSON and the staff case page, when
the case is not *anonim* and the reporter gave a name, phone or e-mail: a case without any contact shows
nothing of the reporter), and a served private photo (a photo that is not there is not a view). The entry
says who, which case and where (`api` or `page`, and the photo id), never the contact itself.

One INSERT in the thread pool per view, committed before the answer goes: if the trail cannot be written
the view fails rather than go unrecorded (the accounts database is the one that holds the sessions, so a
staff member could not have signed in without it either).
"""

from __future__ import annotations

from fastapi.concurrency import run_in_threadpool

from api.accounts.audit import VIEW_CONTACT, VIEW_PHOTO
from api.schemas import OfficerCase
from domain.events import Actor


def shows_contact(view: OfficerCase) -> bool:
    """Does this staff view carry any of the reporter's contact details?"""
    r = view.reporter
    return r is not None and bool(r.name or r.phone or r.email)


async def _record(services, actor: Actor, action: str, case_id: str, detail: str) -> None:
    if services.audit is None:
        raise RuntimeError("no audit trail: a view of personal data is not answered unrecorded")
    await run_in_threadpool(services.audit.record, actor.id or actor.role, action, case_id, None, detail)


async def contact_viewed(services, actor: Actor, view: OfficerCase, via: str) -> None:
    """Record `privacy.view_contact` if `view` shows the reporter's contact; nothing for an anonymous case."""
    if shows_contact(view):
        await _record(services, actor, VIEW_CONTACT, view.tracking_id, via)


async def photo_viewed(services, actor: Actor, case_id: str, photo_id: str, via: str) -> None:
    """Record `privacy.view_photo` of a photo about to be served."""
    await _record(services, actor, VIEW_PHOTO, case_id, f"photo {photo_id} via {via}")
