"""The working-time calendar: by example (Bengkulu, Asia/Jakarta) and by property (hypothesis)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import WorkingCalendar

pytestmark = pytest.mark.unit

WIB = ZoneInfo("Asia/Jakarta")  # UTC+7, no daylight saving time
H = timedelta(hours=1)
DAY = timedelta(hours=8)  # one working day, 08:00-16:00
CAL = WorkingCalendar("Asia/Jakarta")
# 24 December 2026 (Thursday) is cuti bersama for Christmas; the library has it only as "government".
CUTI_BERSAMA = date(2026, 12, 24)
CAL_CUTI = WorkingCalendar("Asia/Jakarta", holidays=[CUTI_BERSAMA])


def wib(*args) -> datetime:
    """An instant given in local Bengkulu time, as the UTC datetime the system stores."""
    return datetime(*args, tzinfo=WIB).astimezone(UTC)


def local(instant: datetime) -> datetime:
    assert instant.tzinfo is UTC
    return instant.astimezone(WIB).replace(tzinfo=None)


# -- days ----------------------------------------------------------------------------------------------------


def test_weekends_are_not_working_days():
    assert CAL.is_working_day(date(2026, 11, 27))  # Friday
    assert not CAL.is_working_day(date(2026, 11, 28))  # Saturday
    assert not CAL.is_working_day(date(2026, 11, 29))  # Sunday
    assert CAL.is_working_day(date(2026, 11, 30))  # Monday


@pytest.mark.parametrize("day", [
    date(2026, 1, 1),  # Tahun Baru Masehi, Thursday
    date(2026, 8, 17),  # Hari Kemerdekaan, Monday
    date(2026, 12, 25),  # Hari Raya Natal, Friday
    date(2026, 6, 1),  # Hari Lahir Pancasila, Monday
    date(2026, 5, 27),  # Idul Adha, Wednesday
    date(2027, 1, 1),  # Friday
])
def test_indonesian_public_holidays_are_days_off(day):
    assert day.weekday() < 5
    assert not CAL.is_working_day(day)


def test_cuti_bersama_is_off_only_when_configured_or_asked_for():
    assert CAL.is_working_day(CUTI_BERSAMA)
    assert not CAL_CUTI.is_working_day(CUTI_BERSAMA)
    # The library's own list of cuti bersama (civil servants' "government" category).
    government = WorkingCalendar("Asia/Jakarta", holiday_categories=("public", "government"))
    assert not government.is_working_day(CUTI_BERSAMA)
    assert not government.is_working_day(date(2026, 8, 17))


def test_without_country_holidays_only_configured_days_are_off():
    cal = WorkingCalendar("Asia/Jakarta", country_holidays=None, holidays=[date(2026, 8, 18)])
    assert cal.is_working_day(date(2026, 8, 17))
    assert not cal.is_working_day(date(2026, 8, 18))


def test_holiday_years_load_lazily_beyond_the_preloaded_ones():
    cal = WorkingCalendar("Asia/Jakarta", years=range(2026, 2027))
    assert not cal.is_working_day(date(2026, 8, 17))
    assert not cal.is_working_day(date(2029, 8, 17))  # Friday, a year never asked for up front
    assert not cal.is_working_day(date(2032, 1, 1))  # Thursday


def test_a_six_day_week():
    cal = WorkingCalendar("Asia/Jakarta", working_days=frozenset(range(6)), country_holidays=None)
    assert cal.is_working_day(date(2026, 11, 28))
    assert local(cal.add_working_time(wib(2026, 11, 27, 15), 2 * H)) == datetime(2026, 11, 28, 9)


# -- adding working time -------------------------------------------------------------------------------------


def test_utc_in_utc_out_with_local_hours():
    friday_9_wib = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    end_of_day = CAL.add_working_time(friday_9_wib, 7 * H)
    assert end_of_day == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # 16:00 WIB
    assert end_of_day.tzinfo is UTC
    assert CAL.add_working_time(friday_9_wib, 7 * H + timedelta(minutes=1)) == datetime(2026, 11, 30, 1, 1, tzinfo=UTC)
    # Any aware zone is accepted and the result is in UTC all the same.
    assert CAL.add_working_time(friday_9_wib.astimezone(WIB), H) == datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(("start", "duration", "expected"), [
    # before 08:00: counting begins at 08:00
    (datetime(2026, 11, 26, 6, 0), H, datetime(2026, 11, 26, 9, 0)),
    (datetime(2026, 11, 26, 6, 0), timedelta(0), datetime(2026, 11, 26, 8, 0)),
    # exactly 08:00
    (datetime(2026, 11, 26, 8, 0), timedelta(0), datetime(2026, 11, 26, 8, 0)),
    (datetime(2026, 11, 26, 8, 0), DAY, datetime(2026, 11, 26, 16, 0)),
    (datetime(2026, 11, 26, 8, 0), DAY + timedelta(seconds=1), datetime(2026, 11, 27, 8, 0, 1)),
    # inside working hours
    (datetime(2026, 11, 26, 10, 30, 15), timedelta(0), datetime(2026, 11, 26, 10, 30, 15)),
    (datetime(2026, 11, 26, 10, 30), 2 * H, datetime(2026, 11, 26, 12, 30)),
    # the rest of the day exactly ends at 16:00 that day, not at 08:00 the next working day
    (datetime(2026, 11, 27, 15, 0), H, datetime(2026, 11, 27, 16, 0)),
    (datetime(2026, 11, 27, 15, 0), H + DAY, datetime(2026, 11, 30, 16, 0)),
    # exactly 16:00 is outside: 0 moves to the next working start
    (datetime(2026, 11, 27, 16, 0), timedelta(0), datetime(2026, 11, 30, 8, 0)),
    (datetime(2026, 11, 27, 16, 0), H, datetime(2026, 11, 30, 9, 0)),
    # after 16:00
    (datetime(2026, 11, 27, 20, 0), H, datetime(2026, 11, 30, 9, 0)),
    (datetime(2026, 11, 27, 20, 0), DAY, datetime(2026, 11, 30, 16, 0)),
    # on a Saturday
    (datetime(2026, 11, 28, 11, 0), timedelta(0), datetime(2026, 11, 30, 8, 0)),
    (datetime(2026, 11, 28, 11, 0), H, datetime(2026, 11, 30, 9, 0)),
    # microseconds are kept
    (datetime(2026, 11, 26, 8, 0), timedelta(microseconds=1), datetime(2026, 11, 26, 8, 0, 0, 1)),
])
def test_working_hour_boundaries(start, duration, expected):
    start_utc = start.replace(tzinfo=WIB).astimezone(UTC)
    result = CAL.add_working_time(start_utc, duration)
    assert local(result) == expected
    assert CAL.working_time_between(start_utc, result) == duration


def test_a_public_holiday_is_skipped():
    # Friday 14 August 2026, 15:00 + 2h: Monday 17 August is Independence Day.
    assert local(CAL.add_working_time(wib(2026, 8, 14, 15), 2 * H)) == datetime(2026, 8, 18, 9, 0)
    assert CAL.working_time_between(wib(2026, 8, 14, 15), wib(2026, 8, 18, 9)) == 2 * H


def test_a_configured_cuti_bersama_is_skipped():
    start = wib(2026, 12, 23, 15)  # Wednesday
    assert local(CAL.add_working_time(start, 2 * H)) == datetime(2026, 12, 24, 9, 0)
    # Thursday 24 is cuti bersama, Friday 25 Christmas, then the weekend.
    assert local(CAL_CUTI.add_working_time(start, 2 * H)) == datetime(2026, 12, 28, 9, 0)


def test_a_deadline_across_the_year_end():
    # Wednesday 30 December 2026 15:00. Thursday 31 works; 1 January 2027 (Friday) is New Year's Day;
    # Tuesday 5 January 2027 is Isra Mikraj in the library's table.
    start = wib(2026, 12, 30, 15)
    assert not CAL.is_working_day(date(2027, 1, 1)) and not CAL.is_working_day(date(2027, 1, 5))
    assert local(CAL.add_working_days(start, 3)) == datetime(2027, 1, 6, 16, 0)
    assert local(CAL.add_working_time(start, 3 * DAY)) == datetime(2027, 1, 6, 15, 0)
    assert CAL.working_time_between(start, wib(2027, 1, 6, 15)) == 3 * DAY


def test_long_spans_agree_with_a_day_by_day_count():
    start = wib(2026, 3, 2, 10, 15)
    for days in (60, 250, 1000):
        deadline = CAL.add_working_time(start, days * DAY)
        assert CAL.working_time_between(start, deadline) == days * DAY
        assert reference_between(CAL, start, deadline) == days * DAY


def test_negative_durations_are_refused():
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_time(wib(2026, 11, 26, 9), -H)


# -- working days --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "days", "expected"), [
    (datetime(2026, 11, 27, 10, 0), 1, date(2026, 11, 30)),  # Friday -> Monday
    (datetime(2026, 11, 27, 6, 0), 1, date(2026, 11, 30)),  # the day of arrival never counts
    (datetime(2026, 11, 27, 20, 0), 1, date(2026, 11, 30)),
    (datetime(2026, 11, 28, 10, 0), 1, date(2026, 11, 30)),  # Saturday -> Monday
    (datetime(2026, 8, 16, 10, 0), 1, date(2026, 8, 18)),  # Sunday, then Independence Day Monday
    (datetime(2026, 8, 10, 9, 0), 5, date(2026, 8, 18)),  # 11, 12, 13, 14, (17 off), 18
    (datetime(2026, 11, 26, 10, 0), 0, date(2026, 11, 26)),  # 0: end of the current working period
    (datetime(2026, 11, 26, 16, 0), 0, date(2026, 11, 27)),  # ... or of the next one
    (datetime(2026, 11, 28, 10, 0), 0, date(2026, 11, 30)),
    # January 19 + February 19 + March 21 working days (16 Jan, 17 Feb, 19 Mar off), then 1 April.
    (datetime(2026, 1, 2, 9, 0), 60, date(2026, 4, 1)),
])
def test_add_working_days_ends_at_day_end(start, days, expected):
    result = CAL.add_working_days(start.replace(tzinfo=WIB).astimezone(UTC), days)
    assert local(result) == datetime.combine(expected, time(16, 0))


def test_add_working_days_counts_configured_days_off():
    assert local(CAL.add_working_days(wib(2026, 12, 23, 10), 1)) == datetime(2026, 12, 24, 16)
    assert local(CAL_CUTI.add_working_days(wib(2026, 12, 23, 10), 1)) == datetime(2026, 12, 28, 16)


def test_sixty_working_days_matches_counting_one_day_at_a_time():
    start = wib(2026, 1, 2, 9)
    day, left = date(2026, 1, 2), 60
    while left:
        day += timedelta(days=1)
        left -= CAL.is_working_day(day)
    assert local(CAL.add_working_days(start, 60)).date() == day


@pytest.mark.parametrize("days", [-1, 1.5, True])
def test_bad_day_counts_are_refused(days):
    with pytest.raises(ValueError):
        CAL.add_working_days(wib(2026, 11, 26, 9), days)


# -- between and pauses --------------------------------------------------------------------------------------


def test_between_counts_only_working_hours():
    assert CAL.working_time_between(wib(2026, 11, 27, 15), wib(2026, 11, 30, 8)) == H  # the weekend is free
    assert CAL.working_time_between(wib(2026, 11, 27, 15), wib(2026, 11, 30, 9, 30)) == 2.5 * H
    assert CAL.working_time_between(wib(2026, 11, 28, 0), wib(2026, 11, 29, 23)) == timedelta(0)
    assert CAL.working_time_between(wib(2026, 11, 23, 0), wib(2026, 11, 30, 0)) == 5 * DAY
    assert CAL.working_time_between(wib(2026, 11, 30, 9), wib(2026, 11, 30, 9)) == timedelta(0)
    assert CAL.working_time_between(wib(2026, 11, 30, 10), wib(2026, 11, 30, 9)) == timedelta(0)


def test_a_pause_inside_a_working_day_subtracts_exactly_its_length():
    start, end = wib(2026, 11, 26, 8), wib(2026, 11, 27, 16)
    pauses = [(wib(2026, 11, 26, 10), wib(2026, 11, 26, 11, 30))]
    assert CAL.working_time_between_excluding(start, end, pauses) == 2 * DAY - 1.5 * H


def test_a_pause_over_the_weekend_subtracts_only_its_working_part():
    start, end = wib(2026, 11, 27, 8), wib(2026, 12, 1, 16)
    pauses = [(wib(2026, 11, 27, 15), wib(2026, 11, 30, 9))]
    assert CAL.working_time_between_excluding(start, end, pauses) == 3 * DAY - 2 * H


def test_overlapping_pauses_are_not_subtracted_twice():
    start, end = wib(2026, 11, 26, 8), wib(2026, 11, 26, 16)
    pauses = [(wib(2026, 11, 26, 10), wib(2026, 11, 26, 12)), (wib(2026, 11, 26, 11), wib(2026, 11, 26, 13)),
              (wib(2026, 11, 26, 10, 30), wib(2026, 11, 26, 11))]
    assert CAL.working_time_between_excluding(start, end, pauses) == DAY - 3 * H
    # Touching pauses make one; the same pause twice counts once.
    touching = [(wib(2026, 11, 26, 9), wib(2026, 11, 26, 10))] * 2 + [(wib(2026, 11, 26, 10), wib(2026, 11, 26, 11))]
    assert CAL.working_time_between_excluding(start, end, touching) == DAY - 2 * H


def test_an_open_pause_lasts_until_the_end():
    start, end = wib(2026, 11, 26, 8), wib(2026, 11, 27, 12)
    assert CAL.working_time_between_excluding(start, end, [(wib(2026, 11, 26, 14), None)]) == 6 * H


def test_pauses_outside_the_window_are_clipped():
    start, end = wib(2026, 11, 26, 10), wib(2026, 11, 26, 14)
    pauses = [(wib(2026, 11, 25, 9), wib(2026, 11, 26, 11)), (wib(2026, 11, 26, 13), wib(2026, 11, 27, 9)),
              (wib(2026, 11, 20, 9), wib(2026, 11, 20, 12))]
    assert CAL.working_time_between_excluding(start, end, pauses) == 2 * H
    assert CAL.working_time_between_excluding(start, end, []) == 4 * H
    assert CAL.working_time_between_excluding(end, start, pauses) == timedelta(0)


def test_a_pause_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        CAL.working_time_between_excluding(wib(2026, 11, 26, 8), wib(2026, 11, 26, 16),
                                           [(wib(2026, 11, 26, 12), wib(2026, 11, 26, 11))])


# -- validation ----------------------------------------------------------------------------------------------

NAIVE = datetime(2026, 11, 26, 9, 0)
AWARE = wib(2026, 11, 26, 9)


@pytest.mark.parametrize("call", [
    lambda: CAL.add_working_time(NAIVE, H),
    lambda: CAL.add_working_days(NAIVE, 1),
    lambda: CAL.working_time_between(NAIVE, AWARE),
    lambda: CAL.working_time_between(AWARE, NAIVE),
    lambda: CAL.working_time_between_excluding(AWARE, AWARE + H, [(NAIVE, None)]),
    lambda: CAL.working_time_between_excluding(AWARE, AWARE + H, [(AWARE, NAIVE)]),
    lambda: CAL.working_time_between_excluding(NAIVE, AWARE, []),
])
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="naive"):
        call()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"timezone": "Asia/Bengkulu"}, "time zone"),
    ({"working_days": frozenset()}, "empty"),
    ({"working_days": frozenset({0, 7})}, "weekdays"),
    ({"day_start": time(16), "day_end": time(8)}, "before"),
    ({"day_start": time(8), "day_end": time(8)}, "before"),
    ({"day_start": time(8, tzinfo=UTC)}, "without a zone"),
    ({"holidays": [datetime(2026, 12, 24, 0, 0)]}, "dates"),
    ({"country_holidays": "XX"}, "no country"),
    ({"holiday_categories": ("nope",)}, "nope"),
])
def test_bad_configuration_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WorkingCalendar(**{"timezone": "Asia/Jakarta", **kwargs})


def test_is_working_day_wants_a_date_not_a_datetime():
    with pytest.raises(TypeError):
        CAL.is_working_day(datetime(2026, 8, 17, 9, 0))


def test_other_hours_and_zones():
    # An office in Makassar time (UTC+8) open 07:30-15:30: the same UTC instant is a different local hour.
    cal = WorkingCalendar("Asia/Makassar", day_start=time(7, 30), day_end=time(15, 30))
    assert cal.day_length == DAY
    start = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # 15:00 WITA
    assert cal.add_working_time(start, H) == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # Friday 08:00 WITA


# -- properties ----------------------------------------------------------------------------------------------


def reference_between(cal: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time in [start, end) the slow way: each local day's window clipped to the span."""
    total, day = timedelta(0), local(start).date()
    while day <= local(end).date():
        if cal.is_working_day(day):
            opens = datetime.combine(day, time(8), tzinfo=WIB)
            closes = datetime.combine(day, time(16), tzinfo=WIB)
            total += max(min(closes, end) - max(opens, start), timedelta(0))
        day += timedelta(days=1)
    return total


instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31, 23, 59, 59),
                        timezones=st.just(UTC))
durations = st.one_of(st.integers(0, 40 * 8 * 60).map(lambda m: timedelta(minutes=m)),
                      st.integers(0, 40 * 8 * 3600).map(lambda s: timedelta(seconds=s)),
                      st.sampled_from([timedelta(0), DAY, 5 * DAY, 40 * DAY]))
PROPERTY = settings(max_examples=200, deadline=None)


@PROPERTY
@given(start=instants, duration=durations)
def test_between_undoes_add(start, duration):
    result = CAL_CUTI.add_working_time(start, duration)
    assert result.tzinfo is UTC and result >= start
    assert CAL_CUTI.working_time_between(start, result) == duration


@PROPERTY
@given(start=instants, d1=durations, d2=durations)
def test_add_is_monotonic(start, d1, d2):
    d1, d2 = sorted((d1, d2))
    assert CAL.add_working_time(start, d1) <= CAL.add_working_time(start, d2)


@PROPERTY
@given(times=st.lists(instants, min_size=3, max_size=3))
def test_between_is_additive(times):
    a, b, c = sorted(times)
    assert CAL_CUTI.working_time_between(a, b) + CAL_CUTI.working_time_between(b, c) == \
        CAL_CUTI.working_time_between(a, c)


