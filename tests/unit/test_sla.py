"""SLA clocks derived from a case's events, in Bengkulu's working time (Asia/Jakarta, Mon-Fri 08-16)."""

from datetime import UTC, datetime, timedelta

import pytest

from config.jurisdiction_file import load_jurisdiction
from config.settings import DEFAULT_JURISDICTION
from domain.lifecycle import decide
from tests.unit.test_lifecycle import CITIZEN, COORDINATOR, OFFICER, cmd, opened

pytestmark = pytest.mark.unit

J = load_jurisdiction(DEFAULT_JURISDICTION)
WIB = timedelta(hours=7)


def local(y, m, d, h=0, mi=0):
    """An instant given in Asia/Jakarta wall-clock time (UTC+7), as UTC."""
    return datetime(y, m, d, h, mi, tzinfo=UTC) - WIB


def step(case, events, command, at):
    from domain.case import replay

    events.extend(decide(case, command, J, at))
    return replay(events)


def by_name(case):
    from domain.sla import clocks

    return {c.name: c for c in clocks(case, J)}


def test_clocks_of_a_new_case():
    # opened() submits and routes on Monday 2 November 2026, 08:00 WIB.
    case, _ = opened()
    c = by_name(case)
    assert c["dispatch"].stopped_at == case.routed_at and c["dispatch"].state(case.routed_at) == "met"
    assert c["response"].agency == "PUPR-KOTA" and c["response"].stopped_at is None
    # 5 working days after Monday: the end of the following Monday (16:00 WIB).
    assert c["response"].due_at == local(2026, 11, 9, 16)
    # 14 working days: the end of Friday 20 November.
    assert c["resolution"].due_at == local(2026, 11, 20, 16)


def test_response_stops_at_the_first_action_and_a_transfer_restarts_it_for_the_new_agency():
    case, events = opened()
    t1 = local(2026, 11, 3, 9)
    case = step(case, events, cmd(1, "acknowledge", OFFICER), t1)
    assert by_name(case)["response"].stopped_at == t1
    t2 = local(2026, 11, 4, 10)
    case = step(case, events, cmd(2, "transfer", OFFICER, agency="DPUPR", reason="jalan provinsi"), t2)
    response = by_name(case)["response"]
    assert response.agency == "DPUPR" and response.started_at == t2 and response.stopped_at is None
    assert response.due_at == local(2026, 11, 11, 16)


def test_waiting_on_the_citizen_pauses_the_resolution_clock():
    case, events = opened()
    before = by_name(case)["resolution"].due_at
    case = step(case, events, cmd(1, "request_info", OFFICER, question="Nomor rumah?"), local(2026, 11, 3, 8))
    paused = by_name(case)["resolution"]
    assert paused.paused and paused.due_at is None and paused.state(local(2026, 12, 31)) == "paused"
    # The citizen answers a full working day (8 hours) later: the deadline moves by one working day.
    case = step(case, events, cmd(2, "citizen_reply", CITIZEN, message="Nomor 12"), local(2026, 11, 4, 8))
    resumed = by_name(case)["resolution"]
    assert resumed.paused_for == timedelta(hours=8)
    assert resumed.due_at == local(2026, 11, 23, 16)  # Friday 20 Nov 16:00 + 8 working hours
    assert resumed.due_at > before


def test_resolved_in_time_is_met_and_late_is_breached():
    case, events = opened()
    done = step(case, events, cmd(1, "resolve", OFFICER, resolution="Selesai"), local(2026, 11, 10, 9))
    assert by_name(done)["resolution"].state(local(2027, 1, 1)) == "met"

    case, events = opened()
    late = step(case, events, cmd(1, "resolve", OFFICER, resolution="Selesai"), local(2026, 11, 23, 9))
    assert by_name(late)["resolution"].state(local(2027, 1, 1)) == "breached"
    untouched, _ = opened()
    assert by_name(untouched)["response"].state(local(2026, 11, 9, 15)) == "running"
    assert by_name(untouched)["response"].state(local(2026, 11, 9, 16, 1)) == "breached"


def test_reopening_starts_a_new_resolution_clock():
    case, events = opened()
    case = step(case, events, cmd(1, "resolve", OFFICER, resolution="Selesai"), local(2026, 11, 5, 9))
    case = step(case, events, cmd(2, "reopen", CITIZEN, reason="Belum beres"), local(2026, 11, 6, 9))
    resolution = by_name(case)["resolution"]
    assert resolution.started_at == local(2026, 11, 6, 9) and resolution.stopped_at is None


def test_dispatch_clock_runs_until_a_coordinator_dispatches():
    case, events = opened()
    case = step(case, events, cmd(1, "not_our_authority", OFFICER, reason="wewenang pusat"), local(2026, 11, 3, 9))
    case = step(case, events, cmd(2, "dispatch", COORDINATOR, agency="DPUPR"), local(2026, 11, 4, 9))
    c = by_name(case)
    assert c["response"].agency == "DPUPR" and c["response"].started_at == local(2026, 11, 4, 9)


def test_bengkulu_calendar_skips_holidays_and_cuti_bersama():
    from datetime import date

    from domain.sla import calendar_for

    calendar = calendar_for(J)
    assert not calendar.is_working_day(date(2026, 8, 17))  # Hari Kemerdekaan
    assert not calendar.is_working_day(date(2026, 12, 24))  # cuti bersama Natal
    assert calendar.is_working_day(date(2026, 12, 23))


