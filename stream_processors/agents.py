"""The agents: one concern each.

- the case agent is the only writer of ``cases.events``: it opens and routes each submitted case and
  answers each command with events (or a rejection event), one message at a time, so a case's
  ``seq`` never forks;
- the projection agent keeps the ``cases`` index in step with ``cases.events``;
- the SLA timer (``stream_processors.sla_timer``) asks the case agent to look at cases whose alarms are due.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime

from elasticsearch import ApiError, AsyncElasticsearch, TransportError
from pydantic import TypeAdapter, ValidationError

from config.connections import es_options
from domain import events as ev
from domain.case import Case, apply
from domain.commands import Command
from domain.events import Event
from domain.lifecycle import ConflictingSubmission, UnknownCase, decide, decide_submission
from domain.sla import decide_sla
from producers.kafka import encode
from search.cases import CaseProjection, ProjectionResult, ProjectionUnavailable
from stream_processors import watchdog
from stream_processors.app import app, case_inputs, cases_table, events_topic, jurisdiction, settings
from stream_processors.dead_letter import reason_of, send_to_dead_letter
from stream_processors.metrics import EVENTS_FAILED, EVENTS_PROCESSED, count_sla_events
from stream_processors.sla_timer import SlaDue, index_next_alarm

log = logging.getLogger(__name__)
_command = TypeAdapter(Command)
watchdog.install(app, settings.worker_stall_timeout_s)


def _parse_event(value: bytes | None) -> Event:
    if value is None:
        raise ValueError("empty message")
    return Event.model_validate_json(value)


def _decide(topic: str, key: bytes | None, value: bytes | None, case_of) -> tuple[str, list[Event]]:
    """Parse one message of the case agent's topics and decide; (case id, new events)."""
    if value is None:
        raise ValueError("empty message")
    if topic == settings.topics.submissions:
        submitted = _parse_event(value)
        if submitted.type != ev.COMPLAINT_SUBMITTED or submitted.seq != 1:
            raise ValueError(f"expected a {ev.COMPLAINT_SUBMITTED} event with seq 1, got {submitted.type}")
        case_id = submitted.case_id
        new = decide_submission(case_of(case_id), submitted, jurisdiction, datetime.now(UTC))
    else:
        data = json.loads(value)
        if isinstance(data, dict) and data.get("type") == "sla.due":
            due = SlaDue.model_validate(data)
            case_id = due.case_id
            case = case_of(case_id)
            if case is None:
                raise UnknownCase(f"no case {case_id}")
            # Decided at the times the messages carry, never the agent's clock, so that a message
            # replayed after a crash decides exactly the same events again.
            new = decide_sla(case, jurisdiction, datetime.fromtimestamp(due.at, UTC))
        else:
            command = _command.validate_python(data)
            case_id = command.case_id
            new = decide(case_of(case_id), command, jurisdiction, command.issued_at)
    if key is not None and key.decode(errors="replace") != case_id:
        raise ValueError(f"message key {key!r} is not the case id {case_id!r}")
    return case_id, new


@app.agent(case_inputs)
async def case_agent(stream):
    def case_of(case_id: str) -> Case | None:
        stored = cases_table.get(case_id)
        return Case.model_validate(stored) if stored else None

    async for message in stream.events():
        topic = message.message.topic
        try:
            case_id, new_events = _decide(topic, message.key, message.value, case_of)
        except (ValueError, ValidationError, ConflictingSubmission, UnknownCase) as exc:
            EVENTS_FAILED.labels("case_agent").inc()
            await send_to_dead_letter("case_agent", topic, message.key, message.value, reason_of(exc))
            continue
        EVENTS_PROCESSED.labels("case_agent").inc()
        case = case_of(case_id)
        if not new_events:
            if case is not None:
                # A replay after a crash between the two table writes finds the case stored but maybe
                # not its next alarm: index it again, or its clocks would never fire.
                index_next_alarm(case)
            continue
        delivered = []
        for event in new_events:
            case = apply(case, event)
            delivered.append(await events_topic.send(key=case_id.encode(), value=encode(event)))
        # Events first, state after, and "first" means acknowledged by Kafka (acks=all), not just handed
        # to the producer: the table's changelog and the events go to different partitions, and a worker
        # killed between their deliveries could otherwise keep the state and lose its events for good (a
        # replay finds the state and decides nothing new). A crash before the table write replays the
        # message, which decides the same events again (same seq, same id); consumers skip what they have.
        # One stream, one message at a time: no other input reads the old state.
        for sent in delivered:
            await sent
        cases_table[case_id] = case.model_dump(mode="json")
        index_next_alarm(case)
        count_sla_events(new_events)


_es: AsyncElasticsearch | None = None


def _search_client() -> AsyncElasticsearch:
    global _es
    if _es is None:
        _es = AsyncElasticsearch(**es_options(settings), request_timeout=30, retry_on_timeout=True, max_retries=5)
    return _es


@app.agent(events_topic)
async def projection_agent(stream):
    projection = CaseProjection(_search_client(), settings.indices.cases, jurisdiction,
                                public=settings.indices.public_cases)
    async for batch in stream.take(settings.projection_batch, within=0.2):
        parsed: list[Event] = []
        for value in batch:
            try:
                parsed.append(_parse_event(value))
            except (ValueError, ValidationError) as exc:
                EVENTS_FAILED.labels("projection_agent").inc()
                await send_to_dead_letter("projection_agent", events_topic.get_topic_name(), None, value,
                                          reason_of(exc))
        result = await _project_until_done(projection, parsed)
        EVENTS_PROCESSED.labels("projection_agent").inc(len(parsed) - len(result.failed))
        EVENTS_FAILED.labels("projection_agent").inc(len(result.failed))
        for event, reason in result.failed:
            await send_to_dead_letter("projection_agent", events_topic.get_topic_name(),
                                      event.case_id.encode(), encode(event), reason)


async def _project_until_done(projection: CaseProjection, events: list[Event]) -> ProjectionResult:
    """Elasticsearch away or the index being rebuilt: wait and try the same batch again, so nothing
    is skipped; the partition waits with it (its offsets are not committed meanwhile)."""
    delay = 0.5
    while True:
        try:
            return await projection.project(events)
        except (ProjectionUnavailable, TransportError, ApiError) as exc:
            log.warning("projection of %d events failed, again in %.1f s: %s", len(events), delay, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


@app.on_before_shutdown.connect
async def _close_search_client(sender, **kwargs) -> None:
    """The projection's Elasticsearch client goes with the worker (no unclosed sessions left)."""
    global _es
    if _es is not None:
        await _es.close()
        _es = None