@PROPERTY
@given(start=instants, duration=durations)
def test_a_positive_add_lands_in_working_hours_or_at_day_end(start, duration):
    result = local(CAL_CUTI.add_working_time(start, duration))
    assert CAL_CUTI.is_working_day(result.date())
    if duration:
        assert time(8) < result.time() <= time(16)
    else:
        assert time(8) <= result.time() < time(16)


@settings(max_examples=100, deadline=None)
@given(start=instants, span=st.integers(0, 90 * 24 * 3600).map(lambda s: timedelta(seconds=s)))
def test_between_matches_the_day_by_day_reference(start, span):
    assert CAL_CUTI.working_time_between(start, start + span) == reference_between(CAL_CUTI, start, start + span)


@settings(max_examples=100, deadline=None)
@given(start=instants, span=st.integers(1, 30 * 24 * 60).map(lambda m: timedelta(minutes=m)),
       pauses=st.lists(st.tuples(st.integers(-3 * 24 * 60, 33 * 24 * 60), st.integers(0, 10 * 24 * 60)), max_size=5))
def test_pauses_take_off_no_more_than_their_union(start, span, pauses):
    end = start + span
    spans = [(start + timedelta(minutes=at), start + timedelta(minutes=at + length)) for at, length in pauses]
    left = CAL.working_time_between_excluding(start, end, spans)
    assert timedelta(0) <= left <= CAL.working_time_between(start, end)
    # Repeating or reordering the pauses changes nothing.
    assert CAL.working_time_between_excluding(start, end, spans[::-1] + spans) == left
    # The same as counting the working time of the gaps between the merged pauses.
    gaps, cursor = timedelta(0), start
    for lo, hi in sorted(spans):
        if lo > cursor:
            gaps += CAL.working_time_between(cursor, min(lo, end))
        cursor = max(cursor, hi)
    gaps += CAL.working_time_between(cursor, end)
    assert left == gaps


def test_skipped_days_name_weekends_holidays_and_the_jurisdictions_own_days_off():
    from domain.calendar import WorkingCalendar

    calendar = WorkingCalendar("Asia/Jakarta", holidays=[date(2026, 8, 20)],
                               holiday_categories=("public", "government"))
    assert calendar.skipped_days(date(2026, 8, 14), date(2026, 8, 21)) == [
        (date(2026, 8, 15), "Sabtu, akhir pekan", "Saturday, weekend"),
        (date(2026, 8, 16), "Minggu, akhir pekan", "Sunday, weekend"),
        (date(2026, 8, 17), "Hari Kemerdekaan Republik Indonesia", "Independence Day"),
        (date(2026, 8, 20), "libur daerah (berkas yurisdiksi)", "day off of the jurisdiction file"),
    ]
    assert calendar.skipped_days(date(2026, 8, 18), date(2026, 8, 19)) == []
