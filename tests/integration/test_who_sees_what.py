"""The README's "Who sees what" table, walked row by row against the running API.

The field lists come from the README itself, so the table and the code cannot drift apart: each view must
answer with exactly the fields its row names, and personal data planted in a case must not appear in any
view whose row does not allow it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.test_lifecycle import Case, headers
from tests.support import open311_key, wait_for

pytestmark = pytest.mark.integration
V2 = "/open311/v2"
NAME, PHONE, EMAIL = "Rahmat Hidayat", "081273009876", "rahmat.hidayat@example.id"
NIK = "1771012345678901"
PLANTED_TEXT = (f"Saya {NAME}, NIK {NIK}, rumah saya di Jl. Salak No. 12 RT 03/RW 05, WA 0812-7300-9876. "
                "Jalan di depan SD 5 berlubang besar dan membahayakan pengendara.")
PERSONAL = (NAME, "Rahmat", "Hidayat", NIK, "0812-7300-9876", PHONE, EMAIL, "Salak No. 12")


def table() -> dict[str, dict[str, set[str]]]:
    """The README's rows: {view: {"fields": ..., "timeline": ..., "published": ...}} (empty sets when not given)."""
    text = (Path(__file__).parents[2] / "README.md").read_text()
    section = text.split("## Who sees what", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("view", "---"):
            continue
        parts = {"fields": set(), "timeline": set(), "published": set()}
        for part in cells[3].split(";"):
            key = "timeline" if "timeline entries" in part else "published" if "`published` (" in part else "fields"
            names = re.findall(r"`([a-z_]+)`", part.split(":", 1)[1] if key != "fields" else part)
            parts[key] |= set(names)
        rows[cells[0]] = parts
    return rows


TABLE = table()


def test_the_table_names_every_view_this_test_checks():
    assert set(TABLE) == {"citizen with the secret", "anyone with the tracking id", "officer in scope",
                          "officer out of scope, admin", "Open311 client with its key", "Open311 without a key",
                          "public pages"}


def no_personal_data(text: str, allowed: tuple[str, ...] = ()) -> None:
    for value in PERSONAL:
        if value not in allowed:
            assert value not in text, f"{value!r} leaked: {text[:2000]}"


@pytest.fixture(scope="module")
def officer(stack):
    return headers(stack, "officer", "PUPR-KOTA")


@pytest.fixture(scope="module")
def anonymous_case(client, es, stack, officer) -> Case:
    """An anonim case with personal data in its text, a citizen's reply and an officer's reply naming them."""
    case = Case(client, es, stack, description=PLANTED_TEXT, anonymous=True,
                reporter={"name": NAME, "phone": PHONE, "email": EMAIL})
    case.staff(officer, type="request_info", question="Di sebelah mana tepatnya, Pak Rahmat?")
    case.citizen(type="citizen_reply", message=f"Depan SD 5. Hubungi saya {NAME} di {PHONE}.")
    return case


@pytest.fixture(scope="module")
def published_case(client, es, stack, anonymous_case, officer) -> Case:
    anonymous_case.staff(officer, type="resolve", resolution=f"Lubang ditambal. Terima kasih Pak {NAME}.")
    wait_for(lambda: client.get(f"/api/v1/public/cases/{anonymous_case.id}").status_code == 200, "published")
    return anonymous_case


def test_anyone_with_the_tracking_id_sees_where_it_stands_and_no_text(client, es, stack):
    row = TABLE["anyone with the tracking id"]
    case = Case(client, es, stack, description=PLANTED_TEXT, reporter={"name": NAME, "phone": PHONE})
    case.citizen(type="citizen_reply", message=f"Tambahan dari {NAME}: lubangnya makin lebar, {PHONE}.")
    view = client.get(f"/api/v1/complaints/{case.id}")
    assert view.status_code == 200
    body = view.json()
    assert set(body) == row["fields"]
    assert body["published"] is None and body["timeline"]
    assert all(set(t) == row["timeline"] for t in body["timeline"])
    no_personal_data(view.text)
    assert "berlubang" not in view.text  # no text at all until published
    page = client.get(f"/lacak/{case.id}")
    assert page.status_code == 200
    no_personal_data(page.text)
    assert "berlubang" not in page.text and "lubangnya makin lebar" not in page.text
    wrong = client.get(f"/api/v1/complaints/{case.id}", params={"kunci": "bukan-kunci-yang-benar"})
    assert set(wrong.json()) == row["fields"]  # a wrong secret is no secret


def test_once_published_the_tracking_id_shows_the_scrubbed_public_texts(client, published_case):
    row = TABLE["anyone with the tracking id"]
    view = client.get(f"/api/v1/complaints/{published_case.id}")
    body = view.json()
    assert set(body) == row["fields"] and set(body["published"]) == row["published"]
    assert "berlubang" in body["published"]["description"] and "[NIK]" in body["published"]["description"]
    no_personal_data(view.text)


def test_the_citizen_with_the_secret_sees_their_whole_case_but_not_their_contact(client, es, stack):
    row = TABLE["citizen with the secret"]
    case = Case(client, es, stack, description=PLANTED_TEXT, reporter={"name": NAME, "phone": PHONE, "email": EMAIL})
    case.citizen(type="citizen_reply", message="Lubangnya makin lebar.")
    view = client.get(f"/api/v1/complaints/{case.id}", params={"kunci": case.secret})
    body = view.json()
    assert set(body) == row["fields"]
    assert all(set(t) == row["timeline"] for t in body["timeline"])
    assert body["description"] == PLANTED_TEXT
    assert "Lubangnya makin lebar." in [t["text"] for t in body["timeline"]]
    assert PHONE not in view.text and EMAIL not in view.text
    page = client.get(f"/lacak/{case.id}", params={"kunci": case.secret})
    assert "membahayakan pengendara" in page.text and "Lubangnya makin lebar." in page.text


def test_a_confidential_case_does_not_exist_without_its_secret(client, es, stack):
    case = Case(client, es, stack, confidential=True, description="Pungutan liar di loket pelayanan KTP kecamatan.")
    assert client.get(f"/api/v1/complaints/{case.id}").status_code == 404
    assert client.get(f"/lacak/{case.id}").status_code == 404
    assert client.get(f"/api/v1/complaints/{case.id}/photos/0", params={"secret": "salah"}).status_code == 404
    assert client.post(f"/api/v1/complaints/{case.id}/actions",
                       json={"secret": "salah", "type": "citizen_reply", "message": "x"}).status_code == 404
    assert client.get(f"/api/v1/complaints/{case.id}", params={"kunci": case.secret}).json()["confidential"] is True


def test_officers_in_scope_see_the_case_but_never_an_anonymous_reporter(client, stack, anonymous_case, officer):
    row = TABLE["officer in scope"]
    for auth in (officer, headers(stack, "supervisor", "PUPR-KOTA", user="sari"),
                 headers(stack, "coordinator", None, user="koor")):
        view = client.get(f"/api/v1/officer/cases/{anonymous_case.id}", headers=auth)
        assert view.status_code == 200, view.text
        body = view.json()
        assert set(body) == row["fields"] and body["reporter"] is None
        assert "berlubang" in body["description"]
        no_personal_data(view.text)
    state = body["status"]  # the queue lists open cases, or those in the status asked for
    queue = client.get("/api/v1/officer/queue", params={"q": "Rahmat Hidayat", "state": state}, headers=officer)
    assert anonymous_case.id not in queue.text  # the name finds nothing
    page = client.get("/api/v1/officer/queue", params={"q": anonymous_case.id, "state": state}, headers=officer)
    assert anonymous_case.id in page.text
    no_personal_data(page.text)


def test_officers_out_of_scope_and_admins_get_404(client, stack, anonymous_case):
    assert TABLE["officer out of scope, admin"]["fields"] == set()
    for auth in (headers(stack, "officer", "DLH-KOTA", user="lain"), headers(stack, "admin", None, user="adm")):
        assert client.get(f"/api/v1/officer/cases/{anonymous_case.id}", headers=auth).status_code == 404


@pytest.fixture(scope="module")
def api_key(stack):
    yield from open311_key(stack, "it-who")


def test_an_open311_client_reads_its_own_open_request_and_no_one_else_does(client, es, stack, api_key):
    row = TABLE["Open311 client with its key"]
    posted = client.post(f"{V2}/requests.json", data={
        "api_key": api_key, "service_code": "jalan-jembatan", "lat": "-3.7956", "long": "102.2592",
        "attribute[wilayah]": "17.71.05", "description": PLANTED_TEXT, "first_name": "Rahmat",
        "last_name": "Hidayat", "phone": PHONE})
    assert posted.status_code == 200, posted.text
    request_id = posted.json()[0]["service_request_id"]
    wait_for(lambda: es.get(index=stack.indices.cases, id=request_id)["_source"]["seq"] >= 2, "routed")
    own = client.get(f"{V2}/requests/{request_id}.json", params={"api_key": api_key})
    [view] = own.json()
    assert set(view) == row["fields"] and view["status"] == "open"
    no_personal_data(own.text)
    assert client.get(f"{V2}/requests/{request_id}.json").status_code == 404
    es.indices.refresh(index=stack.indices.cases)
    assert request_id in client.get(f"{V2}/requests.json", params={"api_key": api_key}).text
    assert request_id not in client.get(f"{V2}/requests.json").text


def test_open311_without_a_key_and_the_public_pages_see_published_cases_only(client, es, stack, published_case):
    def listed():
        es.indices.refresh(index=stack.indices.public_cases)
        found = client.get(f"{V2}/requests.json", params={"service_request_id": published_case.id})
        return found if published_case.id in found.text else None

    found = wait_for(listed, "the published case in the keyless Open311 list")
    [view] = found.json()
    assert set(view) == TABLE["Open311 without a key"]["fields"] | TABLE["Open311 client with its key"]["fields"]
    no_personal_data(found.text)

    public = client.get(f"/api/v1/public/cases/{published_case.id}")
    assert set(public.json()) == TABLE["public pages"]["fields"]
    no_personal_data(public.text)
    page = client.get(f"/kasus/{published_case.id}")
    assert page.status_code == 200 and "berlubang" in page.text
    no_personal_data(page.text)
