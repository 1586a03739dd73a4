"""Input that Schemathesis found the API choking on (500s), on the real stack: each answers a 4xx that
names what is wrong, as the OpenAPI document says."""

from __future__ import annotations

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
