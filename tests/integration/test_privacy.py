"""Personal data on the real stack (README, "Personal data (UU PDP)"): staff views of a reporter's contact and
photos recorded by the API and the pages (none of the contact for an anonymous case), `aduan audit list`,
the administrators' audit page, `aduan privacy export`, and the orphan photo sweep against the index."""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from api.accounts import AccountStore
from api.photos import CONFIRMED
from config.settings import Settings
from domain.ids import case_id_from_bytes
from tests.integration.test_lifecycle import BODY, Case
from tests.integration.test_staff_pages import sign_in
from tests.integration.test_web_intake import jpeg_with_gps, post_multipart
from tests.support import settings_env

pytestmark = pytest.mark.integration
PASSWORD = "Meja-Layanan-Terpadu-7"
REPORTER = {"name": "Wulan Sari", "phone": "081273009876", "email": "wulan.sari@example.org"}
DAY = 24 * 3600


def aduan(stack: Settings, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aduan.cli", *args], env={**settings_env(stack), **env},
                          capture_output=True, text=True, timeout=120)


def photo_case(client, es, stack, **changes) -> tuple[Case, str]:
    """A PUPR-KOTA case with one photo, routed; the Case helper of test_lifecycle to act on it."""
    body = {**BODY, "reporter": REPORTER, **changes}
    accepted = post_multipart(client, body, [("jalan.jpg", jpeg_with_gps(), "image/jpeg")])
    assert accepted.status_code == 202, accepted.text
    case = Case.__new__(Case)
    case.client, case.es, case.stack = client, es, stack
    case.id, case.secret = accepted.json()["tracking_id"], accepted.json()["secret"]
    case.doc = {"seq": 0}
    case.wait(2)
    return case, case.doc["state"]["complaint"]["photos"][0]


def entries(stack: Settings, case_id: str) -> list[dict]:
    listed = aduan(stack, "audit", "list", "--case", case_id, "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


@pytest.fixture(scope="module")
def world(client, es, stack):
    run = uuid.uuid4().hex[:6]
    officer, admin = f"pdp-{run}", f"adm-{run}"
    store = AccountStore.from_settings(stack)
    store.add(officer, "officer", "PUPR-KOTA", PASSWORD)
    store.add(admin, "admin", None, PASSWORD)
    codes = store.enroll_mfa(admin).recovery_codes  # an admin signs in with a second factor
    store.close()
    token = client.post("/api/v1/auth/token", data={"username": officer, "password": PASSWORD})
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    pages = httpx.Client(base_url=stack.base_url, timeout=30)
    assert sign_in(pages, officer, PASSWORD).status_code == 303
    admin_pages = httpx.Client(base_url=stack.base_url, timeout=30)
    assert sign_in(admin_pages, admin, PASSWORD, codes[0]).status_code == 303

    named, photo = photo_case(client, es, stack, description=f"Jalan {run} berlubang besar di depan pasar.",
                              address="Jl. Salak No. 3", lat=-3.7956, lon=102.2592)
    named.staff(bearer, type="request_info", question="Di depan nomor rumah berapa?")
    named.citizen(type="citizen_reply", message="Depan rumah nomor 12, dekat masjid.")
    anonymous, anonymous_photo = photo_case(client, es, stack, anonymous=True,
                                            description=f"Gorong-gorong {run} tersumbat sampah plastik.")
    yield {"officer": officer, "admin": admin, "bearer": bearer, "pages": pages, "admin_pages": admin_pages,
           "named": named, "photo": photo, "anonymous": anonymous, "anonymous_photo": anonymous_photo}
    pages.close()
    admin_pages.close()


def test_staff_views_of_the_contact_and_photos_are_recorded_by_the_api_and_the_pages(world, client, stack):
    case, photo, officer = world["named"], world["photo"], world["officer"]
    view = client.get(f"/api/v1/officer/cases/{case.id}", headers=world["bearer"])
    assert view.status_code == 200 and view.json()["reporter"]["phone"] == REPORTER["phone"]
    assert client.get(f"/api/v1/officer/cases/{case.id}/photos/{photo}", headers=world["bearer"]).status_code == 200
    page = world["pages"].get(f"/petugas/kasus/{case.id}")
    assert page.status_code == 200 and REPORTER["phone"] in page.text
    assert world["pages"].get(f"/petugas/kasus/{case.id}/foto/{photo}").status_code == 200

    recorded = entries(stack, case.id)
    assert [(e["actor"], e["action"], e["detail"]) for e in reversed(recorded)] == [
        (officer, "privacy.view_contact", "api"), (officer, "privacy.view_photo", f"photo {photo} via api"),
        (officer, "privacy.view_contact", "page"), (officer, "privacy.view_photo", f"photo {photo} via page")]
    assert all(e["case_id"] == case.id and e["at"] for e in recorded)
    listed = aduan(stack, "audit", "list", "--case", case.id, "--json").stdout
    assert not any(value in listed for value in REPORTER.values())  # the trail never holds the contact


def test_an_anonymous_case_records_no_contact_view(world, client, stack):
    case, photo = world["anonymous"], world["anonymous_photo"]
    assert client.get(f"/api/v1/officer/cases/{case.id}", headers=world["bearer"]).json()["reporter"] is None
    page = world["pages"].get(f"/petugas/kasus/{case.id}")
    assert page.status_code == 200 and REPORTER["name"] not in page.text
    assert world["pages"].get(f"/petugas/kasus/{case.id}/foto/{photo}").status_code == 200
    assert [e["action"] for e in entries(stack, case.id)] == ["privacy.view_photo"]


def test_the_audit_page_lists_them_for_an_admin_and_refuses_an_officer(world, client, stack):
    case = world["named"]
    client.get(f"/api/v1/officer/cases/{case.id}", headers=world["bearer"])  # at least one entry, in any order
    refused = world["pages"].get("/petugas/audit", params={"case": case.id})
    assert refused.status_code == 404 and f'data-case="{case.id}"' not in refused.text
    assert 'id="nav-audit"' not in world["pages"].get("/petugas/sandi").text
    page = world["admin_pages"].get("/petugas/audit", params={"case": case.id})
    assert page.status_code == 200 and 'id="nav-audit"' in page.text
    assert f'data-actor="{world["officer"]}"' in page.text and 'data-action="privacy.view_contact"' in page.text
    assert page.text.count("data-entry=") == len(entries(stack, case.id))
    photos_only = world["admin_pages"].get("/petugas/audit", params={"case": case.id,
                                                                      "action": "privacy.view_photo"}).text
    assert 'data-action="privacy.view_contact"' not in photos_only and 'data-action="privacy.view_photo"' in photos_only


def test_the_export_holds_the_reporters_data_and_is_recorded(world, client, stack, tmp_path):
    case, photo = world["named"], world["photo"]
    client.get(f"/api/v1/officer/cases/{case.id}", headers=world["bearer"])
    client.get(f"/api/v1/officer/cases/{case.id}/photos/{photo}", headers=world["bearer"])
    done = aduan(stack, "privacy", "export", case.id.lower(), "--reason", "permintaan no. 17/2026",
                 "--as", world["admin"])
    assert done.returncode == 0, done.stderr
    export = json.loads(done.stdout)  # nothing but the JSON on standard output
    assert export["tracking_id"] == case.id
    complaint = export["complaint"]
    assert complaint["reporter"] == REPORTER and complaint["address"] == "Jl. Salak No. 3"
    assert (complaint["lat"], complaint["lon"]) == (-3.7956, 102.2592)
    assert complaint["description"].startswith("Jalan ") and complaint["photos"] == [photo]
    assert [t["text"] for t in export["citizen_texts"]["items"]] == ["Depan rumah nomor 12, dekat masjid."]
    (stored,) = export["photos"]["items"]
    assert stored["photo_id"] == photo and stored["stored"] and stored["size_bytes"] == os.path.getsize(stored["path"])
    assert str(stack.media_dir) in stored["path"]
    assert stack.indices.cases in export["complaint"]["source"]
    assert {"privacy.view_contact", "privacy.view_photo"} <= {e["action"] for e in export["audit"]["items"]}

    latest = entries(stack, case.id)[0]
    assert (latest["action"], latest["actor"], latest["reason"]) == ("privacy.export", world["admin"],
                                                                      "permintaan no. 17/2026")
    assert "os user" in latest["detail"] and "standard output" in latest["detail"]

    out = tmp_path / "export.json"
    to_file = aduan(stack, "privacy", "export", case.id, "--out", str(out))
    assert to_file.returncode == 0, to_file.stderr
    assert to_file.stdout == "" and "recorded as privacy.export" in to_file.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text())["complaint"]["reporter"] == REPORTER
    assert entries(stack, case.id)[0]["detail"].endswith(f"to {out}")

    unknown = aduan(stack, "privacy", "export", case_id_from_bytes("BKL", secrets.token_bytes(8)))
    assert unknown.returncode == 1 and unknown.stdout == "" and "no case" in unknown.stderr


