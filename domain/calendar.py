"""Working time: the hours an agency's office is open, for SLA clocks and "within N working days" deadlines.

A `WorkingCalendar` knows one jurisdiction's time zone, its working days and hours, and its days off:
the country's public holidays (from the `holidays` library) plus the extra days configured for the
jurisdiction, such as the cuti bersama the SKB 3 Menteri sets each year.

Instants come in and go out as aware datetimes (stored in UTC everywhere); local time is only used
inside, to decide which hours count. All arithmetic is on `timedelta`, so it is exact to the
microsecond, and long spans are counted by whole weeks and by holiday look-ups, never minute by minute.

The rules at the edges, which every method follows:

* Working time is counted inside [day_start, day_end) local time, on working days that are not
  days off. Time before day_start, from day_end on, on other weekdays and on days off counts zero.
* ``add_working_time(t, d)`` returns the earliest instant at which ``d`` of working time has passed
  since ``t``. So a positive ``d`` that uses up exactly the rest of a day lands on that day's
  day_end, not on day_start of the next working day (both are the same point in working time; the
  earlier one is the honest deadline). ``add_working_time(t, 0)`` is ``t`` itself when ``t`` is in
  working hours, else the start of the next working period (day_end itself is outside: [8, 16)).
  Either way ``working_time_between(t, add_working_time(t, d)) == d``.
* ``add_working_days(t, n)`` ("diselesaikan dalam N hari kerja"): the deadline is day_end of the
  n-th working day after the local day of ``t``. The day the complaint arrives never counts, at
  whatever hour it arrives, and a complaint on a Saturday or a holiday is treated the same way: the
  count starts with the next working day (Saturday + 1 = Monday's day_end, the same as Friday + 1).
  ``n == 0`` means the end of the working period ``t`` is in, or of the next one if ``t`` is outside.

Counting is on the local wall clock: a working day always holds ``day_end - day_start`` of working
time. Asia/Jakarta has no daylight saving time, so this is plain elapsed time there; in a zone whose
clock changes inside working hours, the hour skipped or repeated would be counted as on the clock.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

_ZERO = timedelta(0)
_WEEK = timedelta(weeks=1)
_DAY = timedelta(days=1)


class WorkingCalendar:
    """One jurisdiction's working days and hours. Immutable once built, except for its holiday cache."""

    __slots__ = ("_categories", "_country", "_day_end", "_day_start", "_extra", "_length", "_off", "_per_week",
                 "_timezone", "_working_days", "_zone")

    def __init__(self, timezone: str, working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4}),
                 day_start: time = time(8, 0), day_end: time = time(16, 0),
                 holidays: Iterable[date] = (), country_holidays: str | None = "ID",
                 years: range | None = None, *, holiday_categories: Iterable[str] = ("public",)) -> None:
        """
        timezone: IANA zone of the jurisdiction (Bengkulu: Asia/Jakarta).
        working_days: weekdays that are worked, Monday = 0.
        day_start, day_end: local office hours; working time is [day_start, day_end).
        holidays: extra days off on top of the country's, e.g. the year's cuti bersama.
        country_holidays: ISO code whose public holidays the `holidays` library supplies; None for none.
        years: years of holidays to load now; any other year is loaded the first time it is needed.
        holiday_categories: which of the library's lists count as days off. "public" is the national
            holidays; for Indonesia the library also has "government", the cuti bersama for civil
            servants as decided so far (2002 to the latest SKB it knows).
        """
        try:
            self._zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"unknown time zone {timezone!r}") from exc
        self._timezone = timezone
        days = frozenset(working_days)
        if not days:
            raise ValueError("working_days is empty: no time would ever count")
        if not all(isinstance(d, int) and 0 <= d <= 6 for d in days):
            raise ValueError(f"working_days must be weekdays 0 (Monday) to 6 (Sunday), got {sorted(days)}")
        for name, value in (("day_start", day_start), ("day_end", day_end)):
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValueError(f"{name} must be a local time without a zone, got {value!r}")
        if not day_start < day_end:
            raise ValueError(f"day_start {day_start} must be before day_end {day_end}")
        self._working_days = days
        self._per_week = len(days)
        self._day_start = day_start
        self._day_end = day_end
        self._length = datetime.combine(date.min, day_end) - datetime.combine(date.min, day_start)

        self._extra: dict[int, set[date]] = {}
        for day in holidays:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"holidays must be dates, got {day!r}")
            self._extra.setdefault(day.year, set()).add(day)

        self._country = country_holidays
        self._categories = tuple(holiday_categories)
        if country_holidays is not None:
            # Build an empty set now so that a bad country code or category stops start-up, not a deadline.
            try:
                holidays_lib.country_holidays(country_holidays, years=(), categories=self._categories)
            except NotImplementedError as exc:
                raise ValueError(f"the holidays library has no country {country_holidays!r}") from exc
        # Per year, the days off that fall on a working weekday, sorted: only those change a count.
        self._off: dict[int, tuple[tuple[date, ...], frozenset[date]]] = {}
        for year in years or ():
            self._year(year)

    def __repr__(self) -> str:
        days = "".join(str(d) for d in sorted(self._working_days))
        return (f"WorkingCalendar({self._timezone!r}, days={days}, {self._day_start:%H:%M}-{self._day_end:%H:%M}, "
                f"country={self._country!r})")

    @property
    def timezone(self) -> str:
        return self._timezone

    @property
    def day_length(self) -> timedelta:
        """The working time in one full working day (8 hours by default)."""
        return self._length

    # -- days ---------------------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        if isinstance(day, datetime) or not isinstance(day, date):
            # A datetime never equals the date it falls on, so it would silently miss every holiday.
            raise TypeError(f"is_working_day takes a date, got {day!r}")
        return day.weekday() in self._working_days and day not in self._year(day.year)[1]

    def _year(self, year: int) -> tuple[tuple[date, ...], frozenset[date]]:
        cached = self._off.get(year)
        if cached is None:
            days = set(self._extra.get(year, ()))
            if self._country is not None:
                # Neighbouring years too, in case a holiday of one is observed in the next.
                lib = holidays_lib.country_holidays(self._country, categories=self._categories,
                                                    years=range(max(year - 1, 1), min(year + 1, 9999) + 1))
                days.update(d for d in lib if d.year == year)
            off = tuple(sorted(d for d in days if d.weekday() in self._working_days))
            cached = self._off[year] = (off, frozenset(off))
        return cached

    def skipped_days(self, first: date, last: date) -> list[tuple[date, str, str]]:
        """Each day in [first, last] that is not a working day, with why, in Indonesian and in English: the
        weekend, a public holiday or a cuti bersama by its name (the `holidays` library's), or a day off of the
        jurisdiction's own. For people (`aduan sla deadline`): the counting above never needs the names."""
        named: dict[date, tuple[str, str]] = {}
        if self._country is not None:
            years = range(first.year, last.year + 1)
            local, english = (holidays_lib.country_holidays(self._country, categories=self._categories, years=years,
                                                            language=language) for language in ("id", "en_US"))
            named = {d: (local[d], english.get(d, local[d])) for d in local}
        weekdays = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
        out = []
        day = first
        while day <= last:
            if not self.is_working_day(day):
                if day.weekday() not in self._working_days:
                    why = (f"{weekdays[day.weekday()]}, akhir pekan", f"{day:%A}, weekend")
                    if day in named:
                        why = (f"{why[0]}; {named[day][0]}", f"{why[1]}; {named[day][1]}")
                elif day in named:
                    why = named[day]
                else:
                    why = ("libur daerah (berkas yurisdiksi)", "day off of the jurisdiction file")
                out.append((day, *why))
            day += _DAY
        return out

    def _days_off(self, first: date, last: date) -> int:
        """How many days off fall on a working weekday in [first, last]."""
        count = 0
        for year in range(first.year, last.year + 1):
            off = self._year(year)[0]
            count += bisect_right(off, last) - bisect_left(off, first)
        return count

    def _working_days_in(self, first: date, last: date) -> int:
        """How many working days there are in [first, last] (0 if last < first)."""
        if last < first:
            return 0
        weeks, rest = divmod((last - first).days + 1, 7)
        weekday = first.weekday()
        partial = sum(1 for i in range(rest) if (weekday + i) % 7 in self._working_days)
        return weeks * self._per_week + partial - self._days_off(first, last)

    def _nth_working_day_after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n >= 1), not counting `day` itself."""
        remaining = n
        while remaining > 0:
            # Jump whole weeks while more than a week's worth is left; each week holds _per_week working
            # weekdays less its days off. Keeping at least one day back means the walk below always
            # ends on a working day rather than at the end of a jump.
            weeks = (remaining - 1) // self._per_week
            if weeks:
                end = day + weeks * _WEEK
                remaining -= weeks * self._per_week - self._days_off(day + _DAY, end)
                day = end
                continue
            day += _DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    # -- instants -----------------------------------------------------------------------------------------

    def _local(self, instant: datetime, name: str = "start") -> datetime:
        """The local wall-clock time of an aware instant, as a naive datetime."""
        if not isinstance(instant, datetime):
            raise ValueError(f"{name} must be a datetime, got {instant!r}")
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError(f"{name} is a naive datetime; give an aware one (UTC)")
        return instant.astimezone(self._zone).replace(tzinfo=None)

    def _instant(self, wall: datetime) -> datetime:
        return wall.replace(tzinfo=self._zone).astimezone(UTC)

    def _opens(self, day: date) -> datetime:
        return datetime.combine(day, self._day_start)

    def _closes(self, day: date) -> datetime:
        return datetime.combine(day, self._day_end)

    def _worked(self, wall: datetime) -> timedelta:
        """Working time from the start of wall's own day up to wall."""
        day = wall.date()
        if not self.is_working_day(day):
            return _ZERO
        return min(max(wall - self._opens(day), _ZERO), self._length)

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant at which `duration` of working time has passed since `start` (UTC)."""
        wall = self._local(start)
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        day = wall.date()
        if self.is_working_day(day) and wall < self._closes(day):
            if duration == _ZERO and wall >= self._opens(day):
                return start.astimezone(UTC)
            begin = max(wall, self._opens(day))
            left_today = self._closes(day) - begin
            if duration <= left_today:
                return self._instant(begin + duration)
            duration -= left_today
        if duration == _ZERO:
            return self._instant(self._opens(self._nth_working_day_after(day, 1)))
        # What is left fills whole days after `day`, then part of one more; a remainder of zero ends
        # at day_end of the last whole day (the earliest instant, see the module's rules).
        full, rest = divmod(duration, self._length)
        if rest:
            return self._instant(self._opens(self._nth_working_day_after(day, full + 1)) + rest)
        return self._instant(self._closes(self._nth_working_day_after(day, full)))

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Deadline for "within `days` working days": day_end of the days-th working day after start's day."""
        wall = self._local(start)
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ValueError(f"days must be a whole number >= 0, got {days!r}")
        if days == 0:
            period = self._local(self.add_working_time(start, _ZERO)).date()
            return self._instant(self._closes(period))
        return self._instant(self._closes(self._nth_working_day_after(wall.date(), days)))

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in [start, end); zero if end is not after start."""
        a, b = self._local(start), self._local(end, "end")
        if end <= start or b <= a:
            return _ZERO
        first, last = a.date(), b.date()
        if first == last:
            return self._worked(b) - self._worked(a)
        rest_of_first = (self._length if self.is_working_day(first) else _ZERO) - self._worked(a)
        between = self._working_days_in(first + _DAY, last - _DAY)
        return rest_of_first + between * self._length + self._worked(b)

    def working_time_between_excluding(self, start: datetime, end: datetime,
                                       pauses: Iterable[tuple[datetime, datetime | None]]) -> timedelta:
        """Working time in [start, end) outside every pause; a pause without an end lasts until `end`.

        Pauses may overlap or reach outside [start, end): they are clipped and merged first, so no
        working time is taken off twice.
        """
        self._local(start)
        self._local(end, "end")
        spans: list[tuple[datetime, datetime]] = []
        for i, (paused, resumed) in enumerate(pauses):
            self._local(paused, f"pauses[{i}] start")
            if resumed is None:
                resumed = end
            else:
                self._local(resumed, f"pauses[{i}] end")
            if resumed < paused:
                raise ValueError(f"pauses[{i}] ends ({resumed}) before it starts ({paused})")
            lo, hi = max(paused, start), min(resumed, end)
            if lo < hi:
                spans.append((lo, hi))
        total = self.working_time_between(start, end)
        spans.sort()
        merged: list[tuple[datetime, datetime]] = []
        for lo, hi in spans:
            if merged and lo <= merged[-1][1]:
                if hi > merged[-1][1]:
                    merged[-1] = (merged[-1][0], hi)
            else:
                merged.append((lo, hi))
        return total - sum((self.working_time_between(lo, hi) for lo, hi in merged), _ZERO)
