"""The officer workspace's pages: sign in (CSRF, wrong password, lockout), the performance dashboard in
scope, sign out, and a disabled account losing its page session at once."""

from __future__ import annotations

import uuid

import httpx
import pytest

from api.accounts import AccountStore
from tests.integration.test_lifecycle import Case
from tests.integration.test_web_intake import csrf_of
from tests.support import wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Kantor-Dinkes-2026"


@pytest.fixture
def account(stack):
    """A supervisor of DINKES of this test's own."""
    store = AccountStore.from_settings(stack)
    username = f"sup-{uuid.uuid4().hex[:10]}"
    store.add(username, "supervisor", "DINKES", PASSWORD)
    yield username, store
    store.close()


def sign_in(browser: httpx.Client, username: str, password: str, otp: str = "") -> httpx.Response:
    token = csrf_of(browser.get("/petugas/masuk").text)
    return browser.post("/petugas/masuk", data={"csrf": token, "username": username, "password": password,
                                                "otp": otp})


def test_sign_in_dashboard_sign_out(client, es, stack, account):
    username, store = account
    Case(client, es, stack, category="kesehatan", regency="17.08", district=None,
         description="Obat di apotek puskesmas habis sejak dua minggu lalu.")
    with httpx.Client(base_url=stack.base_url, timeout=30) as browser:
        assert browser.get("/petugas/kinerja").headers.get("location") == "/petugas/masuk"
        forged = browser.post("/petugas/masuk", data={"csrf": "palsu", "username": username, "password": PASSWORD})
        assert forged.status_code == 403
        assert sign_in(browser, username, "salah-sekali").status_code == 401
        done = sign_in(browser, username, PASSWORD)
        assert done.status_code == 303 and done.headers["location"] == "/petugas"  # the queue
        queue = browser.get("/petugas", params={"category": "kesehatan", "regency": "17.08"})
        assert queue.status_code == 200  # its filters keep what was chosen
        assert '<option value="kesehatan" selected>' in queue.text and '<option value="17.08" selected>' in queue.text
        # Search sees the new case after the index's next refresh (about a second).
        page = wait_for(lambda: (p := browser.get("/petugas/kinerja")).status_code == 200
                        and 'id="performance"' in p.text and p, "the dashboard with DINKES's record")
        assert "DINKES" in page.text and "PUPR-KOTA" not in page.text

        stolen = browser.cookies.get("aduan_session")  # a copy of the signed-in cookie
        signout = browser.post("/petugas/keluar", data={"csrf": csrf_of(page.text)})
        assert signout.status_code == 303
        assert browser.get("/petugas/kinerja").headers.get("location") == "/petugas/masuk"
    # Signing out ended the session itself, not just this browser's cookie: the copy opens nothing.
    with httpx.Client(base_url=stack.base_url, timeout=30, cookies={"aduan_session": stolen}) as thief:
        assert thief.get("/petugas/kinerja").headers.get("location") == "/petugas/masuk"


def test_disabling_an_account_ends_its_page_session_at_once(stack, account):
    username, store = account
    with httpx.Client(base_url=stack.base_url, timeout=30) as browser:
        assert sign_in(browser, username, PASSWORD).status_code == 303
        assert browser.get("/petugas/kinerja").status_code == 200
        store.disable(username)
        assert browser.get("/petugas/kinerja").headers.get("location") == "/petugas/masuk"
