"""Staff access on the real stack: the second factor of coordinators and admins, changing and resetting
passwords, and the throttle of failed sign-ins (slows, never locks the real user out; an unknown username
answers as a known one; X-Forwarded-For believed from the listed proxies only)."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from api.accounts import AccountStore
from api.accounts.mfa import code_now
from tests.integration.test_staff_pages import sign_in
from tests.support import free_port, settings_env, start_api

pytestmark = pytest.mark.integration
PASSWORD = "kopi-pahit-di-pantai-panjang"
NEW_PASSWORD = "teh-manis-di-benteng-marlborough"
PERFORMANCE = "/api/v1/officer/performance"
FREE = 3  # failures a username may have before the throttle starts, in the throttled API below
MAX_SLOW_S = 1.0


@pytest.fixture(scope="module")
def accounts(stack):
    store = AccountStore.from_settings(stack)  # the same database as the API processes
    yield store
    store.close()


def new_account(accounts, role="officer", agency="DPUPR") -> str:
    username = f"sa-{uuid.uuid4().hex[:10]}"
    accounts.add(username, role, agency, PASSWORD)
    return username


def token(client: httpx.Client, username: str, password: str = PASSWORD, otp: str | None = None,
          forwarded_for: str | None = None) -> httpx.Response:
    data = {"username": username, "password": password, **({"otp": otp} if otp is not None else {})}
    return client.post("/api/v1/auth/token", data=data,
                       headers={"X-Forwarded-For": forwarded_for} if forwarded_for else {})


def bearer(answer: httpx.Response) -> dict[str, str]:
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


# -- the second factor --------------------------------------------------------------------------------

def test_a_coordinator_needs_the_code_in_the_same_request_as_the_password(client, accounts):
    username = new_account(accounts, role="coordinator", agency=None)
    secret = accounts.enroll_mfa(username).secret
    for _ in range(8):  # a missing code is not a failed sign-in: eight of them neither throttle nor slow
        missing = token(client, username)
        assert missing.status_code == 401, missing.text
        assert missing.json() == {"detail": "mfa_required"} and "access_token" not in missing.text
    wrong = token(client, username, otp="000000" if code_now(secret, datetime.now(UTC)) != "000000" else "111111")
    assert wrong.status_code == 401 and wrong.json() == {"detail": "mfa_required"}
    signed_in = token(client, username, otp=code_now(secret, datetime.now(UTC)))
    assert signed_in.status_code == 200, signed_in.text
    assert client.get(PERFORMANCE, headers=bearer(signed_in)).status_code == 200


def test_a_wrong_password_never_says_whether_a_code_is_needed(client, accounts):
    username = new_account(accounts, role="admin", agency=None)
    accounts.enroll_mfa(username)
    wrong = token(client, username, password=PASSWORD + "x")
    unknown = token(client, f"nobody-{uuid.uuid4().hex[:8]}")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() != {"detail": "mfa_required"}


def test_the_sign_in_page_takes_the_code_beside_the_password(stack, accounts):
    username = new_account(accounts, role="coordinator", agency=None)
    codes = accounts.enroll_mfa(username).recovery_codes
    with httpx.Client(base_url=stack.base_url, timeout=30) as pages:
        asked = sign_in(pages, username, PASSWORD)
        assert asked.status_code == 401 and 'id="mfa-required"' in asked.text
        assert pages.get("/petugas").headers.get("location") == "/petugas/masuk"
        assert sign_in(pages, username, PASSWORD, codes[0]).status_code == 303
        assert pages.get("/petugas").status_code == 200
        assert sign_in(pages, username, PASSWORD, codes[0]).status_code == 401  # a recovery code works once


def test_an_officer_who_set_up_a_second_factor_needs_it_too(client, accounts):
    username = new_account(accounts)
    assert token(client, username).status_code == 200
    secret = accounts.enroll_mfa(username).secret
    assert token(client, username).json() == {"detail": "mfa_required"}
    assert token(client, username, otp=code_now(secret, datetime.now(UTC))).status_code == 200


# -- passwords ----------------------------------------------------------------------------------------

def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(client, stack, accounts):
    username = new_account(accounts)
    this, other = bearer(token(client, username)), bearer(token(client, username))
    with httpx.Client(base_url=stack.base_url, timeout=30) as pages:
        assert sign_in(pages, username, PASSWORD).status_code == 303
        wrong = client.post("/api/v1/auth/password", headers=this,
                            json={"current_password": "not-it", "new_password": NEW_PASSWORD})
        assert wrong.status_code == 400 and "salah" in wrong.json()["detail"]
        weak = client.post("/api/v1/auth/password", headers=this,
                           json={"current_password": PASSWORD, "new_password": "password"})
        assert weak.status_code == 400
        changed = client.post("/api/v1/auth/password", headers=this,
                              json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
        assert changed.status_code == 204, changed.text
        assert client.get(PERFORMANCE, headers=this).status_code == 200
        assert client.get(PERFORMANCE, headers=other).status_code == 401
        assert pages.get("/petugas").headers.get("location") == "/petugas/masuk"  # the page session too
    assert token(client, username).status_code == 401
    assert token(client, username, password=NEW_PASSWORD).status_code == 200


def test_the_password_page_changes_it_and_ends_the_other_sessions(client, stack, accounts):
    from tests.integration.test_web_intake import csrf_of

    username = new_account(accounts)
    other = bearer(token(client, username))
    with httpx.Client(base_url=stack.base_url, timeout=30) as pages:
        assert sign_in(pages, username, PASSWORD).status_code == 303
        form = pages.get("/petugas/sandi")
        assert form.status_code == 200 and 'name="current"' in form.text
        data = {"csrf": csrf_of(form.text), "current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}
        assert pages.post("/petugas/sandi", data={**data, "csrf": "forged"}).status_code == 403
        assert pages.post("/petugas/sandi", data={**data, "repeat": "other"}).status_code == 400
        done = pages.post("/petugas/sandi", data=data)
        assert done.status_code == 200 and 'id="password-changed"' in done.text
        assert pages.get("/petugas").status_code == 200  # this session stays
    assert client.get(PERFORMANCE, headers=other).status_code == 401
    assert token(client, username, password=NEW_PASSWORD).status_code == 200


def test_an_administrators_reset_forces_a_new_password_before_anything_else(client, stack, accounts):
    username = new_account(accounts)
    before = bearer(token(client, username))
    reset = subprocess.run([sys.executable, "-m", "aduan.cli", "users", "reset-password", username],
                           env=settings_env(stack), capture_output=True, text=True, timeout=120, check=False)
    assert reset.returncode == 0, reset.stderr
    one_time = reset.stdout.split(f"one-time password of {username}: ")[1].split()[0]
    assert client.get(PERFORMANCE, headers=before).status_code == 401  # every session ended
    assert token(client, username).status_code == 401
    after = bearer(token(client, username, password=one_time))
    refused = client.get(PERFORMANCE, headers=after)
    assert refused.status_code == 403 and "password_change_required" in refused.json()["detail"]
    with httpx.Client(base_url=stack.base_url, timeout=30) as pages:
        assert sign_in(pages, username, one_time).headers["location"] == "/petugas/sandi"
        assert pages.get("/petugas").headers.get("location") == "/petugas/sandi"
    assert client.post("/api/v1/auth/password", headers=after,
                       json={"current_password": one_time, "new_password": NEW_PASSWORD}).status_code == 204
    assert client.get(PERFORMANCE, headers=after).status_code == 200


# -- the throttle -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def behind_proxy(stack, logs_dir):
    """An API that believes X-Forwarded-For from 127.0.0.1 (as from the ingress), so one test plays several
    client addresses, with a small throttle."""
    settings = stack.model_copy(update={"api_port": free_port(), "trusted_proxies": "127.0.0.1",
                                        "login_free_failures": FREE, "login_address_free_failures": 50,
                                        "login_max_slow_s": MAX_SLOW_S})
    api = start_api(settings, logs_dir, name="api-proxied")
    with httpx.Client(base_url=settings.base_url, timeout=30) as proxied:
        yield proxied
    api.stop()


def random_address() -> str:
    """A client address of its own per call, so no counter of another test or an earlier run meets it."""
    return ".".join(["10", *(str(secrets.randbelow(250) + 1) for _ in range(3))])


def test_failures_throttle_the_attackers_address_and_never_lock_out_the_real_user(behind_proxy, accounts):
    username, attacker, office = new_account(accounts), random_address(), random_address()
    statuses = [token(behind_proxy, username, password=f"guess-{i}", forwarded_for=attacker).status_code
                for i in range(FREE)]
    assert statuses == [401] * FREE
    # Now the attacker's address waits (1 s, 2 s, ... after each failure): within a few tries it is refused,
    # even with the right password, which is then not checked.
    for _ in range(4):
        refused = token(behind_proxy, username, password="guess-again", forwarded_for=attacker)
        if refused.status_code == 429:
            break
    assert refused.status_code == 429, refused.text
    assert 0 < int(refused.headers["Retry-After"]) <= 16
    # The real user, at the office: slowed (the username has FREE failures or more: 0.5 s at least), but signed
    # in. The lower bound is the server holding its answer back, which cannot come sooner; no upper bound is
    # asserted.
    started = time.monotonic()
    real = token(behind_proxy, username, forwarded_for=office)
    assert real.status_code == 200, real.text
    assert time.monotonic() - started >= 0.5


def test_an_unknown_username_answers_exactly_as_a_known_one(behind_proxy, accounts):
    known, unknown = new_account(accounts), f"nobody-{uuid.uuid4().hex[:8]}"

    def answers(username: str, address: str) -> list[tuple]:
        seen = []
        for i in range(FREE + 1):  # the last one refused, within a second of the one before
            a = token(behind_proxy, username, password=f"guess-{i}", forwarded_for=address)
            seen.append((a.status_code, a.text, a.headers.get("www-authenticate"),
                         a.headers.get("retry-after") is not None))
        return seen

    seen = answers(known, random_address())
    assert seen == answers(unknown, random_address())
    assert [status for status, *_ in seen] == [401] * FREE + [429]


def test_forwarded_addresses_are_believed_only_from_a_listed_proxy(stack, logs_dir, tmp_path):
    # An accounts database of its own: the failure counters of 127.0.0.1 are shared by every API process of a
    # database, and the other tests fail to sign in from 127.0.0.1 a lot.
    settings = stack.model_copy(update={"api_port": free_port(), "login_free_failures": FREE,
                                        "login_address_free_failures": 50,
                                        "database_url": f"sqlite:///{tmp_path / 'aduan.db'}"})
    api = start_api(settings, logs_dir, name="api-no-proxy")
    store = AccountStore.from_settings(settings)
    try:
        username = new_account(store)
        with httpx.Client(base_url=settings.base_url, timeout=30) as direct:
            for i in range(FREE):
                assert token(direct, username, password=f"guess-{i}", forwarded_for=f"10.9.9.{i}").status_code == 401
            # Each attempt claimed another address; all came from 127.0.0.1, and that is what counted.
            assert token(direct, username, forwarded_for="10.9.9.200").status_code == 429
    finally:
        store.close()
        api.stop()
