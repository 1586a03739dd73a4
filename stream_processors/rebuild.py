"""Rebuilding a projection from the log: `aduan projections rebuild`.

The events are read from the beginning of ``cases.events`` into a new index while the old one keeps
serving; once the new index has caught up, the alias moves to it in one atomic step, and the events
that arrived meanwhile are applied once more (versioned writes make the repeat harmless).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from elasticsearch import AsyncElasticsearch, Elasticsearch
from kafka import KafkaConsumer, TopicPartition
from pydantic import ValidationError

from config.connections import es_options, kafka_options
from config.jurisdiction_file import load_jurisdiction
from config.settings import Settings
from producers.sealing import Sealer, sealer_for
from search.cases import CaseProjection
from search.indices import create_next_index, switch_alias
from search.public import PUBLIC_MAPPINGS


def _read_until(consumer: KafkaConsumer, ends: dict[TopicPartition, int], batch: int, sealer: Sealer):
    """Batches of events from the consumer's positions up to `ends` (exclusive)."""
    while any(consumer.position(tp) < end for tp, end in ends.items()):
        records = consumer.poll(timeout_ms=1000, max_records=batch)
        events = []
        for tp, messages in records.items():
            for m in messages:
                if m.offset < ends[tp]:
                    try:
                        events.append(sealer.event_from(m.value))
                    except (ValidationError, ValueError, TypeError):
                        continue  # the live projection dead-letters these; a rebuild only skips them
                    # KeyMissing propagates: a rebuild that cannot open a case stops, it never drops the case.
        if events:
            yield events


async def _project_range(projection: CaseProjection, consumer: KafkaConsumer, ends, batch: int,
                         progress: Callable[[int], None], sealer: Sealer) -> int:
    done = 0
    for events in _read_until(consumer, ends, batch, sealer):
        await projection.project(events)
        done += len(events)
        progress(done)
    return done


def rebuild(settings: Settings, log: Callable[[str], None] = print, delete_old: bool = False) -> str:
    """Rebuild the `cases` projection and the public index beside it; returns the new cases index's name."""
    alias, public_alias = settings.indices.cases, settings.indices.public_cases
    sealer = sealer_for(settings)  # the events' personal fields are opened with the cases' data keys
    es = Elasticsearch(**es_options(settings), request_timeout=60)
    consumer = KafkaConsumer(**kafka_options(settings), enable_auto_commit=False,
                             group_id=None, max_partition_fetch_bytes=4 * 1024 * 1024)
    try:
        partitions = [TopicPartition(settings.topics.events, p)
                      for p in sorted(consumer.partitions_for_topic(settings.topics.events) or [])]
        if not partitions:
            raise RuntimeError(f"topic {settings.topics.events} not found at {settings.kafka_bootstrap}")
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        index = create_next_index(es, alias, settings.index_shards, settings.index_replicas)
        public = create_next_index(es, public_alias, settings.index_shards, settings.index_replicas, PUBLIC_MAPPINGS)
        ends = consumer.end_offsets(partitions)
        total = sum(ends.values()) - sum(consumer.beginning_offsets(partitions).values())
        log(f"rebuilding {alias} into {index} and {public_alias} into {public} from {total} events of "
            f"{settings.topics.events}")
        started, last = time.monotonic(), [0.0]

        def progress(done: int) -> None:
            if time.monotonic() - last[0] > 2 or done == total:
                last[0] = time.monotonic()
                log(f"  {done}/{total} events ({done / max(time.monotonic() - started, 1e-9):.0f}/s)")

        async def run() -> tuple[int, list[str]]:
            aes = AsyncElasticsearch(**es_options(settings), request_timeout=60)
            try:
                projection = CaseProjection(aes, index, load_jurisdiction(settings.jurisdiction_file), is_alias=False,
                                            public=public)
                done = await _project_range(projection, consumer, ends, settings.projection_batch, progress, sealer)
                es.indices.refresh(index=f"{index},{public}")
                left = switch_alias(es, alias, index) + switch_alias(es, public_alias, public)
                # Events the live projection wrote to the old index while we read: apply them here too.
                done += await _project_range(projection, consumer, consumer.end_offsets(partitions),
                                             settings.projection_batch, lambda n: None, sealer)
                return done, left
            finally:
                await aes.close()

        done, left = asyncio.run(run())
        log(f"{alias} -> {index}, {public_alias} -> {public} ({done} events in {time.monotonic() - started:.1f} s)")
        for old in left:
            if delete_old:
                es.indices.delete(index=old)
                log(f"deleted the old index {old}")
            else:
                log(f"the old index {old} is kept; delete it when satisfied")
        return index
    finally:
        consumer.close()
        es.close()
