from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from config.jurisdiction_file import load_jurisdiction
from config.settings import DEFAULT_JURISDICTION
from domain import events as ev
from domain.case import SequenceError, Status, apply, replay, submission_event
from domain.complaint import Complaint, ComplaintDetails
from domain.erasure import ERASED
from domain.lifecycle import ConflictingSubmission, decide_submission
from search.documents import case_document, case_from_document, index_action

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
J = load_jurisdiction(DEFAULT_JURISDICTION)


def complaint(**kw):
    base = dict(category="jalan-jembatan", description="Jalan berlubang besar di depan pasar",
                regency="17.71", district="17.71.01")
    return Complaint(**{**base, **kw})


def test_submission_opens_and_routes_the_case():
    submitted = submission_event("BKL-AAAAA-BBBBB", complaint(), T0)
    events = decide_submission(None, submitted, J, T0 + timedelta(seconds=1))
    assert [e.type for e in events] == [ev.COMPLAINT_SUBMITTED, ev.CASE_ROUTED]
    assert [e.seq for e in events] == [1, 2]
    case = replay(events)
    assert case.status is Status.ROUTED
    assert case.agency == "PUPR-KOTA"
    assert [t.status for t in case.timeline] == [Status.RECEIVED, Status.ROUTED]


def test_the_same_submission_again_changes_nothing():
    submitted = submission_event("BKL-AAAAA-BBBBB", complaint(), T0)
    case = replay(decide_submission(None, submitted, J, T0))
    retried = submission_event("BKL-AAAAA-BBBBB", complaint(), T0 + timedelta(minutes=1))
    assert decide_submission(case, retried, J, T0) == []


def test_different_complaint_under_an_existing_id_is_a_conflict():
    case = replay(decide_submission(None, submission_event("BKL-AAAAA-BBBBB", complaint(), T0), J, T0))
    other = submission_event("BKL-AAAAA-BBBBB", complaint(description="Sesuatu yang lain sama sekali"), T0)
    with pytest.raises(ConflictingSubmission):
        decide_submission(case, other, J, T0)


def test_event_ids_are_stable_per_case_and_seq():
    a = submission_event("BKL-AAAAA-BBBBB", complaint(), T0)
    b = submission_event("BKL-AAAAA-BBBBB", complaint(), T0 + timedelta(hours=1))
    assert a.event_id == b.event_id


def test_gaps_and_orphans_are_refused():
    events = decide_submission(None, submission_event("BKL-AAAAA-BBBBB", complaint(), T0), J, T0)
    with pytest.raises(SequenceError):
        apply(None, events[1])
    with pytest.raises(SequenceError):
        apply(apply(None, events[0]), events[0])


def test_replay_rebuilds_the_same_state():
    events = decide_submission(None, submission_event("BKL-AAAAA-BBBBB", complaint(), T0), J, T0)
    assert replay(events) == replay(list(events))


def test_document_round_trip_and_versioned_action():
    case = replay(decide_submission(None, submission_event("BKL-AAAAA-BBBBB", complaint(lat=-3.8, lon=102.26),
                                                           T0), J, T0))
    doc = case_document(case, J)
    assert doc["agency"] == "PUPR-KOTA" and doc["location"] == {"lat": -3.8, "lon": 102.26}
    assert doc["due_at"] is not None and doc["breached"] is False and doc["escalated"] is False
    assert case_from_document(doc) == case
    action = index_action("cases", case, J)
    assert action["version"] == 2 and action["version_type"] == "external" and action["_id"] == case.case_id


@pytest.mark.parametrize(
    "field, value",
    [("description", "pendek"), ("regency", "1771"), ("lat", 91.0), ("district", "17.01.01")],
)
def test_complaint_validation(field, value):
    base = dict(category="jalan-jembatan", description="Jalan berlubang besar di depan pasar",
                regency="17.71", district="17.71.01")
    with pytest.raises(ValidationError):
        ComplaintDetails(**{**base, field: value})  # what every channel's intake checks


def test_a_recorded_complaint_may_hold_an_erased_description():
    """Checked at intake (above); in the log, an erased description is only the mark that it was erased."""
    assert complaint(description=ERASED).description == ERASED
    with pytest.raises(ValidationError):
        complaint(description="")


def test_lat_without_lon_is_refused():
    with pytest.raises(ValidationError, match="lat and lon"):
        complaint(lat=-3.8)


def test_naive_timestamps_are_refused():
    with pytest.raises(ValidationError):
        submission_event("BKL-AAAAA-BBBBB", complaint(), datetime(2026, 1, 1))


def test_deciding_a_submission_again_later_gives_the_very_same_events():
    # A replay after a crash must not re-date the routing (found by the SLA benchmark: 61 s apart).
    submitted = submission_event("BKL-AAAAA-BBBBB", complaint(), T0)
    first = decide_submission(None, submitted, J, T0 + timedelta(seconds=1))
    again = decide_submission(None, submitted, J, T0 + timedelta(seconds=61))
    assert first == again
