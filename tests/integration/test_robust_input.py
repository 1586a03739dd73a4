"""Input that Schemathesis found the API choking on (500s), on the real stack: each answers a 4xx that
names what is wrong, as the OpenAPI document says."""

from __future__ import annotations

import pytest

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
