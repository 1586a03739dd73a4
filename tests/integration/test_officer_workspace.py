"""The officer workspace on the real stack: the authorization matrix over every officer route, the
queues (views, counts, filters, pages), the case page and its action forms."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import httpx
import pytest

from api.accounts import AccountStore
from domain.events import Actor
from tests.integration.test_lifecycle import BODY, Case, headers
from tests.integration.test_staff_pages import sign_in
from tests.integration.test_web_intake import csrf_of, jpeg_with_gps, post_multipart
from tests.support import session_cookie, wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Meja-Layanan-Terpadu-7"


@dataclass
class Persona:
    """One caller of the matrix: API headers and a page client (signed in, or not)."""

    name: str
    api: dict[str, str]
    pages: httpx.Client


@pytest.fixture(scope="module")
def world(client, es, stack):
    """A PUPR-KOTA case with a photo, and the five callers of the matrix."""
    run = uuid.uuid4().hex[:6]
    store = AccountStore.from_settings(stack)
    accounts = {"owner": (f"own-{run}", "officer", "PUPR-KOTA"), "other_officer": (f"oth-{run}", "officer", "DINKES"),
                "other_supervisor": (f"sup-{run}", "supervisor", "DINKES"),
                "coordinator": (f"kor-{run}", "coordinator", None), "disabled": (f"dis-{run}", "officer", "PUPR-KOTA")}
    codes: dict[str, list[str]] = {}
    for username, role, agency in accounts.values():
        store.add(username, role, agency, PASSWORD)
        if role == "coordinator":  # a second factor is required: a recovery code for each sign-in below
            codes[username] = store.enroll_mfa(username).recovery_codes
    store.close()

    accepted = post_multipart(client, {**BODY, "description": f"Gorong-gorong {run} ambrol di depan sekolah."},
                              [("photos", jpeg_with_gps(), "image/jpeg")])
    assert accepted.status_code == 202, accepted.text
    case_id = accepted.json()["tracking_id"]
    wait_for(lambda: es.get(index=stack.indices.cases, id=case_id)["_source"]["status"] == "routed", "routing")
    photo = es.get(index=stack.indices.cases, id=case_id)["_source"]["state"]["complaint"]["photos"][0]

    personas = {}
    for name, (username, role, agency) in accounts.items():
        token = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD,
                                                        "otp": codes[username].pop() if username in codes else ""})
        assert token.status_code == 200, token.text
        pages = httpx.Client(base_url=stack.base_url, timeout=30)
        assert sign_in(pages, username, PASSWORD, codes[username].pop() if username in codes else "").status_code == 303
        personas[name] = Persona(name, {"Authorization": f"Bearer {token.json()['access_token']}"}, pages)
    personas["no_session"] = Persona("no_session", {}, httpx.Client(base_url=stack.base_url, timeout=30))
    # Expired: a session past its absolute end (used a moment ago, so not idle), as a bearer token and as a
    # page session.
    owner = Actor(role="officer", id=accounts["owner"][0], agency="PUPR-KOTA")
    store = AccountStore.from_settings(stack)
    old_session = store.open_session(owner.id, lifetime_s=1)
    time.sleep(1.2)
    # Disabled: signed in (token and page) before the account was disabled.
    store.disable(accounts["disabled"][0])
    store.close()
    expired_pages = httpx.Client(base_url=stack.base_url, timeout=30)
    expired_pages.cookies.set("aduan_session", session_cookie(stack, {"staff_session": old_session,
                                                                      "csrf": "c" * 32}))
    personas["expired"] = Persona("expired", {"Authorization": f"Bearer {old_session}"}, expired_pages)
    # Search sees the case after the index's next refresh.
    wait_for(lambda: case_id in personas["owner"].pages.get("/petugas?view=agency").text, "the case in the queue")
    yield {"case": case_id, "photo": photo, "personas": personas, "accounts": accounts}
    for persona in personas.values():
        persona.pages.close()


# What each caller gets: the owning agency's officer, officers and supervisors of another agency, no session,
# an expired session. Out-of-scope cases are 404 (never 403); a page without a session goes to the sign-in.
IN, OTHER, NONE = ("owner", "coordinator"), ("other_officer", "other_supervisor"), ("no_session", "expired",
                                                                                  "disabled")
API_ROUTES = [
    ("GET", "/api/v1/officer/queue?view=agency&q={case}", 200, 200, "listed"),
    ("GET", "/api/v1/officer/cases/{case}", 200, 404, None),
    ("GET", "/api/v1/officer/cases/{case}/photos/{photo}", 200, 404, None),
    ("POST", "/api/v1/officer/cases/{case}/actions", 202, 404, None),
    ("GET", "/api/v1/officer/performance", 200, 200, None),
]
PAGE_ROUTES = [
    ("GET", "/petugas?view=agency&q={case}", 200, 200, "listed"),
    ("GET", "/petugas/kasus/{case}", 200, 404, None),
    ("GET", "/petugas/kasus/{case}/foto/{photo}", 200, 404, None),
    ("POST", "/petugas/kasus/{case}/tindakan", 303, 404, None),
    ("GET", "/petugas/kinerja", 200, 200, None),
]


@pytest.mark.parametrize("persona", [*IN, *OTHER, *NONE])
@pytest.mark.parametrize("method, path, owner_status, other_status, listed", API_ROUTES,
                         ids=[f"{m} {p}" for m, p, *_ in API_ROUTES])
def test_api_authorization_matrix(world, persona, method, path, owner_status, other_status, listed):
    who = world["personas"][persona]
    url = path.format(case=world["case"], photo=world["photo"])
    client = world["personas"]["no_session"].pages  # a client without cookies: the API goes by the header
    if method == "POST":
        answer = client.post(url, json={"type": "add_note", "text": f"catatan {persona}"}, headers=who.api)
    else:
        answer = client.get(url, headers=who.api)
    expected = owner_status if persona in IN else other_status if persona in OTHER else 401
    assert answer.status_code == expected, answer.text
    if expected == 401:
        assert answer.headers["www-authenticate"] == "Bearer"
    if listed and expected == 200:
        ids = [item["tracking_id"] for item in answer.json()["items"]]
        assert (world["case"] in ids) == (persona in IN)
    if expected == 404:
        assert world["case"] not in answer.text and "Gorong-gorong" not in answer.text


@pytest.mark.parametrize("persona", [*IN, *OTHER, *NONE])
@pytest.mark.parametrize("method, path, owner_status, other_status, listed", PAGE_ROUTES,
                         ids=[f"{m} {p}" for m, p, *_ in PAGE_ROUTES])
def test_page_authorization_matrix(world, persona, method, path, owner_status, other_status, listed):
    who = world["personas"][persona]
    url = path.format(case=world["case"], photo=world["photo"])
    if method == "POST":
        csrf = csrf_of(who.pages.get("/petugas/masuk").text) if persona not in NONE else "c" * 32
        answer = who.pages.post(url, data={"csrf": csrf, "type": "add_note", "text": f"catatan {persona}"})
    else:
        answer = who.pages.get(url)
    if persona in NONE:
        assert answer.status_code == 303 and answer.headers["location"] == "/petugas/masuk", answer.text
        return
    expected = owner_status if persona in IN else other_status
    assert answer.status_code == expected, answer.text[:500]
    if listed:  # a row of the queue (the search box repeats the id the page was asked for)
        assert (f'data-case="{world["case"]}"' in answer.text) == (persona in IN)
    if expected == 404:
        assert "Gorong-gorong" not in answer.text


def test_a_search_for_everything_returns_only_the_officers_agency(world, client, es, stack):
    """`q=*` over every view and status: an officer of DINKES sees DINKES's cases and nothing else."""
    Case(client, es, stack, category="kesehatan", regency="17.08", district=None,
         description="Antrean di puskesmas sangat panjang, dokter datang terlambat.")
    other = world["personas"]["other_officer"]
    es.indices.refresh(index=stack.indices.cases)
    truth = es.count(index=stack.indices.cases, query={"term": {"agency": "DINKES"}})["count"]
    assert truth >= 1
    seen = []
    for state in ("received", "routed", "in_progress", "waiting_on_citizen", "resolved", "closed", "reopened",
                  "rejected", "merged"):
        pages, number = 1, 1
        while number <= pages:
            page = client.get("/api/v1/officer/queue", params={"q": "*", "state": state, "size": 100,
                                                               "page": number}, headers=other.api).json()
            seen += page["items"]
            pages, number = page["pages"], number + 1
    assert {item["agency"] for item in seen} == {"DINKES"}
    assert len(seen) == truth
    by_id = client.get("/api/v1/officer/queue", params={"q": world["case"]}, headers=other.api).json()
    assert by_id["total"] == 0 and all(n == 0 for n in by_id["counts"].values())
    # The owner finds it by its tracking id as people type it: lower case, no dashes, O for 0.
    typed = world["case"].lower().replace("-", " ").replace("0", "o")
    found = client.get("/api/v1/officer/queue", params={"q": typed}, headers=world["personas"]["owner"].api).json()
    assert [item["tracking_id"] for item in found["items"]] == [world["case"]]


