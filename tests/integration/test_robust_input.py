"""Input that Schemathesis found the API choking on (500s), on the real stack: each answers a 4xx that
names what is wrong, as the OpenAPI document says."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.test_lifecycle import Case, headers

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("params, name", [
    ({"group": "regency", "to": "0339-07-15"}, "to"),  # twelve months back from year 339, before any instant
    ({"from": "0001-01-01"}, "from"),
    ({"to": "9999-12-31"}, "to"),  # the day after the last date there is
])
def test_scorecards_dates_out_of_range_answer_422_naming_the_parameter(client, params, name):
    response = client.get("/api/v1/public/scorecards", params=params)
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["query", name]]


@pytest.mark.parametrize("params, name", [
    ({"to": "2000-03-05"}, "to"),  # its default 'from', twelve months back, falls before 2000
    ({"from": "2010-01-01", "to": "2020-06-30"}, "from"),  # more than ten years of months
])
def test_scorecards_periods_too_early_or_too_long_answer_422_naming_the_parameter(client, params, name):
    response = client.get("/api/v1/public/scorecards", params=params)
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["query", name]]


def test_scorecards_take_ten_years_and_the_earliest_day(client):
    assert client.get("/api/v1/public/scorecards", params={"from": "2000-01-01", "to": "2009-12-31"}).status_code == 200


def test_the_scorecards_page_falls_back_to_the_default_period_for_a_date_out_of_range(client):
    page = client.get("/kinerja", params={"group": "regency", "sampai": "0339-07-15"})
    assert page.status_code == 200 and 'id="scorecards"' in page.text


@pytest.mark.parametrize("params, name", [
    ({"from": "0140-09-03T23:49:02+19:13"}, "from"),  # before any case, with an offset Elasticsearch refuses
    ({"to": "9999-12-31T23:59:59-12:00"}, "to"),
    ({"from": "2026-05-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from"),
])
def test_performance_dates_out_of_range_answer_422_naming_the_parameter(client, stack, citizen_case, params, name):
    # citizen_case: Elasticsearch reads the dates only on a shard holding cases
    response = client.get("/api/v1/officer/performance", params=params, headers=headers(stack, "coordinator"))
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["query", name]]


@pytest.mark.parametrize("params", [{"from": "2026-01-01T00:00:00+19:13"}, {"to": "2026-01-01T00:00:00"}])
def test_performance_takes_any_offset_python_reads_and_times_without_one(client, stack, citizen_case, params):
    response = client.get("/api/v1/officer/performance", params=params, headers=headers(stack, "coordinator"))
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def citizen_case(client, es, stack) -> Case:
    return Case(client, es, stack)


@pytest.mark.parametrize("secret", ["kunci-é", "ü" * 22])
def test_a_secret_with_non_ascii_characters_is_a_wrong_secret(client, citizen_case, secret):
    action = client.post(f"/api/v1/complaints/{citizen_case.id}/actions",
                         json={"secret": secret, "type": "citizen_reply", "message": "Masih rusak."})
    assert action.status_code == 403, action.text
    photo = client.get(f"/api/v1/complaints/{citizen_case.id}/photos/0", params={"secret": secret})
    assert photo.status_code == 403, photo.text


def test_a_page_csrf_token_with_non_ascii_characters_is_refused_with_403(stack):
    with httpx.Client(base_url=stack.base_url, timeout=30) as browser:
        assert browser.get("/").status_code == 200  # the session now holds a csrf token
        refused = browser.post("/", data={"csrf": "tóken-palsu", "category": "jalan-jembatan"})
        assert refused.status_code == 403, refused.text


def test_a_submission_that_is_not_utf8_answers_422(client):
    body = '{"category": "jalan-jembatan", "regency": "17.71", "description": "Jalan rusak parah di depan café"}'
    response = client.post("/api/v1/complaints", content=body.encode("latin-1"),
                           headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["body"] and "UTF-8" in detail[0]["msg"]


def test_a_multipart_submission_whose_complaint_is_not_utf8_answers_422(client):
    body = '{"category": "jalan-jembatan", "regency": "17.71", "description": "Jalan rusak parah di depan pasar"}'
    response = client.post("/api/v1/complaints", files={"complaint": (None, body.encode("latin-1") + b"\xff")})
    assert response.status_code == 422, response.text


def test_an_officer_sending_a_citizens_action_gets_a_422_naming_the_field(client, es, stack):
    case = Case(client, es, stack)
    response = case.staff(headers(stack, "coordinator"), expect=422, type="accept", rating=5)
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "type"]]


def documented(client) -> dict[tuple[str, str], set[str]]:
    spec = client.get("/openapi.json").json()
    return {(method.upper(), path): set(op["responses"]) for path, ops in spec["paths"].items()
            for method, op in ops.items()}


@pytest.mark.parametrize("method, path, statuses", [
    ("POST", "/api/v1/complaints", {"202", "400", "409", "411", "413", "422", "429", "503"}),
    ("GET", "/api/v1/complaints/{tracking_id}", {"200", "404"}),
    ("POST", "/api/v1/complaints/{tracking_id}/actions", {"200", "202", "400", "403", "404", "409", "413", "422",
                                                          "503"}),
    ("GET", "/api/v1/officer/queue", {"200", "401", "422"}),
    ("GET", "/api/v1/officer/cases/{case_id}", {"200", "401", "404"}),
    ("GET", "/api/v1/officer/cases/{case_id}/photos/{photo_id}", {"200", "401", "404"}),
    ("GET", "/api/v1/officer/performance", {"200", "401", "422"}),
    ("POST", "/api/v1/officer/cases/{case_id}/actions", {"202", "400", "401", "404", "413", "422", "503"}),
    ("POST", "/api/v1/auth/token", {"200", "400", "401", "413", "422", "429", "503"}),
    ("GET", "/api/v1/public/scorecards", {"200", "422"}),
    ("GET", "/readyz", {"200", "503"}),
    ("GET", "/open311/v2/services.{fmt}", {"200", "404"}),
    ("GET", "/open311/v2/services/{service_code}.{fmt}", {"200", "404"}),
    ("POST", "/open311/v2/requests.{fmt}", {"200", "400", "403", "404", "413", "503"}),
    ("GET", "/open311/v2/requests.{fmt}", {"200", "400", "403", "404"}),
    ("GET", "/open311/v2/requests/{service_request_id}.{fmt}", {"200", "403", "404"}),
    ("GET", "/open311/v2/tokens/{token}.{fmt}", {"200", "403", "404"}),
])
def test_the_openapi_document_lists_the_status_codes_the_api_answers(client, method, path, statuses):
    assert statuses <= documented(client)[method, path]


def test_open311_documents_its_errors_as_json_and_as_xml(client):
    spec = client.get("/openapi.json").json()
    for operation in (op for path, ops in spec["paths"].items() if path.startswith("/open311/") for op in ops.values()):
        assert {"200", "404"} <= set(operation["responses"])
        for status in ("200", "404"):
            assert {"application/json", "text/xml"} <= set(operation["responses"][status]["content"])