def test_alarms_fire_once_each_and_not_for_stopped_clocks():
    from domain.case import replay
    from domain.sla import alarms, decide_sla

    case, events = opened()
    assert [a.level for a in alarms(case, J) if a.clock == "response"] == ["warning-50", "warning-75", "breach"]
    # Half-way through the response clock: exactly one warning.
    mid = by_name(case)["response"].started_at + timedelta(days=4)
    fired = decide_sla(case, J, mid)
    assert [(e.type, e.payload["clock"], e.payload["level"]) for e in fired] == [
        ("sla.warning", "response", "warning-50")]
    events.extend(fired)
    case = replay(events)
    assert decide_sla(case, J, mid) == []  # asked again: nothing new
    # Long after the response deadline: the rest of the response alarms, once.
    later = local(2026, 11, 10, 9)
    fired = decide_sla(case, J, later)
    # (The resolution clock, 120 working hours from Monday 08:00, is not half-way until 11 Nov 12:00.)
    assert [(e.payload["clock"], e.payload["level"]) for e in fired] == [("response", "warning-75"),
                                                                          ("response", "breach")]
    assert [e.seq for e in fired] == [case.seq + 1, case.seq + 2]
    events.extend(fired)
    case = replay(events)
    assert not any(e.public for e in case.timeline if e.type.startswith("sla."))

    # Acting on the case stops its response clock: no response alarm is left.
    acted, more = opened()
    acted = step(acted, more, cmd(1, "acknowledge", OFFICER), local(2026, 11, 2, 9))
    assert all(a.clock != "response" for a in alarms(acted, J))
    assert all(e.payload["clock"] != "response" for e in decide_sla(acted, J, local(2026, 12, 30)))


def test_paused_clock_sets_no_alarm():
    from domain.sla import alarms

    case, events = opened()
    case = step(case, events, cmd(1, "request_info", OFFICER, question="Nomor rumah?"), local(2026, 11, 2, 9))
    assert all(a.clock != "resolution" for a in alarms(case, J))


def test_a_resolved_case_closes_by_itself_when_the_reply_window_passes():
    from domain.case import Status, replay
    from domain.sla import decide_sla, reply_deadline

    case, events = opened()
    case = step(case, events, cmd(1, "resolve", OFFICER, resolution="Selesai"), local(2026, 11, 5, 9))
    assert reply_deadline(case, J) == local(2026, 11, 19, 16)  # 10 working days after Thursday 5 Nov
    assert all(e.type != "case.closed" for e in decide_sla(case, J, local(2026, 11, 19, 15)))
    events.extend(decide_sla(case, J, local(2026, 11, 19, 17)))
    case = replay(events)
    assert case.status is Status.CLOSED and case.rating is None
    assert decide_sla(case, J, local(2026, 12, 30)) == []  # closed: nothing fires any more


def test_second_breach_escalates_to_the_coordinators():
    from domain.case import replay
    from domain.sla import decide_sla

    case, events = opened()
    case = step(case, events, cmd(1, "acknowledge", OFFICER), local(2026, 11, 2, 9))
    # Resolution due Friday 20 Nov 16:00; five working days later, Friday 27 Nov 16:00, it is raised.
    events.extend(decide_sla(case, J, local(2026, 11, 27, 15)))
    case = replay(events)
    assert not case.escalated
    assert any(k.startswith("resolution@") and k.endswith("#breach") for k in case.sla_fired)
    events.extend(decide_sla(case, J, local(2026, 11, 27, 17)))
    case = replay(events)
    assert case.escalated and case.timeline[-1].type == "sla.escalated"


def test_the_next_alarm_is_the_earliest_of_all_pending_alarms_through_a_case_s_life():
    """`next_alarm` (the deadline index's entry) computes only each clock's first pending alarm: it must be
    the earliest of `alarms` at every step, as alarms fire, clocks pause, stop, restart and the case closes."""
    from domain.case import replay
    from domain.sla import alarms, decide_sla, next_alarm

    case, events = opened()
    seen = []

    def check(case) -> None:
        expected = min(alarms(case, J), key=lambda a: a.at, default=None)
        assert next_alarm(case, J) == expected
        seen.append(expected.level if expected else None)

    check(case)
    for at in (local(2026, 11, 5, 9), local(2026, 11, 10, 9)):  # warnings, then the response breach
        events.extend(decide_sla(case, J, at))
        case = replay(events)
        check(case)
    for n, (command, at) in enumerate([
            (cmd(1, "acknowledge", OFFICER), local(2026, 11, 10, 10)),
            (cmd(2, "request_info", OFFICER, question="Nomor rumah?"), local(2026, 11, 10, 11)),
            (cmd(3, "citizen_reply", CITIZEN, message="Nomor 12."), local(2026, 11, 11, 9)),
            (cmd(4, "resolve", OFFICER, resolution="Sudah diperbaiki."), local(2026, 11, 12, 9)),
            (cmd(5, "reopen", CITIZEN, reason="Masih rusak."), local(2026, 11, 13, 9)),
    ]):
        case = step(case, events, command, at)
        check(case)
        for later in (at + timedelta(days=3), at + timedelta(days=30)):
            events.extend(decide_sla(case, J, later))
            case = replay(events)
            check(case)
    assert {"warning-50", "breach"} & set(seen)  # the walk saw alarms of several kinds
    assert len(set(seen)) >= 3, seen
