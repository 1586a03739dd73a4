"""SLA clocks of a case, derived from its timeline in working time.

Three clocks, each against whoever holds the case at the time (SP4N-LAPOR!'s stages):

- ``dispatch``: from submission until the case is first sent to an agency (or rejected or merged);
- ``response``: from the latest sending to an agency (a transfer or a new dispatch starts it again, for
  the new owner) until that agency first acts on it (acknowledges, replies, asks, declines, resolves);
- ``resolution``: from the first sending to an agency (or a reopening) until resolved; it pauses while
  the case waits on the citizen, and never runs past ``max_calendar_days`` from its start.

Everything here follows from the events alone, so the same log always gives the same deadlines.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain import events as ev
from domain.calendar import WorkingCalendar
from domain.case import Case, Status
from domain.events import Actor, Event
from domain.jurisdiction import ClockPolicy, Jurisdiction

ClockName = Literal["dispatch", "response", "resolution"]
AlarmName = Literal["dispatch", "response", "resolution", "reply_window"]
_FIRST_ACTIONS = frozenset({ev.CASE_ACKNOWLEDGED, ev.CASE_REPLIED, ev.CASE_INFO_REQUESTED, ev.CASE_RETURNED,
                            ev.CASE_RESOLVED, ev.CASE_REJECTED, ev.CASE_MERGED})
_ENDS = frozenset({ev.CASE_REJECTED, ev.CASE_MERGED, ev.CASE_CLOSED})


class Clock(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: ClockName
    agency: str | None  # who the clock runs against; None for dispatch (the coordinators)
    started_at: AwareDatetime
    stopped_at: AwareDatetime | None = None
    due_at: AwareDatetime | None = None  # None while paused: it moves on when the clock resumes
    paused: bool = False
    paused_for: timedelta = timedelta(0)  # working time spent waiting on the citizen, not counted

    def state(self, now: datetime) -> Literal["running", "paused", "met", "breached"]:
        if self.stopped_at is not None:
            return "met" if self.due_at is None or self.stopped_at <= self.due_at else "breached"
        if self.paused:
            return "paused"
        return "breached" if self.due_at is not None and now > self.due_at else "running"


_calendars: dict[int, tuple[Jurisdiction, WorkingCalendar]] = {}


def calendar_for(jurisdiction: Jurisdiction) -> WorkingCalendar:
    """One calendar per jurisdiction object (its holiday cache is worth keeping)."""
    known = _calendars.get(id(jurisdiction))
    if known is None or known[0] is not jurisdiction:
        sla = jurisdiction.sla
        # "government" adds the cuti bersama the library knows (civil servants' collective leave, when
        # agencies are closed); the jurisdiction's own extra days off come on top.
        known = (jurisdiction, WorkingCalendar(jurisdiction.timezone, working_days=frozenset(sla.working_days),
                                               day_start=sla.day_start, day_end=sla.day_end,
                                               holidays=sla.extra_days_off,
                                               holiday_categories=("public", "government")))
        _calendars[id(jurisdiction)] = known
    return known[1]


def reply_deadline(case: Case, jurisdiction: Jurisdiction) -> datetime | None:
    """Until when a resolved case may be reopened; it closes by itself then."""
    if case.resolved_at is None:
        return None
    return _due(calendar_for(jurisdiction), jurisdiction.sla.reply_window, case.resolved_at, timedelta(0))


def deadline(jurisdiction: Jurisdiction, start: datetime, policy: ClockPolicy) -> datetime:
    """When a clock of `policy` started at `start` falls due (no pause): what `aduan sla deadline` prints."""
    return _due(calendar_for(jurisdiction), policy, start, timedelta(0))


def _due(calendar: WorkingCalendar, policy: ClockPolicy, start: datetime, paused_for: timedelta) -> datetime:
    if policy.seconds is not None:  # plain time, for tests and drills: pauses count as elapsed time too
        due = start + timedelta(seconds=policy.seconds) + paused_for
    else:
        due = calendar.add_working_days(start, policy.working_days)
        if paused_for > timedelta(0):
            due = calendar.add_working_time(due, paused_for)
    if policy.max_calendar_days is not None:
        due = min(due, start + timedelta(days=policy.max_calendar_days))
    return due


# The clocks of the last few cases asked about: building a case's documents asks for them several times
# (next due, metrics, the public record's deadlines). Cases and clocks are frozen, so a case object asked
# about again has the same clocks; compared by identity, never by value.
_RECENT: deque[tuple[Case, Jurisdiction, tuple[Clock, ...]]] = deque(maxlen=16)


def clocks(case: Case, jurisdiction: Jurisdiction) -> list[Clock]:
    """The case's current clock of each stage that has started."""
    for known, of, result in tuple(_RECENT):
        if known is case and of is jurisdiction:
            return list(result)
    result = _clocks(case, jurisdiction)
    _RECENT.append((case, jurisdiction, tuple(result)))
    return result


