"""Intake from the web: photos (checked by content, stripped of EXIF), the HTML form (CSRF, redirect to
the tracking page), rate limiting of anonymous submissions, security headers and escaping."""

from __future__ import annotations

import io
import json
import re
import uuid

import httpx
import pytest
from PIL import Image

from tests.integration.test_lifecycle import BODY, Case, headers
from tests.support import free_port, start_api

pytestmark = pytest.mark.integration


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "KameraHP"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "S", (3.0, 47.0, 50.0)  # latitude ref, latitude
    gps[3], gps[4] = "E", (102.0, 15.0, 40.0)  # longitude ref, longitude
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 80, 40)).save(out, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(out.getvalue())).getexif().get_ifd(0x8825)  # the input really has GPS
    return out.getvalue()


def post_multipart(client: httpx.Client, body: dict, files: list[tuple[str, bytes, str]]) -> httpx.Response:
    return client.post("/api/v1/complaints", data={"complaint": json.dumps(body)},
                       files=[("photos", f) for f in files])


def test_photo_comes_back_without_exif(client):
    response = post_multipart(client, BODY, [("jalan.jpg", jpeg_with_gps(), "image/jpeg")])
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert "photos" not in client.get(f"/api/v1/complaints/{accepted['tracking_id']}").json()  # only its submitter
    view = client.get(f"/api/v1/complaints/{accepted['tracking_id']}", params={"kunci": accepted["secret"]}).json()
    assert len(view["photos"]) == 1
    url = f"/api/v1/complaints/{accepted['tracking_id']}/photos/{view['photos'][0]}"
    photo = client.get(url, params={"secret": accepted["secret"]})
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(photo.content))
    assert image.format == "JPEG" and image.size == (320, 240)
    assert not image.getexif() and "exif" not in image.info
    assert b"KameraHP" not in photo.content
    assert client.get(url, params={"secret": "salah"}).status_code == 403
    assert client.get(url).status_code == 422  # the secret is required


def test_text_file_named_jpg_is_refused_with_a_clear_message(client):
    response = post_multipart(client, BODY, [("foto.jpg", b"ini bukan gambar, hanya teks", "image/jpeg")])
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"][:2] == ["body", "photos"]
    assert "foto.jpg" in error["msg"] and "JPEG" in error["msg"]


def test_retry_with_photos_gives_the_same_case(client):
    body = {**BODY, "client_request_id": str(uuid.uuid4())}
    photo = ("a.jpg", jpeg_with_gps(), "image/jpeg")
    first, second = post_multipart(client, body, [photo]), post_multipart(client, body, [photo])
    assert first.status_code == second.status_code == 202
    assert first.json()["tracking_id"] == second.json()["tracking_id"]
    assert first.json()["secret"] == second.json()["secret"]


def test_four_photos_are_too_many(client):
    photo = ("a.jpg", jpeg_with_gps(), "image/jpeg")
    response = post_multipart(client, BODY, [photo] * 4)
    assert response.status_code in (400, 422)


def test_rate_limit_on_anonymous_submission(stack, logs_dir):
    strict = stack.model_copy(update={"api_port": free_port(), "submit_rate_limit": "3/minute"})
    api = start_api(strict, logs_dir, name="api-rate-limited")
    try:
        with httpx.Client(base_url=strict.base_url, timeout=30) as client:
            codes = [client.post("/api/v1/complaints", json=BODY).status_code for _ in range(4)]
            assert codes == [202, 202, 202, 429]
            refused = client.post("/api/v1/complaints", json=BODY)
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
            assert "coba lagi" in refused.json()["detail"] and "try again" in refused.json()["detail"]
            # Reading is not limited.
            assert client.get("/api/v1/categories").status_code == 200
    finally:
        api.stop()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_html_form_needs_its_csrf_token_and_leads_to_the_tracking_page(client, stack):
    with httpx.Client(base_url=stack.base_url, timeout=30) as browser:
        page = browser.get("/")
        assert page.status_code == 200 and 'lang="id"' in page.text and "Kirim pengaduan" in page.text
        form = {"category": "sampah-kebersihan", "description": "Sampah menumpuk di pinggir jalan sudah seminggu.",
                "location": "17.71.02", "client_request_id": uuid.uuid4().hex}
        assert browser.post("/", data=form).status_code == 403  # no token
        assert browser.post("/", data={**form, "csrf": "palsu"}).status_code == 403
        done = browser.post("/", data={**form, "csrf": csrf_of(page.text)})
        assert done.status_code == 303
        location = done.headers["location"]
        assert re.match(r"^/lacak/BKL-[0-9A-Z]{5}-[0-9A-Z]{5}\?kunci=[\w-]+$", location)
        tracked = browser.get(location)
        assert "Terima kasih" in tracked.text and location.split("/")[2].split("?")[0] in tracked.text

        again = browser.post("/", data={**form, "csrf": csrf_of(page.text)})  # a double click: the same case
        assert again.headers["location"] == location
        # Back, changed, sent again with the old hidden id: a new complaint is a new case, never a 409 or
        # the first case's secret link.
        changed = browser.post("/", data={**form, "description": "Sampah menumpuk di depan sekolah dua minggu.",
                                          "csrf": csrf_of(page.text)})
        assert changed.status_code == 303 and changed.headers["location"].split("?")[0] != location.split("?")[0]

        invalid = browser.post("/", data={**form, "description": "pendek", "csrf": csrf_of(page.text)})
        assert invalid.status_code == 422 and "description" in invalid.text
        assert "Sampah menumpuk" not in invalid.text or "pendek" in invalid.text


def test_english_switch_keeps_the_page(client, stack):
    with httpx.Client(base_url=stack.base_url, timeout=30) as browser:
        page = browser.get("/", params={"lang": "en"})
        assert "Send complaint" in page.text and 'lang="en"' in page.text
        assert "Send complaint" in browser.get("/").text  # remembered for the session


def test_pages_escape_what_officers_and_citizens_write(client, es, stack):
    case = Case(client, es, stack)
    case.staff(headers(stack, "officer", "PUPR-KOTA"), type="reply", message="<script>alert('x')</script>")
    page = client.get(f"/lacak/{case.id}", params={"kunci": case.secret})  # the texts are the citizen's to read
    assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text


def test_security_headers(stack, client):
    response = httpx.get(f"{stack.base_url}/", timeout=30)  # a new visitor, so the session cookie is set
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    cookie = response.headers.get("set-cookie", "").lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
