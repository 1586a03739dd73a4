"""Open311 GeoReport v2 on the real stack: services and definitions, posting with a key, reading back
(redacted), tokens, both formats, and the specification's errors."""

from __future__ import annotations

import uuid
from xml.etree import ElementTree as ET

import pytest

from api.accounts import AccountStore
from tests.integration.test_lifecycle import Case, headers
from tests.support import open311_key, search_marker, wait_for

pytestmark = pytest.mark.integration
V2 = "/open311/v2"


@pytest.fixture(scope="module")
def api_key(stack):
    yield from open311_key(stack, "it")


def post(client, key: str, fmt: str = "json", **fields):
    data = {"api_key": key, "service_code": "jalan-jembatan", "lat": "-3.7956", "long": "102.2592",
            "attribute[wilayah]": "17.71.05", "description": "Lubang besar di jalan dekat sekolah dasar.",
            "first_name": "Dewi", "last_name": "Lestari", "phone": "081377700011", "email": "dewi@example.id",
            **fields}
    return client.post(f"{V2}/requests.{fmt}", data={k: v for k, v in data.items() if v is not None})


def errors_of(response) -> list[dict]:
    if response.headers["content-type"].startswith("text/xml"):
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        return [{"code": int(e.findtext("code")), "description": e.findtext("description")} for e in root]
    return response.json()


def test_services_and_their_definitions_in_json_and_xml(client):
    services = client.get(f"{V2}/services.json")
    assert services.status_code == 200
    codes = {s["service_code"]: s for s in services.json()}
    assert codes["jalan-jembatan"]["service_name"] == "Jalan dan Jembatan" and codes["jalan-jembatan"]["metadata"]
    xml = client.get(f"{V2}/services.xml", params={"jurisdiction_id": "bengkulu"})
    assert xml.headers["content-type"].startswith("text/xml") and xml.content.startswith(b"<?xml")
    root = ET.fromstring(xml.content)
    assert root.tag == "services" and {s.findtext("service_code") for s in root.findall("service")} == set(codes)

    definition = client.get(f"{V2}/services/jalan-jembatan.json").json()
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert attributes["wilayah"]["required"] and {"key": "17.71.05", "name": "Kampung Melayu, Kota Bengkulu"} in \
        attributes["wilayah"]["values"]
    assert attributes["jenis_kerusakan"]["datatype"] == "singlevaluelist"
    assert [a["order"] for a in definition["attributes"]] == [1, 2, 3]
    xml = ET.fromstring(client.get(f"{V2}/services/jalan-jembatan.xml").content)
    assert xml.tag == "service_definition" and xml.find("attributes/attribute/values/value/key") is not None

    assert errors_of(client.get(f"{V2}/services/parkir.json")) == [
        {"code": 404, "description": "service_code 'parkir' not found"}]
    assert client.get(f"{V2}/services.json", params={"jurisdiction_id": "jakarta"}).status_code == 404
    assert client.get(f"{V2}/services.csv").status_code == 404


@pytest.fixture(scope="module")
def other_key(stack):
    yield from open311_key(stack, "it-other")


