"""An officer in a real browser (Debian's chromium, headless): signs in, finds a new case in the queue,
acknowledges it, replies from the category's template, resolves it; the citizen's tracking page then shows
the reply. Screenshots of the queue and of the case page are kept as test artifacts."""

from __future__ import annotations

import uuid

import pytest

from api.accounts import AccountStore
from tests.integration.test_lifecycle import BODY
from tests.support import wait_for

pytestmark = pytest.mark.browser


def test_an_officer_works_a_case_from_the_queue_to_resolution(browser, client, es, stack, artifacts):
    username, password = f"budi-{uuid.uuid4().hex[:6]}", "Petugas-Jalan-Kota-2026"
    store = AccountStore.from_settings(stack)
    store.add(username, "officer", "PUPR-KOTA", password)
    store.close()
    marker = uuid.uuid4().hex[:6]
    accepted = client.post("/api/v1/complaints", json={
        **BODY, "title": f"Jalan Kapuas {marker} berlubang",
        "description": "Lubang besar di Jalan Kapuas dekat simpang, sudah dua motor terjatuh minggu ini."})
    assert accepted.status_code == 202, accepted.text
    tracking_id, tracking_url = accepted.json()["tracking_id"], accepted.json()["tracking_url"]
    wait_for(lambda: es.get(index=stack.indices.cases, id=tracking_id)["_source"]["status"] == "routed", "routing")

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    page.goto(f"{stack.base_url}/petugas")
    assert page.url.endswith("/petugas/masuk")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/petugas")

    # The new case is in the agency's unassigned view (found by a word of its title) once the index has
    # refreshed.
    page.get_by_role("link", name="Belum ditugaskan").click()
    page.get_by_label("Cari (kata atau nomor pelacakan)").fill(marker)
    row = page.locator(f'tr[data-case="{tracking_id}"]')
    for _ in range(30):
        page.get_by_role("button", name="Terapkan").click()
        page.wait_for_load_state()
        if row.count():
            break
        page.wait_for_timeout(500)
    assert row.count() == 1 and page.locator("#queue tbody tr").count() == 1
    assert page.locator("#view-unassigned").get_attribute("aria-current") == "page"
    assert int(page.locator("#view-unassigned").get_attribute("data-count")) == 1
    page.screenshot(path=str(artifacts / "officer-queue.png"), full_page=True)

    row.get_by_role("link", name=tracking_id).click()
    page.wait_for_url(f"**/petugas/kasus/{tracking_id}")
    assert "Rahmat Hidayat" in page.locator("#reporter").inner_text()

    page.get_by_role("button", name="Terima dan tangani").click()
    page.wait_for_url(f"**/petugas/kasus/{tracking_id}")
    assert "Tindakan tercatat." in page.locator("#notice").inner_text()
    assert page.locator("#status").get_attribute("data-status") == "in_progress"
    assert page.locator("#assignee").inner_text() == username

    reply = page.locator("#reply-message")
    assert "Terima kasih atas laporan kerusakan jalan/jembatan" in reply.input_value()  # the template
    message = f"Tim kami menambal lubang di Jalan Kapuas besok pagi ({marker})."
    reply.fill(message)
    page.get_by_role("button", name="Balas pelapor").click()
    page.wait_for_url(f"**/petugas/kasus/{tracking_id}")
    assert "Tindakan tercatat." in page.locator("#notice").inner_text()

    page.locator("#resolve-resolution").fill("Lubang di Jalan Kapuas sudah ditambal dengan aspal pada pagi ini.")
    page.get_by_role("button", name="Selesaikan").click()
    page.wait_for_url(f"**/petugas/kasus/{tracking_id}")
    assert page.locator("#status").get_attribute("data-status") == "resolved"
    timeline = page.locator("#timeline").inner_text()
    assert message in timeline and "Diterima petugas" in timeline
    page.screenshot(path=str(artifacts / "officer-case.png"), full_page=True)

    page.goto(tracking_url)  # the citizen's own link
    assert page.locator("#status").get_attribute("data-status") == "resolved"
    assert message in page.locator("ol.timeline").inner_text()
    page.close()
