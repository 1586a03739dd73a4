"""Who is calling: staff by bearer token, citizens by the secret of their case.

A staff bearer token is a session of an account (api/accounts), as a staff page's is: random, kept only as
its hash in the accounts database, issued at `POST /api/v1/auth/token` and ended at once by
`POST /api/v1/auth/logout`, by disabling the account or by the end of its lifetime (`staff_token_ttl_s`,
absolute) or of its idle time (`staff_idle_s`). Nothing but an existing, enabled account has a token.
A citizen's case secret is an HMAC of the case id with the case-secret purpose key (config/keys.py): shown
once at submission, never stored, the same for a retried submission. One made under a previous root still
matches, and so does one made before purpose keys, with the root itself (a citizen keeps their link).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.accounts import Account
from config.keys import KeyRing, Purpose
from domain.events import Actor

_bearer = HTTPBearer(auto_error=False)


def citizen_secret(key: bytes, case_id: str) -> str:
    """The case's secret under `key`: `keys.purpose_key(Purpose.CASE_SECRET)` for a new one."""
    digest = hmac.new(key, f"citizen/{case_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def case_secret_keys(keys: KeyRing) -> tuple[bytes, ...]:
    """The keys a given case secret may have been made with: the current root's case-secret key, each previous
    root's, then (legacy, before purpose keys) the roots themselves."""
    return (*keys.verifying_keys(Purpose.CASE_SECRET), *keys.legacy_keys())


def citizen_secret_matches(keys: Sequence[bytes], case_id: str, given: str) -> bool:
    given = given or ""  # compare_digest refuses str with non-ASCII characters (TypeError); no secret has them
    return given.isascii() and any(hmac.compare_digest(citizen_secret(key, case_id), given) for key in keys)


MUST_CHANGE = ("Kata sandi harus diganti dulu (POST /api/v1/auth/password) / password_change_required: change the "
               "password first (POST /api/v1/auth/password)")


def _account(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Account:
    services = request.app.state.services
    accounts = services.accounts
    account = accounts.session_account(credentials.credentials, services.settings.staff_idle_s) \
        if credentials is not None and accounts is not None else None
    if account is None:
        raise HTTPException(401, "Perlu masuk sebagai petugas / staff login required",
                            headers={"WWW-Authenticate": "Bearer"})
    return account


def _staff(request: Request,
           credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
    """The staff member of a live session (a plain `def`: FastAPI runs it in its thread pool, as the database
    is read). An account whose password an administrator reset may do nothing but change it (403)."""
    account = _account(request, credentials)
    if account.must_change_password:
        raise HTTPException(403, MUST_CHANGE)
    return Actor(role=account.role, id=account.username, agency=account.agency)


def _staff_even_before_a_password_change(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
    account = _account(request, credentials)
    return Actor(role=account.role, id=account.username, agency=account.agency)


def bearer_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str | None:
    return credentials.credentials if credentials is not None else None


StaffDep = Annotated[Actor, Depends(_staff)]
PasswordChangeDep = Annotated[Actor, Depends(_staff_even_before_a_password_change)]  # password change, sign-out
BearerDep = Annotated[str | None, Depends(bearer_token)]
