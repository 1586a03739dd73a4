"""The shape of a jurisdiction's configuration and the checks that make it safe to run on.

A jurisdiction (Bengkulu first) names its regencies and districts, its agencies, its complaint
categories and the routing rules between them. Cross-references are checked here so that a bad
file stops start-up with a message naming the field, instead of a case routed nowhere at run time.
"""

from __future__ import annotations

from datetime import date, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ANY_REGENCY = "*"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class District(_Strict):
    code: str = Field(pattern=r"^\d{2}\.\d{2}\.\d{2}$")
    name: str = Field(min_length=1)


class Regency(_Strict):
    code: str = Field(pattern=r"^\d{2}\.\d{2}$")
    name: str = Field(min_length=1)
    capital: str | None = None
    districts: tuple[District, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _districts_belong_here(self) -> Regency:
        for i, d in enumerate(self.districts):
            if not d.code.startswith(self.code + "."):
                raise ValueError(f"districts[{i}].code {d.code!r} does not start with {self.code}.")
        _no_duplicates("districts", [d.code for d in self.districts])
        return self


class Agency(_Strict):
    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,31}$")
    name: str = Field(min_length=1)
    name_en: str | None = None
    regency: str | None = None  # None: province-wide


class AttributeValue(_Strict):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    name: str = Field(min_length=1)