def _clocks(case: Case, jurisdiction: Jurisdiction) -> list[Clock]:
    calendar, sla, category = calendar_for(jurisdiction), jurisdiction.sla, case.complaint.category
    timeline = case.timeline
    result: list[Clock] = []

    # Dispatch: submission until first routed (or an end).
    stop = next((t.occurred_at for t in timeline if t.type == ev.CASE_ROUTED or t.type in _ENDS), None)
    result.append(Clock(name="dispatch", agency=None, started_at=case.submitted_at, stopped_at=stop,
                        due_at=_due(calendar, sla.clock("dispatch", category), case.submitted_at, timedelta(0))))

    routed = [i for i, t in enumerate(timeline) if t.type == ev.CASE_ROUTED]
    if not routed:
        return result

    # Response: the latest routing until the holder's first action.
    last = routed[-1]
    start = timeline[last].occurred_at
    stop = next((t.occurred_at for t in timeline[last + 1:] if t.type in _FIRST_ACTIONS or t.type in _ENDS), None)
    result.append(Clock(name="response", agency=timeline[last].agency, started_at=start, stopped_at=stop,
                        due_at=_due(calendar, sla.clock("response", category), start, timedelta(0))))

    # Resolution: first routing (or the latest reopening) until resolved, paused while waiting on the citizen.
    reopened = [i for i, t in enumerate(timeline) if t.type == ev.CASE_REOPENED]
    first = max(routed[0], reopened[-1] if reopened else -1)
    start = timeline[first].occurred_at
    paused_for, paused_since, stop = timedelta(0), None, None
    policy = sla.clock("resolution", category)
    for t in timeline[first + 1:]:
        if t.status is Status.WAITING_ON_CITIZEN and paused_since is None:
            paused_since = t.occurred_at
        elif t.status is not Status.WAITING_ON_CITIZEN and paused_since is not None:
            paused_for += (t.occurred_at - paused_since if policy.seconds is not None
                           else calendar.working_time_between(paused_since, t.occurred_at))
            paused_since = None
        if t.type == ev.CASE_RESOLVED or t.type in _ENDS:
            stop = t.occurred_at
            break
    result.append(Clock(name="resolution", agency=case.agency or timeline[first].agency, started_at=start,
                        stopped_at=stop,
                        paused=paused_since is not None and stop is None, paused_for=paused_for,
                        due_at=None if paused_since is not None and stop is None
                        else _due(calendar, policy, start, paused_for)))
    return result


def next_due(case: Case, jurisdiction: Jurisdiction) -> datetime | None:
    """The nearest deadline among the clocks still running: what an officer's queue sorts by."""
    running = [c.due_at for c in clocks(case, jurisdiction) if c.stopped_at is None and c.due_at is not None]
    return min(running, default=None)


class Alarm(BaseModel):
    """A moment a clock must be looked at: a warning share, or its deadline."""

    model_config = ConfigDict(frozen=True)

    key: str  # clock, its start and the level: one event per key, ever
    clock: AlarmName
    level: str  # "warning-50", "warning-75", ..., "breach", "escalate" (second breach) or "close"
    at: AwareDatetime
    due_at: AwareDatetime
    agency: str | None


def alarms(case: Case, jurisdiction: Jurisdiction) -> list[Alarm]:
    """The alarms of the case's running clocks that have not fired yet, earliest first."""
    return sorted(_pending(case, jurisdiction, first_only=False), key=lambda a: a.at)


def next_alarm(case: Case, jurisdiction: Jurisdiction) -> Alarm | None:
    """The earliest of `alarms(case, jurisdiction)`, or None; computes only each clock's first pending
    alarm (a clock's alarms come in order: warnings by share, the breach at its due time, the escalation
    after it)."""
    return min(_pending(case, jurisdiction, first_only=True), key=lambda a: a.at, default=None)