def test_the_case_shows_who_did_what_and_only_allowed_actions(world, client, es, stack):
    case = Case(client, es, stack, description="Lampu jalan mati di sepanjang Jalan Salak sejak sepekan.")
    officer = headers(stack, "officer", "PUPR-KOTA", user="budi")
    case.staff(officer, type="acknowledge")
    case.staff(officer, type="add_note", text="Cek dengan tim listrik besok pagi.")
    case.staff(officer, type="reassign", assignee="andi")  # an officer may not reassign: refused, with the reason
    view = client.get(f"/api/v1/officer/cases/{case.id}", headers=officer).json()
    assert view["reporter"] == {"name": "Rahmat Hidayat", "phone": "081273001234", "email": None}
    assert view["assignee"] == "budi" and view["status"] == "in_progress"
    note = next(t for t in view["timeline"] if t["type"] == "case.note_added")
    assert (note["actor_id"], note["actor_agency"], note["public"]) == ("budi", "PUPR-KOTA", False)
    refused = view["timeline"][-1]
    assert refused["type"] == "command.rejected" and "supervisor" in refused["text"]
    assert "reassign" not in view["actions"] and "resolve" in view["actions"] and "acknowledge" not in view["actions"]
    assert {d["name"]: d["state"] for d in view["deadlines"]}["response"] == "met"
    assert "Lampu jalan" not in view["templates"]["resolve"] and case.id in view["templates"]["resolve"]
    supervisor = headers(stack, "supervisor", "PUPR-KOTA", user="sari")
    assert "reassign" in client.get(f"/api/v1/officer/cases/{case.id}", headers=supervisor).json()["actions"]

    page = world["personas"]["owner"].pages.get(f"/petugas/kasus/{case.id}")
    assert page.status_code == 200
    assert "Cek dengan tim listrik besok pagi." in page.text and "Rahmat Hidayat" in page.text
    assert 'id="action-resolve"' in page.text and 'id="action-acknowledge"' not in page.text
    assert 'id="action-reassign"' not in page.text


