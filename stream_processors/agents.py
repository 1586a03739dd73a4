"""The agents, thin loops over the objects that do the work; registered on an app by the worker build.

- the case agent (`CaseProcessor`) is the only writer of `cases.events`: it opens and routes each submitted
  case and answers each command with events (or a rejection event), a batch at a time, one batch after the
  other, so a case's `seq` never forks;
- the projection agent keeps the `cases` index in step with `cases.events`;
- the alarm follower (role `sla` alone) reads the deadline index's changelog into the SLA timer's heap.
"""

from __future__ import annotations

import asyncio
import logging

from elasticsearch import ApiError, AsyncElasticsearch, TransportError
from pydantic import ValidationError

from config.connections import es_options
from domain.events import Event
from search.cases import CaseProjection, ProjectionResult, ProjectionUnavailable
from stream_processors.case_processor import CaseProcessor, Record
from stream_processors.dead_letter import reason_of
from stream_processors.faust_adapter import current_event_of

log = logging.getLogger(__name__)

CASE_BATCH_WITHIN_S = 0.05  # the longest a message waits for others to fill its batch
FOLLOW_BATCH, FOLLOW_BATCH_WITHIN_S = 2000, 0.05  # the alarm follower's batches: one disk write each


def register_case_agent(app, topic, processor: CaseProcessor, batch: int) -> None:
    @app.agent(topic, name="case_agent")
    async def case_agent(stream):
        async for events in stream.take_events(batch, within=CASE_BATCH_WITHIN_S):
            await processor.process([Record(e.message.topic, e.key, e.value, e) for e in events])


def faust_context(record: Record):
    """The case processor's table reads and writes for `record` go to its partition."""
    return current_event_of(record.handle)


class ProjectionAgent:
    """Indexes `cases.events` into Elasticsearch in bulk; Elasticsearch away: the same batch again later."""

    def __init__(self, settings, jurisdiction, events_topic, dead_letters, metrics, sealer) -> None:
        self.settings, self.jurisdiction, self.events_topic = settings, jurisdiction, events_topic
        self.dead_letters, self.metrics, self.sealer = dead_letters, metrics, sealer
        self.es: AsyncElasticsearch | None = None

    def register(self, app) -> None:
        @app.agent(self.events_topic, name="projection_agent")
        async def projection_agent(stream):
            await self.run(stream)

        @app.on_before_shutdown.connect
        async def _close_search_client(sender, **kwargs) -> None:
            """The projection's Elasticsearch client goes with the worker (no unclosed sessions left)."""
            if self.es is not None:
                await self.es.close()
                self.es = None

    async def run(self, stream) -> None:
        s = self.settings
        self.es = AsyncElasticsearch(**es_options(s), request_timeout=30, retry_on_timeout=True, max_retries=5)
        projection = CaseProjection(self.es, s.indices.cases, self.jurisdiction, public=s.indices.public_cases)
        topic = self.events_topic.get_topic_name()
        async for batch in stream.take(s.projection_batch, within=0.2):
            # Opened in a thread: a data key not cached yet is read from the database, never on the event loop.
            opened = await asyncio.to_thread(self._open_all, batch)
            parsed: list[Event] = []
            for value, event, exc in opened:
                if event is not None:
                    parsed.append(event)
                else:
                    self.metrics.events_failed.labels("projection_agent").inc()
                    await self.dead_letters.send("projection_agent", topic, None, value, reason_of(exc))
            result = await project_until_done(projection, parsed)
            self.metrics.events_processed.labels("projection_agent").inc(len(parsed) - len(result.failed))
            self.metrics.events_failed.labels("projection_agent").inc(len(result.failed))
            for event, reason in result.failed:
                await self.dead_letters.send("projection_agent", topic, event.case_id.encode(),
                                             self.sealer.event_bytes(event), reason)


    def _open_all(self, values) -> list[tuple[bytes, Event | None, Exception | None]]:
        """Each value's event, or the reason it is no event (a missing data key raises: the batch stops)."""
        out = []
        for value in values:
            try:
                out.append((value, self.sealer.event_from(value), None))
            except (ValueError, ValidationError) as exc:
                out.append((value, None, exc))
        return out


async def project_until_done(projection: CaseProjection, events: list[Event]) -> ProjectionResult:
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


def register_alarm_follower(app, changelog_topic, follower) -> None:
    """Role `sla` alone: the deadline index's changelog (key: the case id as JSON, value: the due time as JSON,
    or none when the case has no alarm left) into `follower` (sla_timer.AlarmFollower), a batch at a time. The
    topic is read without acknowledgements: nothing is committed, the follower seeks where its copy on disk
    left off."""

    @app.agent(changelog_topic, name="alarm_follower")
    async def alarm_follower(stream):
        async for events in stream.take_events(FOLLOW_BATCH, within=FOLLOW_BATCH_WITHIN_S):
            follower.follow([(e.message.tp, e.message.offset, e.key, e.value) for e in events])