def test_a_posted_request_becomes_a_case_and_reads_back_redacted(client, es, stack, api_key, other_key):
    marker = search_marker()
    posted = post(client, api_key, description=f"Jalan {marker} berlubang; hubungi Dewi di 081377700011.",
                  **{"attribute[jenis_kerusakan]": "lubang", "attribute[lebar_kerusakan_m]": "1.5",
                     "media_url": "https://foto.example.id/lubang.jpg"})
    assert posted.status_code == 200, posted.text
    [receipt] = posted.json()
    request_id = receipt["service_request_id"]
    assert request_id.startswith("BKL-") and request_id in receipt["service_notice"]
    case = wait_for(lambda: (d := es.get(index=stack.indices.cases, id=request_id)["_source"])["status"] == "routed"
                    and d, "the request routed as a case")
    complaint = case["state"]["complaint"]
    assert complaint["channel"] == "open311" and complaint["district"] == "17.71.05" and case["agency"] == "PUPR-KOTA"
    assert complaint["attributes"] == {"jenis_kerusakan": "lubang", "lebar_kerusakan_m": "1.5"}
    assert complaint["reporter"] == {"name": "Dewi Lestari", "phone": "081377700011", "email": "dewi@example.id"}
    assert complaint["media_url"] == "https://foto.example.id/lubang.jpg"

    # Open and unreviewed: no one reads it but the client that posted it (README, "Who sees what").
    for path in (f"requests/{request_id}.json", f"tokens/{request_id}.json"):
        assert client.get(f"{V2}/{path}").status_code == 404, path
        assert client.get(f"{V2}/{path}", params={"api_key": other_key}).status_code == 404, path
    es.indices.refresh(index=stack.indices.cases)
    assert request_id not in client.get(f"{V2}/requests.json", params={"service_request_id": request_id}).text
    assert request_id not in client.get(f"{V2}/requests.json", params={"service_request_id": request_id,
                                                                         "api_key": other_key}).text
    assert client.get(f"{V2}/requests.json", params={"api_key": "kunci-palsu"}).status_code == 403
    [one] = client.get(f"{V2}/requests/{request_id}.json", params={"api_key": api_key}).json()
    assert one["status"] == "open" and one["service_code"] == "jalan-jembatan"
    assert one["agency_responsible"] == "Dinas Pekerjaan Umum dan Penataan Ruang Kota Bengkulu"
    assert one["address"] == "Kampung Melayu, Kota Bengkulu" and one["lat"] is None
    assert one["expected_datetime"] and one["requested_datetime"].endswith("+07:00")
    text = str(one)
    for secret in ("Dewi", "Lestari", "081377700011", "dewi@example.id", "-3.79", "foto.example.id"):
        assert secret not in text, secret
    assert "[telepon]" in one["description"] and "[nama]" in one["description"]

    officer = headers(stack, "officer", "PUPR-KOTA")
    tracked = Case.__new__(Case)
    tracked.client, tracked.es, tracked.stack, tracked.id, tracked.doc = client, es, stack, request_id, case
    tracked.staff(officer, type="acknowledge")
    tracked.staff(officer, type="resolve", resolution="Lubang sudah ditambal, terima kasih Bu Dewi.")
    # Published once resolved: from the public index, for anyone.
    wait_for(lambda: client.get(f"{V2}/requests/{request_id}.xml").status_code == 200, "the request published")
    root = ET.fromstring(client.get(f"{V2}/requests/{request_id}.xml").content)
    assert root.tag == "service_requests"
    [done] = root.findall("request")
    assert done.findtext("status") == "closed"
    assert done.findtext("status_notes") == "Lubang sudah ditambal, terima kasih Bu [nama]."

    es.indices.refresh(index=stack.indices.public_cases)
    listed = client.get(f"{V2}/requests.json", params={"service_code": "jalan-jembatan", "status": "closed"}).json()
    assert request_id in {r["service_request_id"] for r in listed}
    assert all(r["status"] == "closed" for r in listed)
    assert request_id not in {r["service_request_id"] for r in
                              client.get(f"{V2}/requests.json", params={"status": "open"}).json()}
    by_ids = client.get(f"{V2}/requests.json", params={"service_request_id": f"{request_id},BKL-00000-00000"}).json()
    assert [r["service_request_id"] for r in by_ids] == [request_id]
    long_ago = client.get(f"{V2}/requests.json", params={"start_date": "2001-01-01T00:00:00Z",
                                                          "end_date": "2001-12-31T00:00:00Z"}).json()
    assert long_ago == []
    assert client.get(f"{V2}/tokens/{request_id}.json").json() == [{"service_request_id": request_id,
                                                                    "token": request_id}]


def test_confidential_requests_are_not_listed_or_read(client, es, stack, api_key):
    secret = Case(client, es, stack, confidential=True, description="Laporan rahasia tentang pungutan di loket.")
    es.indices.refresh(index=stack.indices.cases)
    for params in ({}, {"api_key": api_key}):
        assert client.get(f"{V2}/requests/{secret.id}.json", params=params).status_code == 404
        ids = {r["service_request_id"] for r in client.get(f"{V2}/requests.json", params=params).json()}
        assert secret.id not in ids