def test_an_anonymous_reporter_stays_hidden(world, client, es, stack):
    case = Case(client, es, stack, anonymous=True, description="Ada pungutan liar di loket pelayanan jalan rusak.")
    view = client.get(f"/api/v1/officer/cases/{case.id}", headers=world["personas"]["owner"].api).json()
    assert view["reporter"] is None and view["anonymous"] is True
    page = world["personas"]["owner"].pages.get(f"/petugas/kasus/{case.id}").text
    assert "Rahmat" not in page and "081273001234" not in page and "6281273001234" not in page
    assert "Anonim" in page


def test_queue_views_counts_filters_and_pages(world, client, es, stack):
    run = uuid.uuid4().hex[:8]
    mine = headers(stack, "officer", "PUPR-KOTA", user=f"q-{run}")
    cases = [Case(client, es, stack, description=f"Trotoar {run} nomor {n} retak dan berbahaya bagi pejalan kaki.")
             for n in range(3)]
    cases[0].staff(mine, type="acknowledge")  # assigned to this officer
    cases[1].staff(mine, type="resolve", resolution="Trotoar sudah diperbaiki.")
    es.indices.refresh(index=stack.indices.cases)

    def queue(**params):
        answer = client.get("/api/v1/officer/queue", params={"q": run, **params}, headers=mine)
        assert answer.status_code == 200, answer.text
        return answer.json()

    agency = queue(view="agency")
    assert {i["tracking_id"] for i in agency["items"]} == {cases[0].id, cases[2].id}  # the resolved one is not open
    assert agency["counts"]["mine"] == 1 and agency["counts"]["unassigned"] == 1 and agency["counts"]["agency"] == 2
    assert agency["counts"]["verification"] == 0  # not the coordinators: the view holds nothing in this scope
    assert [i["tracking_id"] for i in queue(view="mine")["items"]] == [cases[0].id]
    dues = [i["due_at"] for i in agency["items"]]
    assert dues == sorted(dues)  # nearest deadline first
    assert [i["tracking_id"] for i in queue(state="resolved")["items"]] == [cases[1].id]
    assert queue(view="agency", category="kesehatan")["total"] == 0
    assert queue(view="agency", regency="17.71")["total"] == 2
    first, second = queue(view="agency", size=1), queue(view="agency", size=1, page=2)
    assert first["pages"] == 2 and {first["items"][0]["tracking_id"], second["items"][0]["tracking_id"]} == \
        {cases[0].id, cases[2].id}
    forms = client.get("/api/v1/officer/queue", params={"q": f"bahaya {run}"}, headers=mine).json()
    assert forms["total"] == 2  # "berbahaya" in the texts: any form of a word finds it
    assert client.get("/api/v1/officer/queue", params={"view": "everything"}, headers=mine).status_code == 422
    assert client.get("/api/v1/officer/queue", params={"q": '"((('}, headers=mine).status_code == 200  # lenient

    # The coordinators' verification view: a case declined by its agency waits there.
    cases[2].staff(mine, type="not_our_authority", reason="Trotoar jalan nasional, wewenang BPJN.")
    es.indices.refresh(index=stack.indices.cases)
    coordinator = headers(stack, "coordinator", None, user="kord")
    waiting = client.get("/api/v1/officer/queue", params={"view": "verification", "q": run},
                         headers=coordinator).json()
    assert [i["tracking_id"] for i in waiting["items"]] == [cases[2].id] and waiting["items"][0]["agency"] is None
    assert client.get(f"/api/v1/officer/cases/{cases[2].id}", headers=mine).status_code == 404  # no longer theirs
    page = world["personas"]["owner"].pages.get(f"/petugas?q={run}")
    assert 'id="view-verification"' not in page.text  # the tab is the coordinators'


