"""What the public may see of a case (domain.public), Indonesian stems and highlights (search.text), and the
public search body (search.public)."""

from datetime import UTC, date, datetime

import pytest

from config.jurisdiction_file import load_jurisdiction
from config.settings import DEFAULT_JURISDICTION
from domain.case import replay, submission_event
from domain.complaint import Complaint
from domain.events import Actor
from domain.lifecycle import decide, decide_submission
from domain.public import public_record
from search.public import PublicQuery, public_actions, public_document, search_body
from search.text import highlight, query_stems, stems
from tests.unit.test_lifecycle import cmd

pytestmark = pytest.mark.unit
J = load_jurisdiction(DEFAULT_JURISDICTION)
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
OFFICER = Actor(role="officer", id="budi", agency="PUPR-KOTA")
CITIZEN = Actor(role="citizen")


def case_through(*steps, **complaint):
    fields = {"category": "jalan-jembatan", "regency": "17.71", "district": "17.71.01", "address": "Jl. Salak No. 3",
              "lat": -3.79, "lon": 102.26, "reporter": {"name": "Rahmat Hidayat", "phone": "081273001234"},
              "description": "Saya Rahmat, NIK 1771012345678901, jalan depan rumah berlubang.",
              "attributes": {"jenis_kerusakan": "lubang"}, **complaint}
    events = decide_submission(None, submission_event("BKL-AAAAA-BBBBB", Complaint(**fields), T0), J, T0)
    case = replay(events)
    for n, (kind, actor, extra) in enumerate(steps):
        events += decide(case, cmd(n, kind, actor, **extra), J, T0)
        case = replay(events)
    return case


RESOLVED = [("acknowledge", OFFICER, {}), ("add_note", OFFICER, {"text": "Pak Rahmat tinggal di gang sempit."}),
            ("reply", OFFICER, {"message": "Pak Rahmat, tim datang besok."}),
            ("citizen_reply", CITIZEN, {"message": "Saya tunggu di 081273001234."}),
            ("resolve", OFFICER, {"resolution": "Sudah ditambal."})]


def test_only_the_allowlisted_fields_scrubbed():
    record = public_record(case_through(*RESOLVED), J, T0)
    assert set(record) == {"tracking_id", "status", "category", "agency", "regency", "district", "channel", "title",
                           "description", "resolution", "submitted_at", "resolved_at", "closed_at", "updated_at",
                           "year", "rating", "photos", "timeline", "deadlines", "metrics"}
    assert record["description"] == "Saya [nama], NIK [NIK], jalan depan rumah berlubang."
    texts = [t["text"] for t in record["timeline"] if t["text"]]
    assert texts == ["Pak [nama], tim datang besok.", "Sudah ditambal."]  # no note, no citizen's message
    assert all(t["by"] != "budi" for t in record["timeline"])
    assert "Rahmat" not in str(record) and "081273001234" not in str(record) and "Salak" not in str(record)


def test_open_confidential_and_reopened_cases_are_not_public():
    assert public_record(case_through(("acknowledge", OFFICER, {})), J, T0) is None
    assert public_record(case_through(("acknowledge", OFFICER, {})), J, T0, include_open=True)["status"] == \
        "in_progress"
    assert public_record(case_through(*RESOLVED, confidential=True), J, T0, include_open=True) is None
    reopened = case_through(*RESOLVED, ("reopen", CITIZEN, {"reason": "Lubangnya muncul lagi"}))
    assert public_record(reopened, J, T0) is None
    made = case_through(*RESOLVED, ("make_confidential", OFFICER, {"reason": "Permintaan pelapor"}))
    assert public_record(made, J, T0, include_open=True) is None


def test_public_actions_write_what_is_public_and_delete_what_stopped_being():
    resolved = case_through(*RESOLVED)
    [write] = public_actions("pub", None, resolved, J, T0)
    assert write["_op_type"] == "index" and write["version"] == resolved.seq
    assert write["_source"]["description_stems"].startswith("saya nama nik")
    reopened = case_through(*RESOLVED, ("reopen", CITIZEN, {"reason": "Lubangnya muncul lagi"}))
    [delete] = public_actions("pub", resolved, reopened, J, T0)
    assert delete["_op_type"] == "delete" and delete["version"] == reopened.seq
    opened = case_through(("acknowledge", OFFICER, {}))
    assert public_actions("pub", None, opened, J, T0) == []  # never public: nothing to do


def test_stems_join_the_forms_of_a_word():
    assert stems("Jalan sudah diperbaiki") == "jalan sudah baik"
    assert query_stems("perbaikan jalan") == ["baik", "jalan"]
    assert query_stems("persampahan") == query_stems("sampah") == ["sampah"]
    assert query_stems("kebanjiran") == query_stems("banjir") == ["banjir"]
    assert query_stems('"((( AND ]] ~~') == ["and"] and query_stems("") == []
    assert len(query_stems("kata " * 500)) == 1


def test_highlights_mark_matched_forms_and_escape_the_rest():
    marked = highlight("Warga: <b>jalan</b> sudah diperbaiki & rapi.", query_stems("perbaikan jalan"))
    assert str(marked) == "Warga: &lt;b&gt;<mark>jalan</mark>&lt;/b&gt; sudah <mark>diperbaiki</mark> &amp; rapi."
    long = "awal " * 100 + "banjir besar di sini " + "akhir " * 100
    snippet = str(highlight(long, ["banjir"], width=80))
    assert snippet.startswith("…") and snippet.endswith("…") and "<mark>banjir</mark>" in snippet
    assert len(snippet) < 120
    assert str(highlight("tidak ada yang cocok", ["banjir"])) == "tidak ada yang cocok"


def test_the_search_body():
    body = search_body(PublicQuery(q="perbaikan jalan", category="jalan-jembatan", since=date(2026, 1, 1),
                                   until=date(2026, 6, 30), page=3, size=10))
    match = body["query"]["bool"]["must"][0]["multi_match"]
    assert match["query"] == "baik jalan" and match["operator"] == "and"
    assert {"term": {"category": "jalan-jembatan"}} in body["query"]["bool"]["filter"]
    assert {"range": {"submitted_at": {"gte": "2026-01-01", "lte": "2026-06-30||/d", "time_zone": "UTC"}}} in \
        body["query"]["bool"]["filter"]
    assert body["from"] == 20 and body["sort"][0] == "_score" and set(body["aggs"]) == {"category", "agency",
                                                                                         "regency", "year"}
    empty = search_body(PublicQuery())
    assert empty["query"]["bool"]["must"] == [{"match_all": {}}] and empty["sort"][0] == {"submitted_at": "desc"}
    assert search_body(PublicQuery(page=10_000))["from"] == 9_990  # held inside the result window
    assert public_document(case_through(("acknowledge", OFFICER, {})), J, T0) is None


def test_scorecard_ranking():
    from search.performance import rank

    def row(key, received, share, median):
        return {"agency": key, "received": received, "within_sla": {"resolution": share},
                "resolution_hours": {"median": median}}

    rows = rank([row("A", 50, 0.8, 30), row("B", 3, 1.0, 5), row("C", 40, 0.9, 50), row("D", 40, 0.9, 20),
                 row("E", 12, None, None), row("F", 9, 0.5, 1)], min_cases=10)
    assert [(r["agency"], r["rank"]) for r in rows] == [("D", 1), ("C", 2), ("A", 3), ("E", 4), ("F", None),
                                                        ("B", None)]
