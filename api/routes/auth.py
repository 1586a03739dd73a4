"""Signing in to the API: `POST /api/v1/auth/token` (OAuth2 password form, plus `otp` for the second factor)
gives a staff bearer token (a session of the account, api/auth.py); `POST /api/v1/auth/logout` ends it;
`POST /api/v1/auth/password` changes the caller's own password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from api.accounts import MfaRequired, SignInThrottled
from api.auth import BearerDep, PasswordChangeDep
from api.deps import ServicesDep
from api.ratelimit import client_address
from api.routes.responses import BODY, RATE_LIMITED, STAFF, error
from api.sign_in import sign_in

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

BAD_CREDENTIALS = "Nama pengguna atau kata sandi salah / wrong username or password"
MFA_REQUIRED = "mfa_required"
THROTTLED = ("Terlalu banyak percobaan masuk yang gagal; silakan coba lagi dalam {wait} detik. / "
             "Too many failed sign-ins; please try again in {wait} seconds.")


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024, description="at least 8 characters, not a common password, not "
                                                           "the username")


def throttled(exc: SignInThrottled) -> HTTPException:
    return HTTPException(429, THROTTLED.format(wait=exc.retry_after_s), headers={"Retry-After": str(exc.retry_after_s)})


@router.post("/token", response_model=Token, responses=BODY | {
    401: error('Wrong username or password, or a disabled account (one message for all); `"detail": '
               '"mfa_required"` when the password is right but the account needs a valid `otp` too'),
    429: error("Too many failed sign-ins for this username from this address, or from this address; "
               "Retry-After says for how long", headers=RATE_LIMITED[429]["headers"]),
    503: error("Accounts are not configured"),
})
async def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], services: ServicesDep, request: Request,
                otp: Annotated[str, Form(max_length=64, description="the second factor: the 6-digit code of the "
                                         "authenticator app, or a recovery code")] = "") -> Token:
    """Exchange a username and password (and, for coordinators, admins and anyone who set one up, the
    second factor as `otp`) for a bearer token (`Authorization: Bearer …`) valid for `expires_in` seconds at
    most (it also ends when unused for `ADUAN_STAFF_IDLE_S`, at `POST /api/v1/auth/logout`, at a change of
    password and when the account is disabled). Failed attempts slow the next ones down, never locking the
    account (429 with Retry-After for the address that failed)."""
    try:
        account = await sign_in(services, request, form.username, form.password, otp)
    except SignInThrottled as exc:
        raise throttled(exc) from None
    except MfaRequired:
        raise HTTPException(401, MFA_REQUIRED, headers={"WWW-Authenticate": "Bearer"}) from None
    if account is None:
        raise HTTPException(401, BAD_CREDENTIALS, headers={"WWW-Authenticate": "Bearer"})
    lifetime = services.settings.staff_token_ttl_s
    session = await run_in_threadpool(services.accounts.open_session, account.username, lifetime)
    return Token(access_token=session, expires_in=lifetime)


@router.post("/logout", status_code=204, responses=STAFF)
def logout(actor: PasswordChangeDep, token: BearerDep, services: ServicesDep) -> Response:
    """End this bearer token's session at once: the token is refused from now on."""
    services.accounts.end_session(token)
    return Response(status_code=204)


@router.post("/password", status_code=204, responses=BODY | STAFF | {
    400: error("The current password is wrong, or the new one breaks the policy (detail says which)"),
    429: error("Too many wrong current passwords; Retry-After says for how long", headers=RATE_LIMITED[429]["headers"]),
})
def change_password(change: PasswordChange, actor: PasswordChangeDep, token: BearerDep, services: ServicesDep,
                    request: Request) -> Response:
    """Change the caller's own password. Every other session of the account (pages and tokens) ends; this
    token stays valid. A wrong current password counts as a failed sign-in."""
    try:
        services.accounts.change_password(actor.id, change.current_password, change.new_password, keep_session=token,
                                          address=client_address(request))
    except SignInThrottled as exc:
        raise throttled(exc) from None
    except ValueError as exc:  # WrongPassword, WeakPassword
        raise HTTPException(400, str(exc)) from None
    return Response(status_code=204)