def test_action_forms_show_the_outcome_and_refuse_forgeries(world, client, es, stack):
    case = Case(client, es, stack, description="Jembatan gantung di Sungai Serut miring dan talinya putus.")
    pages = world["personas"]["owner"].pages
    page = pages.get(f"/petugas/kasus/{case.id}")
    template = "Terima kasih atas laporan kerusakan jalan/jembatan"
    assert template in page.text  # the reply form starts from the category's template
    token = csrf_of(page.text)
    url = f"/petugas/kasus/{case.id}/tindakan"
    assert pages.post(url, data={"csrf": "palsu", "type": "acknowledge"}).status_code == 403
    done = pages.post(url, data={"csrf": token, "type": "acknowledge"})
    assert done.status_code == 303 and done.headers["location"] == f"/petugas/kasus/{case.id}"
    shown = pages.get(done.headers["location"]).text
    assert 'id="notice"' in shown and "Tindakan tercatat." in shown
    # The case moved on meanwhile (another tab acknowledged it): the same action again is refused, with why.
    again = pages.post(url, data={"csrf": token, "type": "acknowledge"})
    shown = pages.get(again.headers["location"]).text
    assert "Tindakan ditolak:" in shown and "in_progress cannot take acknowledge" in shown
    empty = pages.post(url, data={"csrf": token, "type": "resolve", "resolution": "  "})
    assert "Tindakan ditolak:" in pages.get(empty.headers["location"]).text  # a required field left empty
    reply = pages.post(url, data={"csrf": token, "type": "reply", "message": "Tim kami meninjau besok pagi."})
    assert reply.status_code == 303
    assert any(t["text"] == "Tim kami meninjau besok pagi." for t in case.view()["timeline"])  # the citizen sees it
    assert pages.post(url, data={"csrf": token, "type": "accept"}).status_code == 422  # not a staff action
    # A template's "[describe ...]" part left in never reaches the citizen.
    resolution = case.view()  # before
    left_in = "Selesai: [uraikan pekerjaan, mis. penambalan lubang, dan tanggalnya]."
    untouched = pages.post(url, data={"csrf": token, "type": "resolve", "resolution": left_in})
    assert "[uraikan pekerjaan" in pages.get(untouched.headers["location"]).text  # named in the refusal
    assert case.view()["status"] == resolution["status"] == "in_progress"


def test_secrets_and_search_words_stay_out_of_the_access_log(world, client, api):
    case_id = world["case"]
    client.get(f"/lacak/{case_id}", params={"kunci": "rahasia-sekali-123"})
    client.get("/api/v1/officer/queue", params={"q": "kata-pencarian-xyz"}, headers=world["personas"]["owner"].api)
    log = wait_for(lambda: (text := api.log_path.read_text(errors="replace")) and
                   f"/lacak/{case_id}" in text and text, "the requests in the access log")
    assert "rahasia-sekali-123" not in log and "kata-pencarian-xyz" not in log and "kunci=" not in log

