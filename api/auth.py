"""Who is calling: staff by signed bearer token, citizens by the secret of their case.

Staff tokens are signed and expire (itsdangerous); they are issued at `POST /api/v1/auth/token` for an
account (api/accounts) and carry their issue time, so disabling an account ends its sessions at once.
A citizen's case secret is an HMAC of the case id: shown once at submission, never stored, the same for a
retried submission.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from domain.events import Actor

_bearer = HTTPBearer(auto_error=False)
_STAFF_ROLES = ("officer", "supervisor", "coordinator", "admin")


def _serializer(secret: bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="aduan-staff-token")


def mint_staff_token(secret: bytes, actor: Actor) -> str:
    if actor.role not in _STAFF_ROLES or not actor.id:
        raise ValueError("a staff token needs a staff role and a username")
    if actor.role in ("officer", "supervisor") and not actor.agency:
        raise ValueError(f"an {actor.role} belongs to an agency")
    return _serializer(secret).dumps(actor.model_dump(exclude_none=True))


def read_staff_token(secret: bytes, token: str, max_age_s: int) -> Actor | None:
    try:
        return Actor.model_validate(_serializer(secret).loads(token, max_age=max_age_s))
    except (BadSignature, SignatureExpired, ValueError):
        return None


def read_staff_token_issued(secret: bytes, token: str, max_age_s: int) -> tuple[Actor, datetime] | None:
    """The token's staff member and when it was issued (whole seconds, UTC), or None if it does not hold."""
    try:
        payload, issued_at = _serializer(secret).loads(token, max_age=max_age_s, return_timestamp=True)
        return Actor.model_validate(payload), issued_at
    except (BadSignature, SignatureExpired, ValueError):
        return None


def citizen_secret(secret: bytes, case_id: str) -> str:
    digest = hmac.new(secret, f"citizen/{case_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def citizen_secret_matches(secret: bytes, case_id: str, given: str) -> bool:
    given = given or ""  # compare_digest refuses str with non-ASCII characters (TypeError); no secret has them
    return given.isascii() and hmac.compare_digest(citizen_secret(secret, case_id), given)


def _staff(request: Request,
           credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
    services = request.app.state.services
    settings = services.settings
    read = read_staff_token_issued(settings.secret(), credentials.credentials, settings.staff_token_ttl_s) \
        if credentials else None
    actor = read[0] if read else None
    accounts = getattr(services, "accounts", None)
    if actor is not None and accounts is not None and not session_holds(accounts, actor, read[1]):
        actor = None
    if actor is None:
        raise HTTPException(401, "Perlu masuk sebagai petugas / staff login required",
                            headers={"WWW-Authenticate": "Bearer"})
    return actor


def session_holds(accounts, actor: Actor, issued_at: datetime) -> bool:
    """A token of a username that has an account holds while the account is enabled, its sessions were not
    ended after the token was issued, and role and agency still match. A token of a username without an
    account (from `aduan staff-token`, which needs the secret key) is taken on its signature alone."""
    account = accounts.get(actor.id) if actor.id else None
    if account is None:
        return True
    return not account.disabled and issued_at > account.sessions_valid_after and \
        (account.role, account.agency) == (actor.role, actor.agency)


StaffDep = Annotated[Actor, Depends(_staff)]
