"""What the API signs with the purpose keys: the session cookie and the citizens' case secrets. What was
signed under a previous root, or (legacy) with a root itself, is accepted; an unrelated key is not."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from itsdangerous import TimestampSigner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.app import KeyedSessionMiddleware, session_keys
from api.auth import case_secret_keys, citizen_secret, citizen_secret_matches
from config.keys import KeyRing, Purpose

pytestmark = pytest.mark.unit
OLD, NEW, OTHER = b"o" * 40, b"n" * 40, b"x" * 40
CASE = "BKL-2026-ABCDE-FGHJK"


def cookie(key: bytes | str, session: dict) -> str:
    return TimestampSigner(key).sign(base64.b64encode(json.dumps(session).encode())).decode()


async def read_session(keys: KeyRing, signed_with: bytes | str, session: dict) -> httpx.Response:
    """The answer of an app with these keys to a request carrying `session` signed with `signed_with`."""
    async def show(request: Request) -> JSONResponse:
        request.session.setdefault("seen", 0)
        request.session["seen"] += 1
        return JSONResponse(dict(request.session))

    app = Starlette(routes=[Route("/", show)])
    app.add_middleware(KeyedSessionMiddleware, keys=session_keys(keys), session_cookie="aduan_session",
                       max_age=24 * 3600, same_site="lax", https_only=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="https://testserver",
                                 cookies={"aduan_session": cookie(signed_with, session)}) as client:
        return await client.get("/")


async def test_a_session_cookie_signed_under_the_previous_root_is_read_and_signed_again_with_the_current_key():
    rotated = KeyRing(NEW, (OLD,))
    answer = await read_session(rotated, KeyRing(OLD).purpose_key(Purpose.SESSION), {"seen": 1})
    assert answer.json() == {"seen": 2}
    set_cookie = answer.headers["set-cookie"]
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "secure" in set_cookie
    assert "Max-Age=86400" in set_cookie
    value = set_cookie.split(";")[0].split("=", 1)[1]
    TimestampSigner(rotated.purpose_key(Purpose.SESSION)).unsign(value)  # signed with the current key


@pytest.mark.parametrize(("signed_with", "read"), [
    (KeyRing(NEW).purpose_key(Purpose.SESSION), True),
    (KeyRing(OLD).purpose_key(Purpose.SESSION), True),
    (OLD.decode(), True),  # legacy: Starlette's SessionMiddleware with the root as its secret
    (NEW.decode(), True),
    (KeyRing(OTHER).purpose_key(Purpose.SESSION), False),
    (OTHER.decode(), False),
    (KeyRing(NEW).purpose_key(Purpose.CASE_SECRET), False),  # another purpose's key
])
async def test_which_session_cookies_are_accepted(signed_with, read):
    answer = await read_session(KeyRing(NEW, (OLD,)), signed_with, {"seen": 5})
    assert answer.json() == ({"seen": 6} if read else {"seen": 1})


async def test_after_the_previous_root_is_dropped_its_cookies_are_not_accepted():
    answer = await read_session(KeyRing(NEW), KeyRing(OLD).purpose_key(Purpose.SESSION), {"seen": 5})
    assert answer.json() == {"seen": 1}


def test_a_case_secret_is_made_with_the_current_case_secret_key_and_old_ones_still_match():
    rotated = KeyRing(NEW, (OLD,))
    made = citizen_secret(rotated.purpose_key(Purpose.CASE_SECRET), CASE)
    before_rotation = citizen_secret(KeyRing(OLD).purpose_key(Purpose.CASE_SECRET), CASE)
    before_purpose_keys = citizen_secret(OLD, CASE)  # legacy: HMAC with the root itself
    assert len({made, before_rotation, before_purpose_keys}) == 3 and len(made) == 22
    accepted = case_secret_keys(rotated)
    for kunci in (made, before_rotation, before_purpose_keys, citizen_secret(NEW, CASE)):
        assert citizen_secret_matches(accepted, CASE, kunci)
    for kunci in (citizen_secret(KeyRing(OTHER).purpose_key(Purpose.CASE_SECRET), CASE), citizen_secret(OTHER, CASE),
                  citizen_secret(rotated.purpose_key(Purpose.SESSION), CASE), "", "kunci-palsu", "ké" * 11,
                  citizen_secret(rotated.purpose_key(Purpose.CASE_SECRET), "BKL-2026-OTHER-CASE0")):
        assert not citizen_secret_matches(accepted, CASE, kunci)
    assert not citizen_secret_matches(case_secret_keys(KeyRing(NEW)), CASE, before_rotation)  # OLD dropped