def _pending(case: Case, jurisdiction: Jurisdiction, first_only: bool) -> list[Alarm]:
    calendar, sla = calendar_for(jurisdiction), jurisdiction.sla
    found = []
    for clock in clocks(case, jurisdiction):
        if clock.stopped_at is not None or clock.due_at is None:
            continue
        elastic = sla.clock(clock.name, case.complaint.category).seconds is not None
        started = clock.started_at
        span = None

        def warning(share: float, clock: Clock = clock, elastic: bool = elastic, started: datetime = started):
            nonlocal span
            if span is None:
                span = clock.due_at - started if elastic else calendar.working_time_between(started, clock.due_at)
            return started + span * share if elastic else calendar.add_working_time(started, span * share)

        moments = [(f"warning-{round(share * 100)}", lambda share=share, w=warning: w(share))
                   for share in sorted(sla.warn_at)]
        moments.append(("breach", lambda clock=clock: clock.due_at))
        if clock.name == "resolution" and sla.escalate_after is not None:
            moments.append(("escalate", lambda clock=clock: _due(calendar, sla.escalate_after, clock.due_at,
                                                                  timedelta(0))))
        for level, at in moments:
            key = f"{clock.name}@{started.isoformat()}#{level}"
            if key not in case.sla_fired:
                found.append(Alarm(key=key, clock=clock.name, level=level, at=at(), due_at=clock.due_at,
                                   agency=clock.agency))
                if first_only:
                    break
    if case.status is Status.RESOLVED:
        closes = reply_deadline(case, jurisdiction)
        key = f"reply_window@{case.resolved_at.isoformat()}#close"
        if key not in case.sla_fired:
            found.append(Alarm(key=key, clock="reply_window", level="close", at=closes, due_at=closes,
                               agency=case.agency))
    return found


SLA_ACTOR = Actor(role="system", id="sla")


def decide_sla(case: Case, jurisdiction: Jurisdiction, now: datetime) -> list[Event]:
    """The alarms due by `now` that the case has not recorded yet, as events. Whatever the timer sent
    (late, twice, after a restart), this re-check is what decides: a stopped or moved clock fires nothing."""
    new, seq, at = [], case.seq, max(now, case.updated_at)
    for alarm in alarms(case, jurisdiction):
        if alarm.at > now:
            break
        seq += 1
        kind = _EVENT_OF_LEVEL.get(alarm.level, ev.SLA_WARNING)
        new.append(ev.new_event(case.case_id, seq, kind, at, SLA_ACTOR, alarm=alarm.key, clock=alarm.clock,
                                level=alarm.level, due_at=alarm.due_at.isoformat(), agency=alarm.agency))
        if kind == ev.CASE_CLOSED:
            break  # a closed case has no clocks left
    return new


_EVENT_OF_LEVEL = {"breach": ev.SLA_BREACHED, "escalate": ev.SLA_ESCALATED, "close": ev.CASE_CLOSED}


def case_metrics(case: Case, jurisdiction: Jurisdiction) -> dict[str, int | None]:
    """What a case adds to its agency's and officer's performance record: working seconds to the first
    response and to resolution, whether each clock was met (1/0, None while running), breaches,
    reopening, rating. Numbers, so the index can sum, average and take percentiles of them."""
    by = {c.name: c for c in clocks(case, jurisdiction)}
    calendar = calendar_for(jurisdiction)

    def met(name: str) -> int | None:
        clock = by.get(name)
        return None if clock is None or clock.stopped_at is None else int(clock.state(clock.stopped_at) == "met")

    def working_s(name: str) -> int | None:
        clock = by.get(name)
        if clock is None or clock.stopped_at is None:
            return None
        spent = calendar.working_time_between(clock.started_at, clock.stopped_at) - clock.paused_for
        return max(0, int(spent.total_seconds()))

    resolved = case.resolved_at is not None or any(t.type == ev.CASE_RESOLVED for t in case.timeline)
    return {
        "handled": int(resolved),
        "first_response_s": working_s("response"),
        "resolution_s": working_s("resolution") if resolved else None,
        "dispatch_met": met("dispatch"),
        "response_met": met("response"),
        "resolution_met": met("resolution") if resolved else None,
        "breaches": sum(1 for t in case.timeline if t.type == ev.SLA_BREACHED),
        "reopened": int(case.reopen_count > 0),
        "rating": case.rating,
    }
