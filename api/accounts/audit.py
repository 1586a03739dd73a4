"""The audit trail of personal data (UU PDP 27/2022): every staff view of a reporter's contact or a private
photo, every export and every erasure, as one row each, in the accounts database (`audit_log`).

Append-only: `AuditLog` can add a row and read rows, nothing else, and the database refuses an UPDATE or
DELETE of the table too (triggers of migration 0006). A row says who (a staff username, or the host's user
for the command line), when, which case, which action, why (`reason`, given by a person) and what exactly
(`detail`, made by the code: the route, the photo id). It never holds the personal data itself: no name,
phone, e-mail or address goes in, so the trail needs no erasing when a case is erased.

To record from anywhere (the command line, a worker, another engineer's command):

    from api.accounts.audit import AuditLog, ERASE
    audit = AuditLog.from_settings(settings)
    audit.record("os:root", ERASE, "BKL-ABCDE-12345", reason="permintaan no. 17/2026")
    audit.close()
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Index, Integer, String, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from api.accounts.models import Base, UtcDateTime

VIEW_CONTACT = "privacy.view_contact"  # a staff view that showed the reporter's name, phone or e-mail
VIEW_PHOTO = "privacy.view_photo"  # a staff read of a case's private photo
EXPORT = "privacy.export"  # an access request's export (`aduan privacy export`)
ERASE = "privacy.erase"  # an erasure of a reporter's personal data
ACTIONS = (VIEW_CONTACT, VIEW_PHOTO, EXPORT, ERASE)

ACTOR_MAX = 64
TEXT_MAX = 500
_ACTOR = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")


class AuditEntry(Base):
    """One row of the trail. Its schema changes only through a migration in `migrations/versions/`."""

    __tablename__ = "audit_log"
    # Each list filters on one column and reads newest first (migration 0006 makes the same indexes).
    __table_args__ = (Index("ix_audit_log_case_id", "case_id", "id"), Index("ix_audit_log_actor", "actor", "id"),
                      Index("ix_audit_log_action", "action", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(ACTOR_MAX))
    action: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(TEXT_MAX), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(TEXT_MAX), nullable=True)


@dataclass(frozen=True)
class AuditRecord:
    """A row as read back: a frozen copy, so nothing handed out can be changed and written again."""

    id: int
    at: datetime
    actor: str
    action: str
    case_id: str | None
    reason: str | None
    detail: str | None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "at": self.at.isoformat()}


def _text(value: str | None) -> str | None:
    """One line, at most TEXT_MAX characters: a reason is a person's words, and ends up in pages and logs."""
    if value is None:
        return None
    value = " ".join(value.split())
    if not value:
        return None
    return value if len(value) <= TEXT_MAX else value[:TEXT_MAX - 1] + "…"


class AuditLog:
    """Adds rows to `audit_log` and reads them, newest first. No method changes or removes a row."""

    def __init__(self, engine: Engine, *, owns_engine: bool = False) -> None:
        self.engine = engine
        self._owns_engine = owns_engine

    @classmethod
    def from_settings(cls, settings) -> AuditLog:
        """The trail of these settings' accounts database, its schema migrated to the newest revision."""
        from api.accounts.store import engine_for, migrate

        engine = engine_for(settings.database_url)
        migrate(engine)
        return cls(engine, owns_engine=True)

    def close(self) -> None:
        if self._owns_engine:
            self.engine.dispose()

    def record(self, actor: str, action: str, case_id: str | None, reason: str | None = None,
               detail: str | None = None, now: datetime | None = None) -> None:
        """Add one row: a single INSERT, committed before this returns (so a view is recorded before it is
        answered). ValueError for an unknown action or an empty actor."""
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}: one of {', '.join(ACTIONS)}")
        actor = (actor or "").strip()
        if not _ACTOR.match(actor):
            raise ValueError(f"an audit entry needs an actor of 1-{ACTOR_MAX} printable characters")
        with self.engine.begin() as connection:
            connection.execute(insert(AuditEntry).values(
                at=now or datetime.now(UTC), actor=actor, action=action, case_id=case_id or None,
                reason=_text(reason), detail=_text(detail)))

    def entries(self, case_id: str | None = None, actor: str | None = None, action: str | None = None,
                limit: int = 100, before_id: int | None = None) -> list[AuditRecord]:
        """Rows matching every filter given, newest first, at most `limit` (1-10000); `before_id` pages on
        (rows older than that one)."""
        limit = max(1, min(int(limit), 10_000))
        query = select(*AuditEntry.__table__.columns).order_by(AuditEntry.id.desc()).limit(limit)
        if case_id:
            query = query.where(AuditEntry.case_id == case_id)
        if actor:
            query = query.where(AuditEntry.actor == actor)
        if action:
            query = query.where(AuditEntry.action == action)
        if before_id is not None:
            query = query.where(AuditEntry.id < before_id)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [AuditRecord(id=r.id, at=r.at, actor=r.actor, action=r.action, case_id=r.case_id, reason=r.reason,
                            detail=r.detail) for r in rows]
