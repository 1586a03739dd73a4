"""The agents: one concern each.

- the case agent is the only writer of ``cases.events``: it opens and routes each submitted case;
- the projection agent keeps the ``cases`` index in step with ``cases.events``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from elasticsearch import AsyncElasticsearch
from pydantic import ValidationError

from domain import events as ev
from domain.case import Case, ConflictingSubmission, apply, decide_submission
from domain.events import Event
from producers.kafka import encode
from search.cases import CaseProjection
from stream_processors.app import app, cases_table, events_topic, jurisdiction, settings, submissions_topic
from stream_processors.dead_letter import send_to_dead_letter

log = logging.getLogger(__name__)


def _parse_event(value: bytes | None) -> Event:
    if value is None:
        raise ValueError("empty message")
    return Event.model_validate_json(value)


@app.agent(submissions_topic)
async def case_agent(stream):
    async for message in stream.events():
        key, value = message.key, message.value
        try:
            submitted = _parse_event(value)
            if submitted.type != ev.COMPLAINT_SUBMITTED or submitted.seq != 1:
                raise ValueError(f"expected a {ev.COMPLAINT_SUBMITTED} event with seq 1, got {submitted.type}")
            if key is not None and key.decode() != submitted.case_id:
                raise ValueError(f"message key {key!r} is not the case id {submitted.case_id!r}")
            stored = cases_table.get(submitted.case_id)
            case = Case.model_validate(stored) if stored else None
            new_events = decide_submission(case, submitted, jurisdiction, datetime.now(UTC))
        except (ValueError, ValidationError, ConflictingSubmission) as exc:
            await send_to_dead_letter("case_agent", submissions_topic.get_topic_name(), key, value, str(exc))
            continue
        for event in new_events:
            case = apply(case, event)
            await events_topic.send(key=event.case_id.encode(), value=encode(event))
        if new_events:
            cases_table[case.case_id] = case.model_dump(mode="json")


_es: AsyncElasticsearch | None = None


def _search_client() -> AsyncElasticsearch:
    global _es
    if _es is None:
        _es = AsyncElasticsearch(settings.es_hosts, request_timeout=30, retry_on_timeout=True, max_retries=5)
    return _es


@app.agent(events_topic)
async def projection_agent(stream):
    projection = CaseProjection(_search_client(), settings.indices.cases)
    async for batch in stream.take(settings.projection_batch, within=0.2):
        parsed: list[Event] = []
        for value in batch:
            try:
                parsed.append(_parse_event(value))
            except (ValueError, ValidationError) as exc:
                await send_to_dead_letter("projection_agent", events_topic.get_topic_name(), None, value, str(exc))
        result = await projection.project(parsed)
        for event, reason in result.failed:
            await send_to_dead_letter("projection_agent", events_topic.get_topic_name(),
                                      event.case_id.encode(), encode(event), reason)

