"""Signing in to the API: `POST /api/v1/auth/token` (OAuth2 password form) gives a staff bearer token (a
session of the account, api/auth.py); `POST /api/v1/auth/logout` ends it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.accounts import AccountLocked
from api.auth import BearerDep, StaffDep
from api.deps import ServicesDep
from api.routes.responses import BODY, RATE_LIMITED, STAFF, error

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

BAD_CREDENTIALS = "Nama pengguna atau kata sandi salah / wrong username or password"
LOCKED = ("Terlalu banyak percobaan gagal; akun dikunci sementara, coba lagi dalam {wait} detik. / "
          "Too many failed attempts; the account is locked, try again in {wait} seconds.")


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


@router.post("/token", response_model=Token, responses=BODY | {
    401: error("Wrong username or password, or a disabled account (one message for all)"),
    429: error("Locked after repeated failures, or too many attempts from this address; Retry-After says for how "
               "long", headers=RATE_LIMITED[429]["headers"]),
    503: error("Accounts are not configured"),
})
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], services: ServicesDep, request: Request) -> Token:
    """Exchange a username and password for a bearer token (`Authorization: Bearer …`) valid for
    `expires_in` seconds at most (it also ends when unused for `ADUAN_STAFF_IDLE_S`, at
    `POST /api/v1/auth/logout`, and when the account is disabled). After repeated wrong passwords the account
    is locked for a while (429)."""
    # A plain `def`: argon2 and the database block, so FastAPI runs this in its thread pool.
    services.sign_in_limiter.refuse_when_over(request)
    if services.accounts is None:
        raise HTTPException(503, "Akun belum tersedia / accounts are not configured")
    try:
        account = services.accounts.authenticate(form.username, form.password)
    except AccountLocked as exc:
        raise HTTPException(429, LOCKED.format(wait=exc.retry_after_s),
                            headers={"Retry-After": str(exc.retry_after_s)}) from None
    if account is None:
        services.sign_in_limiter.count(request)
        raise HTTPException(401, BAD_CREDENTIALS, headers={"WWW-Authenticate": "Bearer"})
    lifetime = services.settings.staff_token_ttl_s
    return Token(access_token=services.accounts.open_session(account.username, lifetime), expires_in=lifetime)


@router.post("/logout", status_code=204, responses=STAFF)
def logout(actor: StaffDep, token: BearerDep, services: ServicesDep) -> Response:
    """End this bearer token's session at once: the token is refused from now on."""
    services.accounts.end_session(token)
    return Response(status_code=204)
