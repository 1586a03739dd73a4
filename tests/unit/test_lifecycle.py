"""The case state machine, by example and by property (hypothesis)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from config.jurisdiction_file import load_jurisdiction
from config.settings import DEFAULT_JURISDICTION
from domain import events as ev
from domain.case import Status, replay, submission_event
from domain.commands import Command
from domain.complaint import Complaint
from domain.events import Actor
from domain.lifecycle import ALLOWED, UnknownCase, allowed_actions, decide, decide_submission

pytestmark = pytest.mark.unit

J = load_jurisdiction(DEFAULT_JURISDICTION)
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
CASE_ID = "BKL-AAAAA-BBBBB"
OFFICER = Actor(role="officer", id="budi", agency="PUPR-KOTA")
SUPERVISOR = Actor(role="supervisor", id="sari", agency="PUPR-KOTA")
OTHER_OFFICER = Actor(role="officer", id="andi", agency="DINKES")
COORDINATOR = Actor(role="coordinator", id="kord")
CITIZEN = Actor(role="citizen")
command = TypeAdapter(Command).validate_python


def opened():
    complaint = Complaint(category="jalan-jembatan", description="Jalan berlubang besar di depan pasar",
                          regency="17.71", district="17.71.01")
    events = decide_submission(None, submission_event(CASE_ID, complaint, T0), J, T0)
    return replay(events), events


def cmd(n: int, type_: str, actor: Actor, **fields):
    return command({"command_id": f"cmd-{n:06d}", "case_id": CASE_ID, "actor": actor.model_dump(),
                    "issued_at": T0.isoformat(), "type": type_, **fields})


def run(case, events, *commands, now=T0):
    for c in commands:
        new = decide(case, c, J, now)
        for e in new:
            events.append(e)
        case = replay(events)
    return case


def test_resolve_and_rate():
    case, events = opened()
    case = run(case, events, cmd(1, "acknowledge", OFFICER), cmd(2, "reply", OFFICER, message="Akan kami cek."),
               cmd(3, "resolve", OFFICER, resolution="Jalan sudah diperbaiki."),
               cmd(4, "accept", CITIZEN, rating=5, comment="Terima kasih"))
    assert case.status is Status.CLOSED and case.rating == 5 and case.resolution == "Jalan sudah diperbaiki."
    assert case.assignee == "budi" and case.acknowledged_at is not None


def test_request_info_waits_on_the_citizen_until_they_reply():
    case, events = opened()
    case = run(case, events, cmd(1, "request_info", OFFICER, question="Di nomor berapa?"))
    assert case.status is Status.WAITING_ON_CITIZEN
    case = run(case, events, cmd(2, "citizen_reply", CITIZEN, message="Depan nomor 12."))
    assert case.status is Status.IN_PROGRESS
    assert [t.text for t in case.timeline if t.type == ev.CITIZEN_REPLIED] == ["Depan nomor 12."]


def test_reopen_within_the_window_goes_back_to_the_same_agency():
    case, events = opened()
    case = run(case, events, cmd(1, "resolve", OFFICER, resolution="Sudah ditambal."))
    case = run(case, events, cmd(2, "reopen", CITIZEN, reason="Lubangnya muncul lagi"), now=T0 + timedelta(days=3))
    assert case.status is Status.REOPENED and case.agency == "PUPR-KOTA" and case.reopen_count == 1
    case = run(case, events, cmd(3, "resolve", OFFICER, resolution="Diaspal ulang."))
    assert case.status is Status.RESOLVED


def test_reopen_after_the_window_is_refused():
    case, events = opened()
    case = run(case, events, cmd(1, "resolve", OFFICER, resolution="Sudah ditambal."))
    # Resolved Monday 2 Nov 08:00 WIB; 10 working days later is Monday 16 Nov 16:00 WIB.
    case = run(case, events, cmd(2, "reopen", CITIZEN, reason="Lubangnya muncul lagi"), now=T0 + timedelta(days=15))
    assert case.status is Status.RESOLVED
    assert events[-1].type == ev.COMMAND_REJECTED and "reply window" in events[-1].payload["reason"]


def test_transfer_and_not_our_authority_and_dispatch():
    case, events = opened()
    case = run(case, events, cmd(1, "transfer", OFFICER, agency="DPUPR", reason="Jalan provinsi"))
    assert case.status is Status.ROUTED and case.agency == "DPUPR"
    case = run(case, events, cmd(2, "not_our_authority", Actor(role="officer", id="x", agency="DPUPR"),
                                 reason="Jalan nasional, wewenang BPJN"))
    assert case.status is Status.RECEIVED and case.agency is None
    case = run(case, events, cmd(3, "dispatch", COORDINATOR, agency="PUPR-KOTA"))
    assert case.status is Status.ROUTED and case.agency == "PUPR-KOTA"


def test_reject_and_merge_are_for_coordinators():
    case, events = opened()
    case = run(case, events, cmd(1, "merge", OFFICER, into="BKL-CCCCC-DDDDD"))
    assert events[-1].type == ev.COMMAND_REJECTED and "coordinator" in events[-1].payload["reason"]
    case = run(case, events, cmd(2, "merge", COORDINATOR, into="BKL-CCCCC-DDDDD"))
    assert case.status is Status.MERGED and case.merged_into == "BKL-CCCCC-DDDDD"


def test_another_agency_cannot_act_and_a_citizen_cannot_resolve():
    case, events = opened()
    case = run(case, events, cmd(1, "acknowledge", OTHER_OFFICER))
    assert events[-1].payload["reason"] == "the case is not with your agency"
    case = run(case, events, cmd(2, "resolve", CITIZEN, resolution="Selesai sendiri"))
    assert events[-1].type == ev.COMMAND_REJECTED and case.status is Status.ROUTED


def test_command_for_unknown_case():
    with pytest.raises(UnknownCase):
        decide(None, cmd(1, "acknowledge", OFFICER), J, T0)


def test_internal_notes_are_not_public():
    case, events = opened()
    case = run(case, events, cmd(1, "add_note", OFFICER, text="Warga ini sering melapor"))
    note = case.timeline[-1]
    assert note.type == ev.CASE_NOTE_ADDED and not note.public


# ---- properties ------------------------------------------------------------------------------------

ACTORS = st.sampled_from([OFFICER, SUPERVISOR, OTHER_OFFICER, COORDINATOR, CITIZEN,
                          Actor(role="officer", id="dede", agency="DPUPR")])
FIELDS = {
    "acknowledge": st.just({}),
    "reply": st.builds(lambda m: {"message": m}, st.sampled_from(["Baik", "Sedang dicek"])),
    "request_info": st.just({"question": "Lokasi tepatnya?"}),
    "add_note": st.just({"text": "catatan"}),
    "transfer": st.builds(lambda a: {"agency": a, "reason": "bukan wilayah kami"},
                          st.sampled_from(["DPUPR", "PUPR-KOTA", "DINKES", "NOPE"])),
    "not_our_authority": st.just({"reason": "wewenang pusat"}),
    "resolve": st.just({"resolution": "sudah diperbaiki"}),
    "reassign": st.sampled_from([{"assignee": "budi"}, {"assignee": "rina"}]),
    "citizen_reply": st.just({"message": "ini jawabannya"}),
    "accept": st.builds(lambda r: {"rating": r}, st.integers(1, 5)),
    "reopen": st.just({"reason": "belum beres"}),
    "dispatch": st.sampled_from([{"agency": "DPUPR"}, {"agency": "PUPR-KOTA"}]),
    "reject": st.just({"reason": "bukan pengaduan", "refer_to": "Polda Bengkulu"}),
    "merge": st.sampled_from([{"into": "BKL-CCCCC-DDDDD"}, {"into": CASE_ID}]),
}
STEP = st.tuples(st.sampled_from(sorted(FIELDS)), ACTORS, st.integers(0, 15), st.data())
_MUTABLE = {"seq", "updated_at", "timeline", "command_ids"}


def invariants(case):
    assert case.seq == len(case.timeline) and [t.seq for t in case.timeline] == list(range(1, case.seq + 1))
    if case.status in (Status.ROUTED, Status.IN_PROGRESS, Status.WAITING_ON_CITIZEN, Status.RESOLVED,
                       Status.REOPENED):
        assert case.agency is not None and J.agency(case.agency) is not None
    if case.status is Status.RESOLVED:
        assert case.resolution and case.resolved_at is not None
    if case.status is Status.CLOSED:
        assert 1 <= case.rating <= 5
    if case.status is Status.MERGED:
        assert case.merged_into and case.merged_into != case.case_id
    assert len(set(case.command_ids)) == len(case.command_ids)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, min_size=1, max_size=25))
def test_random_command_sequences_keep_the_case_valid(steps):
    case, events = opened()
    now = T0
    for n, (kind, actor, days, data) in enumerate(steps):
        now = now + timedelta(days=days)
        c = cmd(n, kind, actor, **data.draw(FIELDS[kind]))
        before = case
        new = decide(case, c, J, now)
        assert len(new) == 1
        events.extend(new)
        case = replay(events)
        invariants(case)
        if new[0].type == ev.COMMAND_REJECTED:
            # A refused command changes nothing but the log's position and the set of seen commands.
            assert case.model_dump(exclude=_MUTABLE) == before.model_dump(exclude=_MUTABLE)
        else:
            assert before.status in ALLOWED[kind]
        # The same command again changes nothing at all.
        assert decide(case, c, J, now + timedelta(seconds=1)) == []
    # Replay of the produced events rebuilds the same state, event by event or all at once.
    assert replay(list(events)) == case


def test_allowed_actions_follow_role_agency_and_status():
    case, events = opened()  # routed to PUPR-KOTA
    assert allowed_actions(case, OFFICER) == ["acknowledge", "reply", "request_info", "add_note", "transfer",
                                              "not_our_authority", "resolve", "make_confidential"]
    assert "reassign" in allowed_actions(case, SUPERVISOR)
    assert allowed_actions(case, OTHER_OFFICER) == []  # another agency's case: nothing
    assert allowed_actions(case, Actor(role="admin", id="root")) == []
    assert set(allowed_actions(case, COORDINATOR)) >= {"reject", "merge", "reassign", "resolve"}
    assert "dispatch" not in allowed_actions(case, COORDINATOR)  # only a received case is dispatched
    case = run(case, events, cmd(1, "resolve", OFFICER, resolution="Sudah ditambal."))
    assert allowed_actions(case, OFFICER) == ["add_note", "make_confidential"]
    case = run(case, events, cmd(2, "make_confidential", OFFICER, reason="Permintaan pelapor"))
    assert case.complaint.confidential and allowed_actions(case, OFFICER) == ["add_note"]


@given(st.lists(st.sampled_from(sorted(ALLOWED)), max_size=6), st.sampled_from([OFFICER, SUPERVISOR, OTHER_OFFICER,
                                                                                 COORDINATOR]))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_an_offered_action_is_never_refused_for_role_or_status(kinds, actor):
    """What the workspace offers, the case agent accepts (unless its own fields are wrong)."""
    case, events = opened()
    fields = {"reply": {"message": "Pesan"}, "request_info": {"question": "Tanya"}, "add_note": {"text": "N"},
              "transfer": {"agency": "DINKES", "reason": "Bukan jalan"}, "not_our_authority": {"reason": "Bukan kami"},
              "resolve": {"resolution": "Selesai"}, "reassign": {"assignee": "budi"}, "dispatch": {"agency": "DPUPR"},
              "reject": {"reason": "Bukan wewenang"}, "merge": {"into": "BKL-ZZZZZ-ZZZZZ"},
              "make_confidential": {"reason": "Permintaan pelapor"}}
    for n, kind in enumerate(kinds):
        offered = allowed_actions(case, actor)
        if kind not in offered or kind in ("accept", "reopen", "citizen_reply"):
            continue
        before = len(events)
        given = dict(fields.get(kind, {}))
        if kind == "transfer":  # to an agency other than the one holding it
            given["agency"] = "DINKES" if case.agency != "DINKES" else "DPUPR"
        case = run(case, events, cmd(n, kind, actor, **given))
        assert events[before].type != ev.COMMAND_REJECTED, (kind, events[before].payload)


def test_photos_are_published_one_by_one_and_a_confidential_case_hides_them_all():
    photo = "ab" * 16
    complaint = Complaint(category="jalan-jembatan", description="Jalan berlubang besar di depan pasar",
                          regency="17.71", district="17.71.01", photos=(photo,))
    events = decide_submission(None, submission_event(CASE_ID, complaint, T0), J, T0)
    case = replay(events)
    assert "publish_photo" in allowed_actions(case, OFFICER)
    case = run(case, events, cmd(1, "publish_photo", OFFICER, photo_id="cd" * 16))
    assert events[-1].type == ev.COMMAND_REJECTED and "no such photo" in events[-1].payload["reason"]
    case = run(case, events, cmd(2, "publish_photo", OFFICER, photo_id=photo))
    assert case.public_photos == (photo,) and "publish_photo" not in allowed_actions(case, OFFICER)
    case = run(case, events, cmd(3, "make_confidential", OFFICER, reason="Foto memperlihatkan rumah pelapor"))
    assert case.complaint.confidential and case.public_photos == ()
    assert [t.public for t in case.timeline if t.type == ev.CASE_MADE_CONFIDENTIAL] == [False]
