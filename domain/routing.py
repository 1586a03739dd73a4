"""Which agency answers for a case: category x regency, the most specific rule first."""

from __future__ import annotations

from domain.jurisdiction import ANY_REGENCY, Jurisdiction


class NoRoute(Exception):
    """No rule matches; a validated jurisdiction never raises this for its own codes."""


def route(jurisdiction: Jurisdiction, category: str, regency: str) -> str:
    """Return the code of the agency responsible for `category` in `regency`."""
    fallback: str | None = None
    for rule in jurisdiction.routing:
        if rule.category != category:
            continue
        if rule.regency == regency:
            return rule.agency
        if rule.regency == ANY_REGENCY and fallback is None:
            fallback = rule.agency
    if fallback is None:
        raise NoRoute(f"no routing rule for category {category!r} in regency {regency!r}")
    return fallback
