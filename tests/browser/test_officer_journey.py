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


def test_an_erased_case_in_the_browser_shows_no_personal_data_and_keeps_its_public_page(browser, client, es, stack,
                                                                                         artifacts):
    """After `aduan privacy erase`: the staff page says the reporter's data was erased and shows [dihapus] for
    the texts; the public case page still shows the scrubbed record. Screenshots of both are kept."""
    import subprocess
    import sys

    from tests.integration.test_lifecycle import Case, headers
    from tests.support import settings_env

    username, password = f"hapus-{uuid.uuid4().hex[:6]}", "Petugas-Jalan-Kota-2026"
    store = AccountStore.from_settings(stack)
    store.add(username, "officer", "PUPR-KOTA", password)
    store.close()
    marker = uuid.uuid4().hex[:6]
    officer = headers(stack, "officer", "PUPR-KOTA")
    case = Case(client, es, stack, title=f"Jalan Kenanga {marker} berlubang", address="Jl. Kenanga No. 14",
                description=f"Lubang di Jalan Kenanga {marker} depan rumah saya, Rahmat Hidayat, makin lebar.")
    case.staff(officer, type="acknowledge")
    case.staff(officer, type="resolve", resolution="Lubang sudah ditambal dengan aspal.")
    public_before = wait_for(lambda: es.get(index=stack.indices.public_cases, id=case.id)["_source"], "published")
    erased = subprocess.run([sys.executable, "-m", "aduan.cli", "privacy", "erase", case.id, "--reason",
                             "permintaan uji peramban"], env=settings_env(stack), capture_output=True, text=True,
                            timeout=120)
    assert erased.returncode == 0 and "shows it erased" in erased.stdout, erased.stdout + erased.stderr

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    page.goto(f"{stack.base_url}/petugas/masuk")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/petugas")
    page.goto(f"{stack.base_url}/petugas/kasus/{case.id}")
    assert "Data pribadi pelapor telah dihapus" in page.locator("#reporter").inner_text()
    assert page.locator("#description").inner_text() == "[dihapus]"
    body = page.locator("body").inner_text()
    assert "Rahmat" not in body and "081273001234" not in body and "Kenanga No. 14" not in body
    assert "Data pribadi dihapus" in page.locator("#timeline").inner_text()
    page.screenshot(path=str(artifacts / "officer-case-erased.png"), full_page=True)

    page.goto(f"{stack.base_url}/kasus/{case.id}")
    public_text = page.locator("body").inner_text()
    assert public_before["resolution"] in public_text and "[dihapus]" not in public_text
    assert "Rahmat" not in public_text
    page.screenshot(path=str(artifacts / "public-case-erased.png"), full_page=True)
    page.close()