def aged(path, age_s: float) -> None:
    then = time.time() - age_s
    for entry in [*path.iterdir(), path]:
        os.utime(entry, (then, then))


def test_the_sweep_deletes_old_orphans_and_keeps_real_cases_and_fresh_orphans(world, stack):
    media = stack.media_dir
    old_orphan, fresh_orphan = (media / case_id_from_bytes("BKL", secrets.token_bytes(8)) for _ in range(2))
    for folder in (old_orphan, fresh_orphan):
        folder.mkdir()
        (folder / f"{secrets.token_hex(16)}.jpg").write_bytes(jpeg_with_gps())
    aged(old_orphan, DAY + 3600)
    aged(fresh_orphan, 3600)
    real = media / world["named"].id
    assert (real / CONFIRMED).is_file()  # marked when Kafka confirmed the submission
    (real / CONFIRMED).unlink()  # as for a case from before the mark: only the index can keep it now
    aged(real, 30 * DAY)

    down = aduan(stack, "privacy", "sweep-photos", ADUAN_ES_URL="http://127.0.0.1:9")
    assert down.returncode == 1 and "no photo deleted" in down.stderr
    dry = aduan(stack, "privacy", "sweep-photos", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would delete {old_orphan}" in dry.stderr and world["named"].id not in dry.stderr
    assert old_orphan.is_dir()

    swept = aduan(stack, "privacy", "sweep-photos")
    assert swept.returncode == 0, swept.stderr
    assert f"deleted {old_orphan}" in swept.stderr and "deleted 1 orphans" in swept.stdout
    assert not old_orphan.exists() and fresh_orphan.is_dir()
    assert (real / f"{world['photo']}.jpg").is_file() and (real / CONFIRMED).is_file()
    # The case's photo is still served.
    assert world["pages"].get(f"/petugas/kasus/{world['named'].id}/foto/{world['photo']}").status_code == 200
