"""Staff accounts: who may sign in to the officer workspace, with which role and agency.

Accounts and their sessions are state the case log does not carry well, so they live in a relational
database (SQLite by default, PostgreSQL by URL) through SQLAlchemy, its schema kept by Alembic migrations
that ship inside this package (`migrations/`) and run from code (`migrate`).
"""

from api.accounts.audit import AuditLog
from api.accounts.models import ROLES, Account
from api.accounts.passwords import WeakPassword, check_password
from api.accounts.store import (
                                AccountError,
                                AccountStore,
                                Enrollment,
                                MfaRequired,
                                SignInThrottled,
                                SubmissionConflict,
                                WrongPassword,
                                migrate,
)

__all__ = ["ROLES", "Account", "AccountError", "AccountStore", "Enrollment", "MfaRequired", "SignInThrottled",
           "AuditLog", "SubmissionConflict", "WeakPassword", "WrongPassword", "check_password", "migrate"]
