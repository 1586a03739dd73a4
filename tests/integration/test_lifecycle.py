"""Every path of a case, through HTTP only, with the index checked after each step."""

from __future__ import annotations

import uuid

import httpx
import pytest
from elasticsearch import Elasticsearch

from config.settings import Settings
from tests.support import staff_headers, wait_for

pytestmark = pytest.mark.integration

BODY = {
    "category": "jalan-jembatan",
    "description": "Jalan di depan SD 5 berlubang dan tergenang, sudah ada pengendara jatuh.",
    "regency": "17.71",
    "district": "17.71.05",
    "reporter": {"name": "Rahmat Hidayat", "phone": "081273001234"},
}


def headers(stack: Settings, role: str, agency: str | None = None, user: str = "budi") -> dict[str, str]:
    return staff_headers(stack, role, agency, user)


class Case:
    """One case under test: submit it, act on it, read its document after each step."""

    def __init__(self, client: httpx.Client, es: Elasticsearch, stack: Settings, **changes) -> None:
        self.client, self.es, self.stack = client, es, stack
        accepted = client.post("/api/v1/complaints", json={**BODY, **changes})
        assert accepted.status_code == 202, accepted.text
        self.id = accepted.json()["tracking_id"]
        self.secret = accepted.json()["secret"]
        self.doc = self.wait(2)

    def wait(self, seq: int) -> dict:
        """The case's document once it holds event `seq` (realtime get)."""
        def reached():
            source = self.es.get(index=self.stack.indices.cases, id=self.id)["_source"]
            return source if source["seq"] >= seq else None

        self.doc = wait_for(reached, f"case {self.id} at seq {seq}")
        return self.doc

    def staff(self, auth: dict, expect: int = 202, **body) -> httpx.Response:
        response = self.client.post(f"/api/v1/officer/cases/{self.id}/actions", json=body, headers=auth)
        assert response.status_code == expect, response.text
        if expect == 202:
            self.wait(self.doc["seq"] + 1)
        return response

    def citizen(self, expect: int = 200, secret: str | None = None, **body) -> httpx.Response:
        response = self.client.post(f"/api/v1/complaints/{self.id}/actions",
                                    json={"secret": secret or self.secret, **body})
        assert response.status_code == expect, response.text
        if expect in (200, 409):
            self.wait(self.doc["seq"] + 1)
        return response

    @property
    def status(self) -> str:
        return self.doc["status"]

    def view(self, owner: bool = True) -> dict:
        """The citizen's view: with the secret (`owner`), or as anyone with the tracking id."""
        params = {"kunci": self.secret} if owner else {}
        response = self.client.get(f"/api/v1/complaints/{self.id}", params=params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def officer(stack):
    return headers(stack, "officer", "PUPR-KOTA")


@pytest.fixture
def coordinator(stack):
    return headers(stack, "coordinator", None, user="kord")


def test_resolve_and_rate(client, es, stack, officer):
    case = Case(client, es, stack)
    case.staff(officer, type="acknowledge")
    assert case.status == "in_progress" and case.doc["state"]["assignee"] == "budi"
    case.staff(officer, type="reply", message="Tim kami akan memeriksa lokasi besok.")
    case.staff(officer, type="resolve", resolution="Lubang sudah ditambal dan diaspal.")
    assert case.status == "resolved"
    answer = case.citizen(type="accept", rating=4, comment="Cepat, terima kasih")
    assert answer.json()["outcome"] == "applied"
    assert answer.json()["complaint"]["status"] == "closed" and answer.json()["complaint"]["rating"] == 4
    assert case.status == "closed" and case.doc["state"]["rating"] == 4
    texts = [t["text"] for t in case.view()["timeline"]]
    assert "Tim kami akan memeriksa lokasi besok." in texts and "Lubang sudah ditambal dan diaspal." in texts


def test_reopen_and_resolve_again(client, es, stack, officer):
    case = Case(client, es, stack)
    case.staff(officer, type="resolve", resolution="Sudah ditambal.")
    case.citizen(type="reopen", reason="Lubangnya terbuka lagi setelah hujan.")
    assert case.status == "reopened" and case.doc["agency"] == "PUPR-KOTA"
    case.staff(officer, type="acknowledge")
    case.staff(officer, type="resolve", resolution="Diaspal ulang seluruhnya.")
    assert case.status == "resolved" and case.doc["state"]["reopen_count"] == 1


def test_request_info_and_reply(client, es, stack, officer):
    case = Case(client, es, stack)
    running = {d["name"]: d for d in case.view()["deadlines"]}
    assert running["resolution"]["state"] == "running" and running["resolution"]["due_at"]
    case.staff(officer, type="request_info", question="Di depan nomor rumah berapa?")
    assert case.status == "waiting_on_citizen"
    view = case.view()
    assert view["timeline"][-1]["text"] == "Di depan nomor rumah berapa?"
    # The resolution clock stops while the case waits on the citizen; the response clock was met.
    deadlines = {d["name"]: d for d in view["deadlines"]}
    assert deadlines["resolution"]["state"] == "paused" and deadlines["resolution"]["due_at"] is None
    assert deadlines["response"]["state"] == "met"
    case.citizen(type="citizen_reply", message="Depan rumah nomor 12, dekat masjid.")
    assert case.status == "in_progress"


def test_transfer_moves_the_case_out_of_the_old_agency(client, es, stack, officer):
    case = Case(client, es, stack)
    case.staff(officer, type="transfer", agency="DPUPR", reason="Ini jalan provinsi.")
    assert case.status == "routed" and case.doc["agency"] == "DPUPR"
    # The old agency no longer sees the case at all: 404, not 403.
    case.staff(officer, expect=404, type="reply", message="Halo")
    case.staff(headers(stack, "officer", "DPUPR", user="dede"), type="acknowledge")
    assert case.status == "in_progress"


def test_not_our_authority_then_dispatch(client, es, stack, officer, coordinator):
    case = Case(client, es, stack)
    case.staff(officer, type="not_our_authority", reason="Jalan nasional, wewenang BPJN.")
    assert case.status == "received" and case.doc["agency"] is None
    case.staff(coordinator, type="dispatch", agency="DPUPR")
    assert case.status == "routed" and case.doc["agency"] == "DPUPR"


def test_merge_and_reject_by_a_coordinator(client, es, stack, officer, coordinator):
    first, duplicate = Case(client, es, stack), Case(client, es, stack)
    duplicate.staff(officer, type="merge", into=first.id)  # not an officer's action: refused, with the reason
    assert duplicate.doc["state"]["timeline"][-1]["type"] == "command.rejected"
    assert "coordinator" in duplicate.doc["state"]["timeline"][-1]["text"]
    duplicate.staff(coordinator, type="merge", into=first.id)
    assert duplicate.status == "merged" and duplicate.view()["merged_into"] == first.id

    other = Case(client, es, stack, category="pelayanan-publik")
    other.staff(coordinator, type="reject", reason="Ini perkara pidana.", refer_to="Polda Bengkulu")
    assert other.status == "rejected" and other.view()["refer_to"] == "Polda Bengkulu"


def test_same_command_id_twice_changes_nothing(client, es, stack, officer):
    case = Case(client, es, stack)
    command_id = f"test-{uuid.uuid4().hex}"
    case.staff(officer, type="reply", message="Satu kali saja.", command_id=command_id)
    seq = case.doc["seq"]
    response = client.post(f"/api/v1/officer/cases/{case.id}/actions", headers=officer,
                           json={"type": "reply", "message": "Satu kali saja.", "command_id": command_id})
    assert response.status_code == 202
    case.staff(officer, type="add_note", text="penanda")  # a later command, to know the repeat was read
    assert case.doc["seq"] == seq + 1
    replies = [t for t in case.doc["state"]["timeline"] if t["type"] == "case.replied"]
    assert len(replies) == 1


def test_the_secret_is_needed_and_internal_notes_stay_internal(client, es, stack, officer):
    case, other = Case(client, es, stack), Case(client, es, stack)
    case.staff(officer, type="add_note", text="Pelapor ini tetangga kepala dinas")
    case.staff(officer, type="resolve", resolution="Selesai.")
    case.citizen(expect=403, secret="tebakan", type="accept", rating=5)
    case.citizen(expect=403, secret=other.secret, type="accept", rating=5)
    view = case.view()
    assert "tetangga" not in str(view) and all(t["type"] != "case.note_added" for t in view["timeline"])
    assert "Rahmat" not in str(view) and "0812" not in str(view)


def test_refused_citizen_action_says_why(client, es, stack):
    case = Case(client, es, stack)
    refused = case.citizen(expect=409, type="accept", rating=5)  # nothing is resolved yet
    assert "routed" in refused.json()["detail"]


def test_staff_need_a_token_and_the_right_agency(client, es, stack):
    case = Case(client, es, stack)
    assert client.post(f"/api/v1/officer/cases/{case.id}/actions", json={"type": "acknowledge"}).status_code == 401
    forged = {"Authorization": "Bearer not-a-token"}
    assert client.post(f"/api/v1/officer/cases/{case.id}/actions", json={"type": "acknowledge"},
                       headers=forged).status_code == 401
    case.staff(headers(stack, "officer", "DINKES"), expect=404, type="acknowledge")
    case.staff(headers(stack, "officer", "PUPR-KOTA"), expect=422, type="resolve")  # resolution is required
