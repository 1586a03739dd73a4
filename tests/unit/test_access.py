"""Who sees what (domain.access): the citizen's views with and without the secret, staff views of anonim
cases, the README's table against the code, and the content fingerprint behind idempotent submission."""

import re
from pathlib import Path

import pytest

from domain import access
from domain.complaint import Complaint, fingerprint
from tests.unit.test_public_record import CITIZEN, OFFICER, RESOLVED, T0, J, case_through

pytestmark = pytest.mark.unit
PERSONAL = ("Rahmat", "Hidayat", "1771012345678901", "081273001234")


def test_without_the_secret_no_text_until_published():
    routed = case_through(("reply", OFFICER, {"message": "Pak Rahmat, tim datang besok."}),
                          ("citizen_reply", CITIZEN, {"message": "Saya tunggu di 081273001234."}))
    view = access.citizen_view(routed, J, T0, owner=False)
    assert tuple(view) == access.TRACKING_FIELDS and view["published"] is None
    assert all(tuple(t) == access.TRACKING_TIMELINE_FIELDS for t in view["timeline"])
    assert not any(value in str(view) for value in PERSONAL + ("berlubang", "tim datang"))


def test_once_published_only_the_scrubbed_public_texts():
    view = access.citizen_view(case_through(*RESOLVED), J, T0, owner=False)
    assert tuple(view["published"]) == access.PUBLISHED_FIELDS
    assert view["published"]["description"] == "Saya [nama], NIK [NIK], jalan depan rumah berlubang."
    assert not any(value in str(view) for value in PERSONAL)


def test_with_the_secret_the_whole_case_but_not_the_contact():
    view = access.citizen_view(case_through(*RESOLVED), J, T0, owner=True)
    assert set(view) == set(access.OWNER_FIELDS)
    assert "NIK 1771012345678901" in view["description"]
    assert "Saya tunggu di 081273001234." in [t["text"] for t in view["timeline"]]
    assert "reporter" not in view


def test_a_confidential_case_is_nothing_without_the_secret():
    case = case_through(confidential=True)
    assert access.citizen_view(case, J, T0, owner=False) is None
    assert access.citizen_view(case, J, T0, owner=True)["confidential"] is True


def test_staff_never_see_an_anonymous_reporter_in_any_text():
    case = case_through(*RESOLVED[:4], ("resolve", OFFICER, {"resolution": "Ditambal, terima kasih Pak Rahmat."}),
                        ("accept", CITIZEN, {"rating": 5, "comment": "Terima kasih dari Rahmat Hidayat"}),
                        anonymous=True, title="Laporan Rahmat Hidayat")
    seen = access.for_staff(case)
    assert seen.complaint.reporter.name is None and seen.complaint.reporter.phone is None
    texts = [seen.complaint.title, seen.complaint.description, seen.resolution, seen.rating_comment,
             *(t.text for t in seen.timeline)]
    assert not any(value in str(texts) for value in PERSONAL), texts
    assert "berlubang" in seen.complaint.description and seen.complaint.address == "Jl. Salak No. 3"
    assert case.complaint.reporter.name == "Rahmat Hidayat"  # the case itself is untouched


def test_staff_see_a_named_reporter_as_given():
    case = case_through(*RESOLVED)
    assert access.for_staff(case) is case


def test_the_readme_table_is_the_code():
    section = (Path(__file__).parents[2] / "README.md").read_text().split("## Who sees what", 1)[1]
    rows = {cells[0].strip(): cells[3] for line in section.split("\n## ", 1)[0].splitlines()
            if len(cells := line.strip().strip("|").split("|")) == 4}

    def names(text: str) -> tuple[str, ...]:
        return tuple(re.findall(r"`([a-z_]+)`", text))

    owner, owner_timeline = rows["citizen with the secret"].split("; timeline entries:")
    assert names(owner) == access.OWNER_FIELDS and names(owner_timeline) == access.OWNER_TIMELINE_FIELDS
    tracking, rest = rows["anyone with the tracking id"].split("; timeline entries:")
    timeline, published = rest.split("; `published`")
    assert names(tracking) == access.TRACKING_FIELDS and names(timeline) == access.TRACKING_TIMELINE_FIELDS
    assert names(published.split(":", 1)[1]) == access.PUBLISHED_FIELDS


def test_the_fingerprint_is_the_content_without_the_request_id():
    base = {"category": "jalan-jembatan", "regency": "17.71", "description": "Jalan berlubang di depan pasar.",
            "attributes": {"a_b": "1", "c_d": "2"}}
    same = fingerprint(Complaint(**base, client_request_id="a" * 16))
    assert same == fingerprint(Complaint(**base, client_request_id="b" * 16))
    assert same == fingerprint(Complaint(**{**base, "attributes": {"c_d": "2", "a_b": "1"}}))  # order is no content
    assert same != fingerprint(Complaint(**{**base, "description": "Jalan berlubang di depan sekolah."}))
    assert same != fingerprint(Complaint(**base, channel="api"))
    assert same != fingerprint(Complaint(**base, photos=("0" * 32,)))


def test_per_officer_performance_is_for_supervisors_and_above_and_officers_see_their_own():
    from domain.access import performance_scope
    from domain.events import Actor

    officer = Actor(role="officer", id="rina", agency="DINKES")
    supervisor = Actor(role="supervisor", id="sari", agency="DINKES")
    assert performance_scope(officer, "officer") == ("DINKES", "rina")
    assert performance_scope(officer, "agency") == ("DINKES", None)
    assert performance_scope(supervisor, "officer") == ("DINKES", None)
    assert performance_scope(Actor(role="coordinator", id="kord"), "officer") == (None, None)
    assert performance_scope(Actor(role="admin", id="root"), "officer") == (None, None)
