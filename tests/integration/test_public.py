"""The public transparency side on the real stack: the public index (what enters, what leaves, what is
scrubbed), search across Indonesian affixes with highlights and facets, public case pages and photos,
and the scorecards."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from tests.integration.test_lifecycle import BODY, Case, headers
from tests.integration.test_web_intake import jpeg_with_gps, post_multipart
from tests.support import search_marker, wait_for

pytestmark = pytest.mark.integration
NIK = "1771012345678901"


def resolve(case: Case, stack, agency: str = "PUPR-KOTA", resolution: str = "Sudah ditangani.") -> None:
    officer = headers(stack, "officer", agency)
    case.staff(officer, type="acknowledge")
    case.staff(officer, type="resolve", resolution=resolution)


def public_doc(client, case_id: str) -> dict:
    return wait_for(lambda: (r := client.get(f"/api/v1/public/cases/{case_id}")).status_code == 200 and r.json(),
                    f"{case_id} on the public index")


def gone(client, case_id: str) -> None:
    wait_for(lambda: client.get(f"/api/v1/public/cases/{case_id}").status_code == 404,
             f"{case_id} off the public index")


def search(client, **params) -> dict:
    answer = client.get("/api/v1/public/cases", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def searched(client, es, stack, case_id: str, **params) -> dict:
    """The search once the public index has refreshed with `case_id` in it (or fails after the wait)."""
    def found():
        es.indices.refresh(index=stack.indices.public_cases)
        result = search(client, **params)
        return result if any(i["tracking_id"] == case_id for i in result["items"]) else None

    return wait_for(found, f"{case_id} found by {params}")


def test_a_resolved_case_is_public_without_any_personal_data(client, es, stack):
    marker = search_marker()
    case = Case(client, es, stack, reporter={"name": "Siti Aminah", "phone": "081355512345",
                                              "email": "siti.aminah@example.id"},
                address="Jl. Merpati No. 9", lat=-3.7956, lon=102.2592,
                description=f"Saya Siti Aminah ({marker}), NIK {NIK}, rumah di Jl. Merpati No. 9 RT 02/RW 04. "
                            "Hubungi 0813-5551-2345 atau siti.aminah@example.id. Jalan depan rumah berlubang.")
    officer = headers(stack, "officer", "PUPR-KOTA")
    case.staff(officer, type="acknowledge")
    case.staff(officer, type="add_note", text="Bu Siti minta dihubungi sore hari.")  # internal: never public
    case.staff(officer, type="reply", message="Bu Siti, tim kami datang besok; kami telepon ke 081355512345.")
    case.staff(officer, type="resolve", resolution="Lubang di depan rumah Bu Aminah sudah ditambal.")
    record = public_doc(client, case.id)
    text = json.dumps(record, ensure_ascii=False)
    for secret in ("Siti", "Aminah", NIK, "081355512345", "0813-5551-2345", "siti.aminah", "Merpati",
                   "minta dihubungi", "-3.79", "102.25", "budi"):
        assert secret not in text, secret
    assert "[NIK]" in record["description"] and "[alamat]" in record["description"]
    assert "[telepon]" in record["description"] and "[email]" in record["description"]
    assert record["resolution"] == "Lubang di depan rumah Bu [nama] sudah ditambal."
    assert {"reporter", "address", "lat", "lon", "location", "assignee"}.isdisjoint(record)
    assert record["district"] == "17.71.05" and record["agency"] == "PUPR-KOTA"
    assert [t["by"] for t in record["timeline"] if t["type"] == "case.replied"] == ["PUPR-KOTA"]
    assert {d["name"]: d["state"] for d in record["deadlines"]}["response"] == "met"

    page = client.get(f"/kasus/{case.id}")
    assert page.status_code == 200 and marker in page.text
    for secret in ("Siti", NIK, "081355512345", "Merpati", "minta dihubungi"):
        assert secret not in page.text, secret


def test_confidential_cases_never_and_reopened_ones_no_longer_appear(client, es, stack):
    secret = Case(client, es, stack, confidential=True, description="Pungutan liar di loket, mohon dirahasiakan.")
    resolve(secret, stack)
    reopened = Case(client, es, stack, description="Lampu jalan padam sejak seminggu di ujung gang.")
    resolve(reopened, stack)
    public_doc(client, reopened.id)
    assert client.get(f"/api/v1/public/cases/{secret.id}").status_code == 404
    assert client.get(f"/kasus/{secret.id}").status_code == 404

    reopened.citizen(type="reopen", reason="Lampunya padam lagi malam ini.")
    gone(client, reopened.id)
    reopened.staff(headers(stack, "officer", "PUPR-KOTA"), type="resolve", resolution="Kabel diganti baru.")
    assert public_doc(client, reopened.id)["resolution"] == "Kabel diganti baru."
    # Made confidential after the fact (e.g. at the reporter's request): off the public pages for good.
    reopened.staff(headers(stack, "officer", "PUPR-KOTA"), type="make_confidential", reason="Permintaan pelapor.")
    gone(client, reopened.id)
    es.indices.refresh(index=stack.indices.public_cases)
    assert reopened.id not in json.dumps(search(client, q="*"))


def test_photos_are_public_only_when_an_officer_publishes_them(client, es, stack):
    other = io.BytesIO()
    Image.new("RGB", (200, 150), (30, 90, 160)).save(other, "JPEG")
    accepted = post_multipart(client, {**BODY, "description": "Jembatan kayu patah di atas parit besar."},
                              [("photos", jpeg_with_gps(), "image/jpeg"), ("photos", other.getvalue(), "image/jpeg")])
    case_id = accepted.json()["tracking_id"]
    case = Case.__new__(Case)
    case.client, case.es, case.stack, case.id, case.secret = client, es, stack, case_id, accepted.json()["secret"]
    case.wait(2)
    photos = case.doc["state"]["complaint"]["photos"]
    assert len(set(photos)) == 2
    resolve(case, stack)
    record = public_doc(client, case_id)
    assert record["photos"] == []
    assert client.get(f"/kasus/{case_id}/foto/{photos[0]}").status_code == 404
    case.staff(headers(stack, "officer", "PUPR-KOTA"), type="publish_photo", photo_id=photos[0])
    record = wait_for(lambda: (r := public_doc(client, case_id))["photos"] and r, "the published photo")
    assert record["photos"] == [photos[0]]
    shown = client.get(f"/kasus/{case_id}/foto/{photos[0]}")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert client.get(f"/kasus/{case_id}/foto/{photos[1]}").status_code == 404  # not published


@pytest.mark.parametrize("query, text, form", [
    ("perbaikan jalan", "Jalan di kampung kami sudah diperbaiki dinas, terima kasih.", "diperbaiki"),
    ("sampah", "Persampahan di pasar tradisional tidak terurus berbulan-bulan.", "Persampahan"),
    ("banjir", "Rumah warga kebanjiran setiap hujan deras karena parit tersumbat.", "kebanjiran"),
    ("pembersihan saluran", "Saluran air di pasar sudah dibersihkan petugas.", "dibersihkan"),
    ("penebangan liar", "Pohon di hutan lindung ditebang secara liar tiap malam.", "ditebang"),
    ("pengangkutan sampah", "Sampah di TPS tidak diangkut selama dua minggu.", "diangkut"),
    ("kemacetan", "Jalan di depan sekolah macet setiap pagi.", "macet"),
    ("pencemaran sungai", "Sungai tercemar limbah pabrik tahu, airnya berbau.", "tercemar"),
    ("pelayanan", "Petugas loket melayani warga dengan kasar.", "melayani"),
])
def test_words_match_across_indonesian_affixes(client, es, stack, query, text, form):
    marker = search_marker()
    case = Case(client, es, stack, description=f"{text} ({marker})")
    resolve(case, stack)
    found = searched(client, es, stack, case.id, q=f"{query} {marker}")
    item = next(i for i in found["items"] if i["tracking_id"] == case.id)
    assert f"<mark>{form}</mark>" in item["snippet"]  # the text's own form of the word, found and marked
    assert query.split()[0] not in re.findall(r"\w+", text.lower())  # ... which is not the word searched for


def test_search_filters_facets_sort_pages_and_bad_input(client, es, stack):
    marker = search_marker()
    road = Case(client, es, stack, description=f"Jalan {marker} retak panjang di tikungan tajam.")
    health = Case(client, es, stack, category="kesehatan", regency="17.08", district=None,
                  description=f"Puskesmas {marker} kekurangan obat untuk anak-anak.")
    resolve(road, stack)
    resolve(health, stack, agency="DINKES")
    for case in (road, health):
        searched(client, es, stack, case.id, q=marker)
    both = search(client, q=marker)
    assert {i["tracking_id"] for i in both["items"]} == {road.id, health.id} and both["total"] == 2
    assert {f["key"]: f["count"] for f in both["facets"]["category"]} == {"jalan-jembatan": 1, "kesehatan": 1}
    assert {f["name"] for f in both["facets"]["agency"]} >= {"Dinas Kesehatan Provinsi Bengkulu"}
    today = datetime.fromisoformat(road.doc["submitted_at"]).astimezone(ZoneInfo("Asia/Jakarta")).date().isoformat()
    assert [f["name"] for f in both["facets"]["year"]] == [today[:4]]  # the year in Bengkulu
    only = search(client, q=marker, category="kesehatan")
    assert [i["tracking_id"] for i in only["items"]] == [health.id]
    assert search(client, q=marker, regency="17.71")["total"] == 1
    newest = search(client, q=marker, sort="newest")["items"]
    assert [i["tracking_id"] for i in newest] == [health.id, road.id]
    assert [i["tracking_id"] for i in search(client, q=marker, sort="oldest")["items"]] == [road.id, health.id]
    paged = search(client, q=marker, size=1, page=2, sort="oldest")
    assert paged["pages"] == 2 and [i["tracking_id"] for i in paged["items"]] == [health.id]
    assert search(client, q=marker, **{"from": today, "to": today})["total"] == 2
    assert search(client, q=marker, **{"from": "2001-01-01", "to": "2001-12-31"})["total"] == 0
    assert search(client, q="")["total"] >= 2  # an empty query lists everything, newest first
    assert search(client, q='"((( AND ]] ~~ /*')["total"] >= 0  # no syntax to break: words only

    assert client.get("/api/v1/public/cases", params={"q": "x" * 201}).status_code == 422
    assert client.get("/api/v1/public/cases", params={"category": "parkir"}).status_code == 422
    assert client.get("/api/v1/public/cases", params={"from": "2026-02-01", "to": "2026-01-01"}).status_code == 422
    assert client.get("/api/v1/public/cases", params={"from": "kemarin"}).status_code == 422
    page = client.get("/cari", params={"q": f"{marker} " + "jalan " * 60, "dari": "kemarin"})
    assert page.status_code == 200
    assert 'data-notice="long"' in page.text and 'data-notice="date"' in page.text
    page = client.get("/cari", params={"q": marker})
    assert page.status_code == 200 and f'data-case="{road.id}"' in page.text and "<mark>" in page.text
    page = client.get("/cari", params={"category": "jalan-jembatan", "agency": "PUPR-KOTA", "regency": "17.71"})
    assert page.status_code == 200  # the filters keep what was chosen
    assert all(f'<option value="{v}" selected>' in page.text for v in ("jalan-jembatan", "PUPR-KOTA", "17.71"))


def test_scorecards_rank_agencies_with_enough_cases(client, es, stack):
    disaster = Case(client, es, stack, category="bencana", regency="17.05", district=None,
                    description="Tanah longsor menutup jalan desa setelah hujan semalam.")
    resolve(disaster, stack, agency="BPBD")
    for _ in range(3):
        resolve(Case(client, es, stack, description="Trotoar rusak dan membahayakan pejalan kaki."), stack)
    es.indices.refresh(index=stack.indices.cases)
    cards = client.get("/api/v1/public/scorecards").json()
    rows = {r["agency"]: r for r in cards["rows"]}
    assert rows["PUPR-KOTA"]["ranked"] and rows["PUPR-KOTA"]["rank"] >= 1
    assert rows["PUPR-KOTA"]["name"] == "Dinas Pekerjaan Umum dan Penataan Ruang Kota Bengkulu"
    assert "BPBD" in rows  # listed, ranked or not
    for row in cards["rows"]:  # ranked exactly when there are enough cases; too few: listed, not ranked
        assert row["ranked"] == (row["received"] >= cards["min_cases"]) == (row["rank"] is not None)
    ranks = [r["rank"] for r in cards["rows"] if r["ranked"]]
    assert ranks == list(range(1, len(ranks) + 1))  # the ranked come first, 1, 2, 3...
    assert rows["PUPR-KOTA"]["months"][-1]["received"] >= 3 and rows["PUPR-KOTA"]["within_sla"]["resolution"] > 0
    assert cards["total"]["received"] >= 4
    by_regency = client.get("/api/v1/public/scorecards", params={"group": "regency"}).json()
    assert {r["regency"] for r in by_regency["rows"]} >= {"17.71", "17.05"}
    assert client.get("/api/v1/public/scorecards", params={"from": "2026-05-01", "to": "2026-01-01"}).status_code == 422
    page = client.get("/kinerja")
    assert page.status_code == 200 and 'id="scorecards"' in page.text and "<svg" in page.text
    assert 'data-key="PUPR-KOTA" data-rank="' in page.text


async def test_a_public_write_to_a_missing_index_fails_and_is_retried_not_dropped(stack):
    from elasticsearch import AsyncElasticsearch

    from search.cases import ProjectionUnavailable, write_public

    es = AsyncElasticsearch(stack.es_hosts, request_timeout=30)
    try:
        missing = f"{stack.index_prefix}no-such-public"
        with pytest.raises(ProjectionUnavailable):
            await write_public(es, [{"_op_type": "index", "_index": missing, "_id": "BKL-AAAAA-BBBBB", "version": 3,
                                     "version_type": "external", "_source": {"tracking_id": "BKL-AAAAA-BBBBB"}}])
        # Deleting what is not there (a case that was never public) is no error.
        await write_public(es, [{"_op_type": "delete", "_index": stack.indices.public_cases, "_id": "BKL-00000-00000",
                                 "version": 3, "version_type": "external"}])
    finally:
        await es.close()
