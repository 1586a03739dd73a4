"""Staff views of personal data land in the audit trail (api/audit_trail.py), and the administrators' page
lists them (api/audit_web.py): the app with its real routes, accounts database and photo store, and a
stand-in for the `cases` index (no Kafka, no Elasticsearch). The same on the real stack:
tests/integration/test_privacy.py."""

from __future__ import annotations

import io
import secrets
from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher
from elasticsearch import NotFoundError
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import SecretStr

from api.accounts import AccountStore, AuditLog
from api.accounts.audit import VIEW_CONTACT, VIEW_PHOTO
from api.app import create_app
from api.audit_trail import shows_contact
from api.deps import Services
from api.photos import PhotoStore
from api.ratelimit import submission_limiter
from api.receipts import Receipts
from api.schemas import OfficerCase
from config.jurisdiction_file import load_jurisdiction
from config.settings import Settings
from domain import events as ev
from domain.case import CITIZEN, apply, submission_event
from domain.complaint import Complaint, Reporter
from domain.events import Actor
from search.documents import case_document
from tests.support import session_cookie

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
PHONE, NAME = "081273009876", "Wulan Sari"


class FakeIndex:
    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}

    async def get(self, index, id, realtime=True):
        if id not in self.docs:
            raise NotFoundError("not found", meta=None, body={"found": False})  # type: ignore[arg-type]
        return {"_index": "cases-v1", "_id": id, "_source": self.docs[id]}


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def world(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/accounts.db", media_dir=tmp_path / "media",
                        secret_key=SecretStr(secrets.token_urlsafe(32)), allowed_hosts="*", photo_sweep_every_s=0)
    jurisdiction = load_jurisdiction(settings.jurisdiction_file)
    accounts = AccountStore(settings.database_url, lambda code: jurisdiction.agency(code) is not None,
                            hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    accounts.setup()
    index, photos = FakeIndex(), PhotoStore(settings.media_dir)
    app = create_app(settings)
    app.state.services = Services(settings=settings, jurisdiction=jurisdiction, producer=None, intake=None,  # type: ignore[arg-type]
                                  es=index, receipts=Receipts(None), commands=None, photos=photos,  # type: ignore[arg-type]
                                  limiter=submission_limiter("100/minute"), accounts=accounts,
                                  audit=AuditLog(accounts.engine), keys=settings.keys())

    def case(case_id: str, anonymous: bool, with_photo: bool = True, reporter: Reporter | None = None) -> str | None:
        photo = photos.save(case_id, photo_bytes()).photo_id if with_photo else None
        complaint = Complaint(category="jalan-jembatan", regency="17.71", district="17.71.05", anonymous=anonymous,
                              description="Jalan berlubang di depan pasar, sudah ada yang jatuh.",
                              reporter=reporter if reporter is not None else Reporter(name=NAME, phone=PHONE),
                              photos=(photo,) if photo else ())
        state = apply(None, submission_event(case_id, complaint, T0))
        state = apply(state, ev.new_event(case_id, 2, ev.CASE_ROUTED, T0, Actor(role="system", id="router"),
                                          agency="PUPR-KOTA"))
        index.docs[case_id] = case_document(state, jurisdiction)
        return photo

    def staff(username: str, role: str, agency: str | None) -> str:
        accounts.add(username, role, agency, "kopi-pahit-di-pantai-panjang")
        return accounts.open_session(username, 3600)

    client = TestClient(app)
    yield client, settings, case, staff, app.state.services.audit
    client.close()
    accounts.close()


def page_client(client: TestClient, settings: Settings, token: str) -> TestClient:
    client.cookies.clear()
    client.cookies.set("aduan_session", session_cookie(settings, {"staff_session": token}))
    return client


def test_an_officer_seeing_the_contact_and_a_photo_is_recorded_by_the_api_and_the_page(world):
    client, settings, case, staff, audit = world
    photo = case("BKL-AAAAA-00001", anonymous=False)
    token = staff("budi", "officer", "PUPR-KOTA")
    bearer = {"Authorization": f"Bearer {token}"}
    answer = client.get("/api/v1/officer/cases/BKL-AAAAA-00001", headers=bearer)
    assert answer.status_code == 200 and answer.json()["reporter"]["phone"] == PHONE
    assert client.get(f"/api/v1/officer/cases/BKL-AAAAA-00001/photos/{photo}", headers=bearer).status_code == 200
    assert client.get(f"/api/v1/officer/cases/BKL-AAAAA-00001/photos/{'0' * 32}", headers=bearer).status_code == 404
    pages = page_client(client, settings, token)
    assert PHONE in pages.get("/petugas/kasus/BKL-AAAAA-00001").text
    assert pages.get(f"/petugas/kasus/BKL-AAAAA-00001/foto/{photo}").status_code == 200
    entries = [(e.actor, e.action, e.case_id, e.detail) for e in reversed(audit.entries())]
    assert entries == [("budi", VIEW_CONTACT, "BKL-AAAAA-00001", "api"),
                       ("budi", VIEW_PHOTO, "BKL-AAAAA-00001", f"photo {photo} via api"),
                       ("budi", VIEW_CONTACT, "BKL-AAAAA-00001", "page"),
                       ("budi", VIEW_PHOTO, "BKL-AAAAA-00001", f"photo {photo} via page")]
    assert not any(PHONE in str(e) or NAME in str(e) for e in audit.entries())  # never the contact itself


def test_an_anonymous_case_or_one_without_contact_records_no_contact_view(world):
    client, settings, case, staff, audit = world
    photo = case("BKL-AAAAA-00002", anonymous=True)
    case("BKL-AAAAA-00003", anonymous=False, with_photo=False, reporter=Reporter())
    token = staff("budi", "officer", "PUPR-KOTA")
    bearer = {"Authorization": f"Bearer {token}"}
    view = client.get("/api/v1/officer/cases/BKL-AAAAA-00002", headers=bearer).json()
    assert view["reporter"] is None
    assert client.get("/api/v1/officer/cases/BKL-AAAAA-00003", headers=bearer).json()["reporter"]["name"] is None
    pages = page_client(client, settings, token)
    assert PHONE not in pages.get("/petugas/kasus/BKL-AAAAA-00002").text
    assert pages.get(f"/petugas/kasus/BKL-AAAAA-00002/foto/{photo}").status_code == 200
    assert [(e.action, e.case_id) for e in audit.entries()] == [(VIEW_PHOTO, "BKL-AAAAA-00002")]


def test_out_of_scope_staff_are_not_recorded_as_seeing_anything(world):
    client, settings, case, staff, audit = world
    photo = case("BKL-AAAAA-00004", anonymous=False)
    bearer = {"Authorization": f"Bearer {staff('rina', 'officer', 'DINKES')}"}
    assert client.get("/api/v1/officer/cases/BKL-AAAAA-00004", headers=bearer).status_code == 404
    assert client.get(f"/api/v1/officer/cases/BKL-AAAAA-00004/photos/{photo}", headers=bearer).status_code == 404
    assert audit.entries() == []


def test_the_audit_page_is_for_administrators_only(world):
    client, settings, case, staff, audit = world
    case("BKL-AAAAA-00005", anonymous=False)
    officer = staff("budi", "officer", "PUPR-KOTA")
    client.get("/api/v1/officer/cases/BKL-AAAAA-00005", headers={"Authorization": f"Bearer {officer}"})
    audit.record("os:root", "privacy.export", "BKL-AAAAA-00005", reason="permintaan no. 3/2026")
    refused = page_client(client, settings, officer).get("/petugas/audit")
    assert refused.status_code == 404 and "BKL-AAAAA-00005" not in refused.text
    assert client.get("/petugas/nothing-here").status_code == 404
    assert 'id="nav-audit"' not in client.get("/petugas/sandi").text

    admin = page_client(client, settings, staff("admin", "admin", None))
    page = admin.get("/petugas/audit")
    assert page.status_code == 200 and 'id="nav-audit"' in page.text
    assert page.text.index('data-action="privacy.export"') < page.text.index('data-action="privacy.view_contact"')
    assert "permintaan no. 3/2026" in page.text and "Melihat kontak pelapor" in page.text
    only = admin.get("/petugas/audit", params={"case": "bkl aaaaa 00005", "action": "privacy.view_contact"}).text
    assert only.count("data-entry=") == 1 and 'data-actor="budi"' in only
    assert admin.get("/petugas/audit", params={"user": "nobody"}).text.count("data-entry=") == 0
    english = admin.get("/petugas/audit", params={"lang": "en"}).text
    assert "Personal data audit trail" in english and "Saw the reporter&#39;s contact" in english
    paged = admin.get("/petugas/audit", params={"limit": "1", "lang": "id"}).text
    assert paged.count("data-entry=") == 1 and 'id="older"' in paged


def test_shows_contact_is_any_contact_field():
    def view(reporter):
        return OfficerCase.model_construct(reporter=reporter)

    from api.schemas import ReporterContact

    assert not shows_contact(view(None))
    assert not shows_contact(view(ReporterContact()))
    assert shows_contact(view(ReporterContact(email="w@example.org")))
    assert CITIZEN.role == "citizen"
