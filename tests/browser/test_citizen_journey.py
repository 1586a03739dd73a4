"""A citizen in a real browser (Debian's chromium, headless): submits the form with a photo, lands on the
tracking page, follows the case until it is routed, and switches the page to English."""

from __future__ import annotations

import re

import pytest

from tests.integration.test_web_intake import jpeg_with_gps

pytestmark = pytest.mark.browser

def test_submit_with_a_photo_and_follow_the_case(browser, client, stack, tmp_path, artifacts):
    photo = tmp_path / "jalan-rusak.jpg"
    photo.write_bytes(jpeg_with_gps())
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    page.set_default_timeout(30_000)
    page.goto(f"{stack.base_url}/")
    assert page.locator("html").get_attribute("lang") == "id"

    page.get_by_label(re.compile("Jalan dan Jembatan")).check()
    page.get_by_label("Uraian pengaduan").fill("Jalan di depan pasar Panorama berlubang besar, berbahaya malam hari.")
    page.get_by_label("Kecamatan / wilayah").select_option("17.71.04")
    page.get_by_label("Alamat atau patokan lokasi (tidak wajib)").fill("Depan pasar Panorama")
    page.set_input_files("#photos", str(photo))
    page.get_by_role("button", name="Kirim pengaduan").click()

    page.wait_for_url(re.compile(r"/lacak/BKL-[0-9A-Z]{5}-[0-9A-Z]{5}\?kunci="))
    assert "Terima kasih" in page.content()
    tracking_id = page.locator("#tracking-id").inner_text()
    assert re.fullmatch(r"BKL-[0-9A-Z]{5}-[0-9A-Z]{5}", tracking_id)
    tracking_link = page.url
    page.screenshot(path=str(artifacts / "citizen-tracking.png"), full_page=True)

    # Follow the tracking link later, as the citizen would: the case reaches its agency.
    for _ in range(60):
        page.goto(tracking_link)
        if page.locator("#status").get_attribute("data-status") == "routed":
            break
        page.wait_for_timeout(500)
    assert page.locator("#status").get_attribute("data-status") == "routed"
    assert "Dinas Pekerjaan Umum dan Penataan Ruang Kota Bengkulu" in page.locator("#agency").inner_text()
    image = page.locator(".photos img").first
    image.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth", image.element_handle()) == 320

    page.get_by_role("link", name="English").click()
    assert page.locator("#status").inner_text() == "Sent to the agency"
    assert "kunci=" in page.url  # the switch keeps the secret link working
    page.screenshot(path=str(artifacts / "citizen-tracking-en.png"), full_page=True)
    page.close()