class Attribute(_Strict):
    """More information a category asks of the reporter (Open311's service attributes)."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    description: str = Field(min_length=1)
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"] = "string"
    required: bool = False
    values: tuple[AttributeValue, ...] = ()

    @model_validator(mode="after")
    def _lists_have_values(self) -> Attribute:
        if self.datatype.endswith("valuelist") != bool(self.values):
            raise ValueError(f"attribute {self.code}: values go with (and only with) a *valuelist datatype")
        return self

    def invalid(self, answer: str) -> str | None:
        """Why `answer` does not fit this attribute, or None."""
        if self.datatype == "number":
            try:
                float(answer)
            except ValueError:
                return "not a number"
        if self.datatype == "singlevaluelist" and answer not in {v.key for v in self.values}:
            return f"not one of {', '.join(v.key for v in self.values)}"
        if self.datatype == "multivaluelist" and not set(answer.split(",")) <= {v.key for v in self.values}:
            return f"not a comma-separated choice of {', '.join(v.key for v in self.values)}"
        return None


class Category(_Strict):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    description: str = ""
    description_en: str = ""
    attributes: tuple[Attribute, ...] = ()


class RoutingRule(_Strict):
    category: str
    regency: str = ANY_REGENCY
    agency: str


class ClockPolicy(_Strict):
    """A time limit: N working days (the end of the Nth working day after the clock starts), or, for tests
    and drills, a number of plain seconds."""

    working_days: int | None = Field(None, ge=1, le=365)
    seconds: int | None = Field(None, ge=1)
    max_calendar_days: int | None = Field(None, ge=1, le=3650)

    @model_validator(mode="after")
    def _one_measure(self) -> ClockPolicy:
        if (self.working_days is None) == (self.seconds is None):
            raise ValueError("give working_days or seconds, not both")
        return self


class SlaPolicy(_Strict):
    """Working time and time limits. Defaults follow SP4N-LAPOR!: verification and dispatch within 3
    working days, the agency's first response within 5 of dispatch, resolution within 14 and never past
    60 calendar days."""

    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    day_start: time = time(8, 0)
    day_end: time = time(16, 0)
    extra_days_off: tuple[date, ...] = ()  # cuti bersama and local days off, on top of national holidays
    dispatch: ClockPolicy = ClockPolicy(working_days=3)
    response: ClockPolicy = ClockPolicy(working_days=5)
    resolution: ClockPolicy = ClockPolicy(working_days=14, max_calendar_days=60)
    # After a resolution the citizen may reopen the case; when this window passes, it closes by itself.
    reply_window: ClockPolicy = ClockPolicy(working_days=10)
    # Still unresolved this long after the resolution deadline (the second breach): raised to the coordinators.
    escalate_after: ClockPolicy | None = ClockPolicy(working_days=5)
    warn_at: tuple[float, ...] = (0.5, 0.75)  # warnings at these shares of a clock's time
    categories: dict[str, dict[Literal["dispatch", "response", "resolution"], ClockPolicy]] = {}  # overrides

    @model_validator(mode="after")
    def _hours(self) -> SlaPolicy:
        if self.day_start >= self.day_end:
            raise ValueError("sla.day_start must be before sla.day_end")
        if not self.working_days or any(d not in range(7) for d in self.working_days):
            raise ValueError("sla.working_days: weekdays 0 (Monday) to 6 (Sunday), at least one")
        if any(not 0 < share < 1 for share in self.warn_at):
            raise ValueError("sla.warn_at: shares between 0 and 1, e.g. [0.5, 0.75]")
        return self

    def clock(self, name: Literal["dispatch", "response", "resolution"], category: str) -> ClockPolicy:
        return self.categories.get(category, {}).get(name) or getattr(self, name)


ReplyKind = Literal["reply", "request_info", "resolve"]
DEFAULT_TEMPLATES = "default"
_PLACEHOLDERS = ("tracking_id", "agency", "category")


class Jurisdiction(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9-]{1,31}$")
    name: str
    timezone: str
    case_prefix: str = Field(pattern=r"^[A-Z]{2,5}$")
    sla: SlaPolicy = SlaPolicy()
    regencies: tuple[Regency, ...] = Field(min_length=1)
    agencies: tuple[Agency, ...] = Field(min_length=1)
    categories: tuple[Category, ...] = Field(min_length=1)
    routing: tuple[RoutingRule, ...] = Field(min_length=1)
    # Texts officers start a message to the citizen from, per category ("default" for the others), per
    # kind of message; they may use {tracking_id}, {agency} and {category}. The officer edits before sending.
    reply_templates: dict[str, dict[ReplyKind, str]] = {}

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _references_resolve(self) -> Jurisdiction:
        _no_duplicates("regencies", [r.code for r in self.regencies])
        _no_duplicates("agencies", [a.code for a in self.agencies])
        _no_duplicates("categories", [c.code for c in self.categories])
        regencies = {r.code for r in self.regencies}
        agencies = {a.code for a in self.agencies}
        categories = {c.code for c in self.categories}
        for i, a in enumerate(self.agencies):
            if a.regency is not None and a.regency not in regencies:
                raise ValueError(f"agencies[{i}].regency: unknown regency {a.regency!r}")
        for code in self.sla.categories:
            if code not in categories:
                raise ValueError(f"sla.categories: unknown category {code!r}")
        for code, texts in self.reply_templates.items():
            if code != DEFAULT_TEMPLATES and code not in categories:
                raise ValueError(f"reply_templates: unknown category {code!r}")
            for kind, text in texts.items():
                try:
                    text.format_map({name: "" for name in _PLACEHOLDERS})
                except (KeyError, ValueError, IndexError) as exc:
                    raise ValueError(f"reply_templates.{code}.{kind}: only {{tracking_id}}, {{agency}} and "
                                     f"{{category}} may be filled in ({exc!r})") from None
        for i, rule in enumerate(self.routing):
            if rule.category not in categories:
                raise ValueError(f"routing[{i}].category: unknown category {rule.category!r}")
            if rule.regency != ANY_REGENCY and rule.regency not in regencies:
                raise ValueError(f"routing[{i}].regency: unknown regency {rule.regency!r}")
            if rule.agency not in agencies:
                raise ValueError(f"routing[{i}].agency: unknown agency {rule.agency!r}")
        # Every submission must land somewhere: each category needs a rule for every regency.
        for c in self.categories:
            covered = {r.regency for r in self.routing if r.category == c.code}
            if ANY_REGENCY not in covered and not regencies <= covered:
                missing = ", ".join(sorted(regencies - covered))
                raise ValueError(f"routing: category {c.code!r} has no rule for regencies {missing}")
        return self

    # Look-ups used by the API and the agents; tuples keep the model hashable and immutable.
    def regency(self, code: str) -> Regency | None:
        return next((r for r in self.regencies if r.code == code), None)

    def agency(self, code: str) -> Agency | None:
        return next((a for a in self.agencies if a.code == code), None)

    def category(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    def reply_template(self, kind: ReplyKind, category: str, tracking_id: str, agency: str | None) -> str:
        """The category's starting text for a message of `kind`, filled in; "" when none is configured."""
        text = self.reply_templates.get(category, {}).get(kind) or \
            self.reply_templates.get(DEFAULT_TEMPLATES, {}).get(kind, "")
        found, holder = self.category(category), self.agency(agency) if agency else None
        return text.format_map({"tracking_id": tracking_id, "agency": holder.name if holder else "",
                                "category": found.name if found else category})


def _no_duplicates(field: str, codes: list[str]) -> None:
    seen: set[str] = set()
    for i, code in enumerate(codes):
        if code in seen:
            raise ValueError(f"{field}[{i}].code: duplicate code {code!r}")
        seen.add(code)
