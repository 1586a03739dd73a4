"""A supervisor in a real browser: signs in and reads the performance dashboard (a screenshot is kept)."""

from __future__ import annotations

import uuid

import pytest

from api.accounts import AccountStore
from tests.integration.test_lifecycle import Case, headers

pytestmark = pytest.mark.browser


def test_supervisor_signs_in_and_sees_the_dashboard(browser, client, es, stack, artifacts):
    username, password = f"sari-{uuid.uuid4().hex[:6]}", "Kepala-Seksi-Jalan-2026"
    store = AccountStore.from_settings(stack)
    store.add(username, "supervisor", "PUPR-KOTA", password)
    store.close()
    case = Case(client, es, stack)
    case.staff(headers(stack, "officer", "PUPR-KOTA"), type="resolve", resolution="Lubang sudah ditambal.")

    page = browser.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{stack.base_url}/petugas/kinerja")
    assert page.url.endswith("/petugas/masuk")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/petugas")  # signing in leads to the queue
    page.get_by_role("link", name="Kinerja", exact=True).click()
    page.wait_for_url("**/petugas/kinerja")
    for _ in range(20):  # the index shows new cases to searches after its next refresh
        if page.locator("#performance").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    row = page.locator("#performance tbody tr").first
    assert row.locator("th").inner_text() == "PUPR-KOTA"
    page.screenshot(path=str(artifacts / "supervisor-dashboard.png"), full_page=True)
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url("**/petugas/masuk")
    page.close()
