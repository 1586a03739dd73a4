"""The public side in a real browser (Debian's chromium, headless): search resolved complaints in Indonesian,
open one, read the scorecards. Screenshots of the three pages are kept as test artifacts."""

from __future__ import annotations

import pytest

from tests.integration.test_lifecycle import Case, headers
from tests.support import search_marker, wait_for

pytestmark = pytest.mark.browser


def test_search_open_a_case_and_read_the_scorecards(browser, client, es, stack, artifacts):
    marker = search_marker()
    case = Case(client, es, stack, reporter={"name": "Wahyu Hidayat", "phone": "081299988877"},
                description=f"Rumah warga RT 03 kebanjiran setiap hujan deras; saya Wahyu ({marker}).")
    officer = headers(stack, "officer", "PUPR-KOTA")
    case.staff(officer, type="acknowledge")
    case.staff(officer, type="reply", message="Tim kami membersihkan saluran besok pagi.")
    case.staff(officer, type="resolve", resolution="Saluran sudah dibersihkan dan diperlebar.")
    wait_for(lambda: client.get(f"/api/v1/public/cases/{case.id}").status_code == 200, "the public case")

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    page.goto(f"{stack.base_url}/")
    page.get_by_role("link", name="Cari pengaduan").click()
    page.wait_for_url("**/cari")
    result = page.locator(f'li[data-case="{case.id}"]')
    for _ in range(30):  # the public index shows the case after its next refresh
        page.get_by_label("Kata kunci").fill(f"banjir {marker}")
        page.get_by_role("button", name="Cari", exact=True).click()
        page.wait_for_load_state()
        if result.count():
            break
        page.wait_for_timeout(500)
    assert result.count() == 1
    assert result.locator("mark").first.inner_text() == "kebanjiran"  # the affixed form, found and marked
    assert "Wahyu" not in result.inner_text() and "[nama]" in result.inner_text()
    assert page.locator('ul[data-facet="category"] li').count() >= 1
    page.screenshot(path=str(artifacts / "public-search.png"), full_page=True)

    result.get_by_role("link").first.click()
    page.wait_for_url(f"**/kasus/{case.id}")
    assert page.locator("#status").get_attribute("data-status") == "resolved"
    assert "Saluran sudah dibersihkan" in page.locator("#resolution").inner_text()
    assert "Tim kami membersihkan saluran besok pagi." in page.locator("#timeline").inner_text()
    content = page.content()
    assert "Wahyu" not in content and "081299988877" not in content
    page.screenshot(path=str(artifacts / "public-case.png"), full_page=True)

    page.get_by_role("link", name="Kinerja instansi").click()
    page.wait_for_url("**/kinerja")
    row = page.locator('#scorecards tr[data-key="PUPR-KOTA"]')
    assert row.count() == 1 and row.locator("svg.trend").count() == 1
    page.get_by_role("link", name="English").click()
    assert page.locator("h1").inner_text() == "Agency performance"
    page.screenshot(path=str(artifacts / "public-scorecards.png"), full_page=True)
    page.close()
