"""The queue's search body: the caller's scope is in every query, whatever the view and filters."""

from datetime import UTC, datetime

import pytest

from domain.events import Actor
from search.queue import VIEWS, QueueFilters, in_scope, queue_query, scope_filter

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
OFFICER = Actor(role="officer", id="budi", agency="PUPR-KOTA")
COORDINATOR = Actor(role="coordinator", id="kord")
ADMIN = Actor(role="admin", id="root")


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("filters", [QueueFilters(), QueueFilters("jalan-jembatan", "17.71", "resolved", "*")])
def test_the_scope_is_always_the_first_filter(view, filters):
    body = queue_query(OFFICER, view, filters, NOW)
    assert body["query"]["bool"]["filter"][0] == {"term": {"agency": "PUPR-KOTA"}}


def test_no_scope_matches_nothing():
    assert scope_filter(ADMIN) == {"bool": {"must_not": {"match_all": {}}}}
    assert scope_filter(Actor(role="officer", id="x")) == scope_filter(ADMIN)  # an officer without an agency
    assert scope_filter(COORDINATOR) == {"match_all": {}}
    assert not in_scope(ADMIN, "PUPR-KOTA") and not in_scope(OFFICER, "DINKES") and not in_scope(OFFICER, None)
    assert in_scope(OFFICER, "PUPR-KOTA") and in_scope(COORDINATOR, None)


def test_every_view_is_counted_and_the_chosen_one_lists():
    body = queue_query(OFFICER, "mine", QueueFilters(), NOW, page=3, size=10)
    assert set(body["aggs"]["views"]["filters"]["filters"]) == set(VIEWS)
    assert body["post_filter"] == body["aggs"]["views"]["filters"]["filters"]["mine"]
    assert {"term": {"assignee": "budi"}} in body["post_filter"]["bool"]["filter"]
    assert body["from"] == 20 and body["size"] == 10
    assert body["sort"][0] == {"due_at": {"order": "asc", "missing": "_last"}}


def test_a_state_filter_replaces_the_views_open_statuses():
    body = queue_query(OFFICER, "agency", QueueFilters(state="resolved"), NOW)
    assert {"term": {"status": "resolved"}} in body["query"]["bool"]["filter"]
    assert body["post_filter"] == {"match_all": {}}
    mine = body["aggs"]["views"]["filters"]["filters"]["mine"]
    assert mine == {"bool": {"filter": [{"term": {"assignee": "budi"}}]}}


def test_text_goes_to_a_lenient_query_string():
    body = queue_query(OFFICER, "agency", QueueFilters(text='jalan "rusak'), NOW)
    query = body["query"]["bool"]["must"][0]["bool"]["should"][0]["simple_query_string"]
    assert query["query"] == 'jalan "rusak' and query["lenient"] is True


def test_the_verification_view_keeps_its_status_under_a_state_filter():
    body = queue_query(COORDINATOR, "agency", QueueFilters(state="resolved"), NOW)
    assert body["aggs"]["views"]["filters"]["filters"]["verification"] == {"term": {"status": "received"}}


def test_breached_is_the_callers_agencys_breach_or_past_due():
    officer = queue_query(OFFICER, "breached", QueueFilters(), NOW)["post_filter"]["bool"]["should"]
    assert {"term": {"breached_by": "PUPR-KOTA"}} in officer
    assert {"range": {"due_at": {"lt": NOW.isoformat()}}} in officer
    coordinator = queue_query(COORDINATOR, "breached", QueueFilters(), NOW)["post_filter"]["bool"]["should"]
    assert {"term": {"breached": True}} in coordinator


def test_a_tracking_id_is_found_as_people_type_it():
    must = queue_query(OFFICER, "agency", QueueFilters(text="bkl 7k3m9 q2pxz"), NOW)["query"]["bool"]["must"][0]
    assert {"term": {"case_id": "BKL-7K3M9-Q2PXZ"}} in must["bool"]["should"]
    plain = queue_query(OFFICER, "agency", QueueFilters(text="jalan"), NOW)["query"]["bool"]["must"][0]["bool"]
    assert not any("term" in clause for clause in plain["should"])


def test_words_are_also_matched_by_their_stems():
    should = queue_query(OFFICER, "agency", QueueFilters(text="kebanjiran"), NOW)["query"]["bool"]["must"][0]
    assert {"match": {"text_stems": {"query": "banjir", "operator": "and"}}} in should["bool"]["should"]
