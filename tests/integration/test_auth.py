"""Signing in: accounts in the database, tokens from /api/v1/auth/token, lockout, ended sessions."""

import uuid

import httpx
import pytest

from api.accounts import AccountStore

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


def test_repeated_failures_lock_the_account(client, accounts, stack):
    username = new_account(accounts)
    for _ in range(stack.login_max_failures):
        assert login(client, username, "not-the-password").status_code == 401
    locked = login(client, username, PASSWORD)  # even the right password, while locked
    assert locked.status_code == 429, locked.text
    assert 0 < int(locked.headers["Retry-After"]) <= stack.login_lock_s


def test_disabling_an_account_ends_its_sessions_at_once(client, accounts):
    username = new_account(accounts, role="coordinator", agency=None)
    token = login(client, username, PASSWORD).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/officer/performance", headers=headers).status_code == 200
    accounts.disable(username)
    refused = client.get("/api/v1/officer/performance", headers=headers)
    assert refused.status_code == 401
    assert login(client, username, PASSWORD).status_code == 401
