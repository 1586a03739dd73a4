"""The `accounts` table. Its schema changes only through a migration in `migrations/versions/`."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Integer, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from api.accounts.mfa import MFA_ROLES

ROLES = ("officer", "supervisor", "coordinator", "admin")
AGENCY_ROLES = ("officer", "supervisor")  # these belong to one agency


class UtcDateTime(TypeDecorator):
    """Stored as naive UTC (SQLite keeps no zone), always handed out as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime cannot be stored; give it a zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str | None] = mapped_column(String(64), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set by an administrator's reset: the account must choose a new password before anything else.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # Tokens issued at or before this second are refused: ending an account's sessions moves it to now.
    sessions_valid_after: Mapped[datetime] = mapped_column(UtcDateTime)
    # The TOTP secret (base32) once a second factor is set up, and the last time step a code was accepted for.
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)

    @property
    def mfa_required(self) -> bool:
        """Coordinators and admins always need a second factor; anyone else once they have set one up."""
        return self.role in MFA_ROLES or self.totp_secret is not None

    def __repr__(self) -> str:  # never the secrets
        return f"Account({self.username!r}, role={self.role!r}, agency={self.agency!r}, disabled={self.disabled})"


class StaffSession(Base):
    """A signed-in page session. The cookie holds a random token; only its SHA-256 is stored here, so the
    table's contents open no session. Deleting the row ends the session wherever its cookie is."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)  # absolute expiry, whatever the activity


class ApiKey(Base):
    """A key of an Open311 client (`aduan open311 add-key NAME`). Only its SHA-256 is stored."""

    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SubmissionKey(Base):
    """A client's idempotency key (`client_request_id`, scoped to its channel and API key), bound to the
    content first sent with it: the same content again is the same case, other content is refused (409)."""

    __tablename__ = "submission_keys"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of scope and client id
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the content
    case_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class RecoveryCode(Base):
    """A single-use recovery code of an account's second factor; only its SHA-256 is stored."""

    __tablename__ = "recovery_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SignInFailure(Base):
    """Failed sign-ins counted under one key (an address; a username; a username from an address), shared by
    every API process. A counter is forgotten once its last failure is old enough (api/accounts/throttle.py)."""

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
