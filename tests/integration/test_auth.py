"""Signing in: accounts in the database, tokens from /api/v1/auth/token, ended sessions, signing out, and
`aduan staff-token`. The second factor, password changes and the throttle: test_staff_access.py."""

import subprocess
import sys
import uuid

import httpx
import pytest

from api.accounts import AccountStore
from tests.support import settings_env

pytestmark = pytest.mark.integration
PASSWORD = "kopi-pahit-di-pantai-panjang"


@pytest.fixture(scope="module")
def accounts(stack):
    store = AccountStore.from_settings(stack)  # the same database as the API process
    yield store
    store.close()


def new_account(accounts, role="officer", agency="DPUPR") -> str:
    username = f"it-{uuid.uuid4().hex[:10]}"
    accounts.add(username, role, agency, PASSWORD)
    return username


def login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_a_token_from_the_password_opens_the_officer_api(client, accounts, stack):
    username = new_account(accounts)
    response = login(client, username, PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == stack.staff_token_ttl_s
    performance = client.get("/api/v1/officer/performance",
                             headers={"Authorization": f"Bearer {body['access_token']}"})
    assert performance.status_code == 200, performance.text
    assert performance.json()["scope"] == "DPUPR"


def test_a_wrong_password_and_an_unknown_user_get_the_same_401(client, accounts):
    username = new_account(accounts)
    wrong = login(client, username, PASSWORD + "x")
    unknown = login(client, f"nobody-{uuid.uuid4().hex[:8]}", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert "access_token" not in wrong.text


def test_disabling_an_account_ends_its_sessions_at_once(client, accounts):
    username = new_account(accounts, role="supervisor", agency="DPUPR")
    token = login(client, username, PASSWORD).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/officer/performance", headers=headers).status_code == 200
    accounts.disable(username)
    refused = client.get("/api/v1/officer/performance", headers=headers)
    assert refused.status_code == 401
    assert login(client, username, PASSWORD).status_code == 401


PERFORMANCE = "/api/v1/officer/performance"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_signing_out_ends_that_token_at_once_and_no_other(client, accounts):
    username = new_account(accounts)
    token = login(client, username, PASSWORD).json()["access_token"]
    other = login(client, username, PASSWORD).json()["access_token"]  # the same officer on another device
    assert client.get(PERFORMANCE, headers=bearer(token)).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    refused = client.get(PERFORMANCE, headers=bearer(token))
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 401
    assert client.get(PERFORMANCE, headers=bearer(other)).status_code == 200


def test_a_token_signed_with_the_secret_key_for_a_username_without_an_account_is_refused(client, stack):
    """What `aduan staff-token` used to print: signed, not a session of any account."""
    from itsdangerous import URLSafeTimedSerializer

    signed = URLSafeTimedSerializer(stack.keys().root, salt="aduan-staff-token").dumps(
        {"role": "coordinator", "id": f"ghost-{uuid.uuid4().hex[:6]}"})
    assert client.get(PERFORMANCE, headers=bearer(signed)).status_code == 401


def staff_token_cli(stack, username: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aduan.cli", "staff-token", username], env=settings_env(stack),
                          capture_output=True, text=True, timeout=120, check=False)


def test_staff_token_opens_a_session_only_for_an_existing_enabled_account(client, accounts, stack):
    username = new_account(accounts, role="supervisor", agency="DPUPR")
    made = staff_token_cli(stack, username)
    assert made.returncode == 0, made.stderr
    answer = client.get(PERFORMANCE, headers=bearer(made.stdout.strip()))
    assert answer.status_code == 200 and answer.json()["scope"] == "DPUPR"

    unknown = staff_token_cli(stack, f"nobody-{uuid.uuid4().hex[:8]}")
    assert unknown.returncode != 0 and not unknown.stdout.strip()
    assert "no enabled staff account" in unknown.stderr
    accounts.disable(username)
    assert staff_token_cli(stack, username).returncode != 0
    assert client.get(PERFORMANCE, headers=bearer(made.stdout.strip())).status_code == 401