def test_the_keyless_list_is_the_public_index_in_pages(client, es, stack):
    officer = headers(stack, "officer", "PUPR-KOTA")
    resolved = []
    for n in range(3):
        case = Case(client, es, stack, description=f"Lubang ke-{n} di jalan Sudirman, mohon ditambal.")
        case.staff(officer, type="acknowledge")
        case.staff(officer, type="resolve", resolution="Sudah ditambal.")
        resolved.append(case.id)
    unreviewed = Case(client, es, stack, description="Lampu jalan padam di depan pasar sejak kemarin.")

    def listed() -> list[str] | None:
        es.indices.refresh(index=stack.indices.public_cases)
        ids = [r["service_request_id"] for r in client.get(f"{V2}/requests.json", params={"page_size": 1000}).json()]
        return ids if set(resolved) <= set(ids) else None

    everything = wait_for(listed, "the resolved cases in the public index")
    assert unreviewed.id not in everything
    pages = [client.get(f"{V2}/requests.json", params={"page_size": 2, "page": n}).json() for n in (1, 2)]
    assert [r["service_request_id"] for r in pages[0] + pages[1]] == everything[:4]
    assert client.get(f"{V2}/requests.json", params={"page_size": 0}).status_code == 400
    assert client.get(f"{V2}/requests.json", params={"page_size": 1001}).status_code == 400


@pytest.mark.parametrize("fields, status, words", [
    ({"api_key": "kunci-palsu"}, 403, "api_key"),
    ({"api_key": None}, 403, "api_key"),
    ({"service_code": None}, 400, "service_code is required"),
    ({"service_code": "parkir"}, 404, "service_code 'parkir' not found"),
    ({"lat": None, "long": None}, 400, "location is required"),
    ({"attribute[wilayah]": None}, 400, "attribute[wilayah] is required"),
    ({"attribute[wilayah]": "99.99"}, 400, "attribute[wilayah] is required"),
    ({"description": "pendek"}, 400, "description"),
    ({"attribute[jenis_kerusakan]": "gempa"}, 400, "jenis_kerusakan"),
    ({"email": "bukan-email"}, 400, "contact.email"),
    ({"jurisdiction_id": "jakarta"}, 404, "jurisdiction_id 'jakarta' not found"),
])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_follow_the_specification(client, api_key, fields, status, words, fmt):
    refused = post(client, api_key, fmt=fmt, **fields)
    assert refused.status_code == status, refused.text
    [problem] = errors_of(refused)
    assert problem["code"] == status and words in problem["description"]


def test_a_revoked_key_is_refused(client, stack):
    store = AccountStore.from_settings(stack)
    name = f"it-{uuid.uuid4().hex[:8]}"
    key = store.add_api_key(name)
    assert post(client, key).status_code == 200
    store.revoke_api_key(name)
    store.close()
    assert post(client, key).status_code == 403
    assert client.get(f"{V2}/requests.json", params={"status": "pending"}).status_code == 400
    assert client.get(f"{V2}/requests.json", params={"start_date": "kemarin"}).status_code == 400
    assert client.get(f"{V2}/requests/BKL-00000-00000.json").status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_every_endpoint_answers_in_both_formats(client, es, stack, api_key, fmt):
    """The six methods, with the specification's root elements in XML and lists/objects in JSON."""
    posted = post(client, api_key, fmt=fmt)
    assert posted.status_code == 200, posted.text
    if fmt == "xml":
        assert posted.headers["content-type"] == "text/xml; charset=utf-8"
        root = ET.fromstring(posted.content)
        assert root.tag == "service_requests"
        request_id = root.findtext("request/service_request_id")
    else:
        request_id = posted.json()[0]["service_request_id"]
    wait_for(lambda: es.get(index=stack.indices.cases, id=request_id)["_source"]["seq"] >= 2, "routing")
    es.indices.refresh(index=stack.indices.cases)
    expected = {
        "services": ("services", "service"),
        "services/jalan-jembatan": ("service_definition", "attributes"),
        "requests": ("service_requests", "request"),
        f"requests/{request_id}": ("service_requests", "request"),
        f"tokens/{request_id}": ("service_requests", "request"),
    }
    for path, (root_tag, child) in expected.items():
        answer = client.get(f"{V2}/{path}.{fmt}", params={"api_key": api_key})  # open: its poster reads it
        assert answer.status_code == 200, (path, answer.text)
        if fmt == "xml":
            root = ET.fromstring(answer.content)
            assert root.tag == root_tag and root.find(child) is not None, path
        else:
            body = answer.json()
            assert (body[child] if isinstance(body, dict) else body[0]), path
    listed = client.get(f"{V2}/requests.{fmt}", params={"service_request_id": request_id, "api_key": api_key})
    assert request_id in listed.text
    for missing in (f"requests/BKL-00000-00000.{fmt}", f"tokens/BKL-00000-00000.{fmt}",
                    f"services/parkir.{fmt}"):
        refused = client.get(f"{V2}/{missing}")
        assert refused.status_code == 404
        assert errors_of(refused)[0]["code"] == 404
