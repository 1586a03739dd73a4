"""Performance records on the real stack: metrics kept in each case's document by the projection,
aggregated per agency and per officer, scoped like every officer query."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.integration.test_intake import wait_until_projected
from tests.integration.test_lifecycle import Case, headers

pytestmark = pytest.mark.integration

# Health complaints go to DINKES; other tests send it cases too, so the records are read from the moment
# this test starts (`from`): tests run one after another, so those are this test's cases alone.
HEALTH = {"category": "kesehatan", "regency": "17.08", "district": None,
          "description": "Puskesmas tutup sebelum jam pelayanan berakhir, warga disuruh pulang."}


def test_records_per_agency_and_officer(client, es, stack):
    since = {"from": datetime.now(UTC).isoformat()}
    officer = headers(stack, "officer", "DINKES", user="rina")
    handled = Case(client, es, stack, **HEALTH)
    handled.staff(officer, type="acknowledge")
    handled.staff(officer, type="resolve", resolution="Jadwal pelayanan sudah diumumkan ulang.")
    handled.citizen(type="accept", rating=4)
    waiting = Case(client, es, stack, **HEALTH)
    waiting.staff(officer, type="acknowledge")
    Case(client, es, stack, **HEALTH)  # untouched
    Case(client, es, stack)  # and one for another agency
    wait_until_projected(stack)
    es.indices.refresh(index=stack.indices.cases)  # the records are aggregations: searches see a refreshed index

    metrics = es.get(index=stack.indices.cases, id=handled.id)["_source"]["metrics"]
    assert metrics["handled"] == 1 and metrics["response_met"] == 1 and metrics["resolution_met"] == 1
    assert metrics["rating"] == 4 and metrics["first_response_s"] is not None

    mine = client.get("/api/v1/officer/performance", params=since, headers=officer)
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["scope"] == "DINKES" and [r["agency"] for r in body["rows"]] == ["DINKES"]
    row = body["rows"][0]
    assert row["received"] == 3 and row["handled"] == 1 and row["average_rating"] == 4
    assert row["within_sla"]["response"] == 1.0 and row["within_sla"]["resolution"] == 1.0
    assert row["breaches"] == 0 and row["reopen_rate"] == 0

    per_officer = client.get("/api/v1/officer/performance", params={"group": "officer", **since},
                             headers=officer).json()
    assert [(r["officer"], r["received"]) for r in per_officer["rows"]] == [("rina", 2)]

    # Per officer: an officer sees their own row alone, their supervisor every officer of the agency.
    colleague = headers(stack, "officer", "DINKES", user="yanti")
    Case(client, es, stack, **HEALTH).staff(colleague, type="acknowledge")
    wait_until_projected(stack)
    es.indices.refresh(index=stack.indices.cases)

    def per_officer_rows(who: dict, path: str = "/api/v1/officer/performance") -> list[tuple[str, int]]:
        answer = client.get(path, params={"group": "officer", **since}, headers=who)
        assert answer.status_code == 200, answer.text
        return sorted((r["officer"], r["received"]) for r in answer.json()["rows"])

    assert per_officer_rows(colleague) == [("yanti", 1)]
    assert per_officer_rows(officer) == [("rina", 2)]
    supervisor = headers(stack, "supervisor", "DINKES", user="sari")
    assert per_officer_rows(supervisor) == [("rina", 2), ("yanti", 1)]
    agency_row = client.get("/api/v1/officer/performance", params=since, headers=colleague).json()["rows"]
    assert [(r["agency"], r["received"]) for r in agency_row] == [("DINKES", 4)]  # the agency's own record

    # Another agency's supervisor sees only their own agency; a coordinator sees every agency.
    other = client.get("/api/v1/officer/performance", headers=headers(stack, "supervisor", "PUPR-KOTA")).json()
    assert all(r["agency"] == "PUPR-KOTA" for r in other["rows"])
    everyone = client.get("/api/v1/officer/performance", headers=headers(stack, "coordinator", user="kord")).json()
    assert {"DINKES", "PUPR-KOTA"} <= {r["agency"] for r in everyone["rows"]}
    assert client.get("/api/v1/officer/performance").status_code == 401
