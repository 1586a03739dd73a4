"""200 Indonesian complaints with planted personal data, through the real pipeline (API -> Kafka -> case
agent -> projection -> public index), each answered and resolved by an officer whose replies plant more:
nothing planted may be found in the public index or in any public answer (the public case API and page,
the search API and page, Open311 in JSON and XML), and the ordinary numbers must survive."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

import pytest

from tests.integration.test_lifecycle import headers
from tests.redaction_corpus import Item, corpus, leaks
from tests.support import search_marker, wait_for

pytestmark = pytest.mark.integration
COUNT = 200


def _phone_for(item: Item) -> str:
    digits = str(int(hashlib.sha256(item.text.encode()).hexdigest(), 16))[:9]
    return f"0812{digits}"


@pytest.fixture(scope="module")
def published(client, es, stack) -> Iterator[tuple[str, list[tuple[str, Item]]]]:
    marker = search_marker()
    officer = headers(stack, "officer", "PUPR-KOTA", user="petugas-redaksi")
    cases: list[tuple[str, Item]] = []
    for item in corpus(COUNT, seed=2026):
        phone = _phone_for(item)
        item.planted.append(phone)
        item.digits.append(phone)
        accepted = client.post("/api/v1/complaints", json={
            "category": "jalan-jembatan", "regency": "17.71", "district": "17.71.02",
            "description": f"{item.text} ({marker})", "address": "Jl. Rahasia No. 1",
            "reporter": {"name": item.name, "phone": phone}})
        assert accepted.status_code == 202, accepted.text
        cases.append((accepted.json()["tracking_id"], item))
    ids = [case_id for case_id, _ in cases]

    def all_at(seq: int) -> bool:
        docs = es.mget(index=stack.indices.cases, ids=ids)["docs"]
        return all(d.get("found") and d["_source"]["seq"] >= seq for d in docs)

    wait_for(lambda: all_at(2), f"{COUNT} cases routed", timeout_s=120)
    for case_id, item in cases:
        first = item.name.split()[0]
        for body in ({"type": "acknowledge"},
                     {"type": "reply",
                      "message": f"Terima kasih Bapak/Ibu {first}, kami hubungi di {_phone_for(item)}."},
                     {"type": "resolve", "resolution": f"Sudah ditangani. Laporan {item.name} kami tutup."}):
            sent = client.post(f"/api/v1/officer/cases/{case_id}/actions", json=body, headers=officer)
            assert sent.status_code == 202, sent.text

    def all_public() -> bool:
        es.indices.refresh(index=stack.indices.public_cases)
        return es.count(index=stack.indices.public_cases, query={"ids": {"values": ids}})["count"] == COUNT

    wait_for(all_public, f"{COUNT} cases on the public index", timeout_s=180)
    yield marker, cases


def test_nothing_planted_is_in_the_public_index_or_a_case_answer(published, client, es, stack):
    marker, cases = published
    for case_id, item in cases:
        stored = es.get(index=stack.indices.public_cases, id=case_id)["_source"]  # stems included
        api = client.get(f"/api/v1/public/cases/{case_id}")
        page = client.get(f"/kasus/{case_id}")
        assert api.status_code == page.status_code == 200
        for where, output in (("index", str(stored)), ("api", api.text), ("page", page.text)):
            assert leaks(item, output) == [], (where, case_id, item.text)
        description = api.json()["description"]
        for number in item.ordinary:
            assert number in description, (number, description)
        assert "Rahasia" not in api.text and "petugas-redaksi" not in api.text


def test_nothing_planted_is_in_search_results_or_open311(published, client):
    marker, cases = published
    outputs = []
    for page in range(1, COUNT // 50 + 1):
        found = client.get("/api/v1/public/cases", params={"q": marker, "size": 50, "page": page})
        assert found.status_code == 200
        outputs.append(found.text)
        assert {i["tracking_id"] for i in found.json()["items"]} <= {c for c, _ in cases}
    assert found.json()["total"] == COUNT
    for page in range(1, COUNT // 10 + 1, 7):
        html = client.get("/cari", params={"q": marker, "page": page})
        assert html.status_code == 200
        outputs.append(html.text)
    ids = ",".join(case_id for case_id, _ in cases)
    for fmt in ("json", "xml"):
        open311 = client.get(f"/open311/v2/requests.{fmt}", params={"service_request_id": ids, "page_size": COUNT})
        assert open311.status_code == 200
        assert len(re.findall(r"BKL-\w{5}-\w{5}", open311.text)) >= COUNT
        outputs.append(open311.text)
    text = "\n".join(outputs)
    for _, item in cases:
        assert leaks(item, text) == [], item.text


def test_nothing_planted_is_in_the_open_data(published, client):
    """/data/kasus.csv holds every published case, parsed as CSV, with none of what was planted; /data/kinerja.csv
    holds the scorecards."""
    import csv
    import io

    from api.routes.open_data import CASE_COLUMNS, SCORECARD_COLUMNS

    marker, cases = published
    answer = client.get("/data/kasus.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert 'filename="kasus.csv"' in answer.headers["content-disposition"]
    assert "licenses/by/4.0" in answer.headers["link"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert tuple(rows[0]) == CASE_COLUMNS
    ours = {r["tracking_id"]: r for r in rows if marker in r["description"]}
    assert ours.keys() == {case_id for case_id, _ in cases}
    assert len({r["tracking_id"] for r in rows}) == len(rows)  # one row a case, however many pages
    assert all(r["status"] == "resolved" and r["district_name"] and r["agency_name"] for r in ours.values())
    # Each case's own row (the file holds every published case of the run: another may name the same street).
    for case_id, item in cases:
        row = ",".join(ours[case_id].values())
        assert leaks(item, row) == [], (case_id, item.text)
    mine = "\n".join(",".join(r.values()) for r in ours.values())
    assert "Rahasia" not in mine and "petugas-redaksi" not in answer.text

    scorecards = client.get("/data/kinerja.csv")
    assert scorecards.status_code == 200
    table = list(csv.DictReader(io.StringIO(scorecards.text)))
    assert tuple(table[0]) == SCORECARD_COLUMNS
    (pupr,) = [r for r in table if r["code"] == "PUPR-KOTA"]
    assert int(pupr["received"]) >= len(cases) and pupr["name"].startswith("Dinas Pekerjaan Umum")
    assert client.get("/data/kinerja.csv", params={"group": "regency"}).text.startswith("code,name,rank")
