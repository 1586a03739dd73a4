"""Topics and indices are made by code at start; what exists already is checked, not changed."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from elasticsearch import Elasticsearch
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from aduan.settings import Settings
from search.indices import ensure_cases_index
from search.public import PUBLIC_MAPPINGS

FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}


def topic_specs(settings: Settings) -> list[NewTopic]:
    t, n, rf = settings.topics, settings.partitions, settings.replication_factor
    min_isr = {"min.insync.replicas": str(max(1, rf - 1))}
    return [
        # The case log is the record: kept forever (DESIGN.md rule 1).
        NewTopic(t.events, n, rf, topic_configs={**FOREVER, **min_isr}),
        NewTopic(t.submissions, n, rf, topic_configs={"retention.ms": str(30 * 86_400_000), **min_isr}),
        NewTopic(t.commands, n, rf, topic_configs={"retention.ms": str(30 * 86_400_000), **min_isr}),
        NewTopic(t.dead_letter, 1, rf, topic_configs={**FOREVER, **min_isr}),
    ]


def ensure_topics(settings: Settings, log: Callable[[str], None] = print, timeout_s: float = 60) -> None:
    admin = _admin(settings, timeout_s)
    try:
        existing = set(admin.list_topics())
        missing = [spec for spec in topic_specs(settings) if spec.name not in existing]
        if missing:
            # Another process may make one between our look and our create: that is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(missing, timeout_ms=30_000)
            log(f"created topics: {', '.join(s.name for s in missing)}")
        described = {d["name"]: len(d["partitions"]) for d in admin.describe_topics(
            [s.name for s in topic_specs(settings)])}
        for spec in topic_specs(settings):
            have = described.get(spec.name)
            if have is not None and have != spec.num_partitions:
                log(f"warning: topic {spec.name} has {have} partitions, settings ask for "
                    f"{spec.num_partitions}; left as it is")
    finally:
        admin.close()


def _admin(settings: Settings, timeout_s: float) -> KafkaAdminClient:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap.split(","),
                                    client_id="aduan-bootstrap", request_timeout_ms=10_000)
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kafka at {settings.kafka_bootstrap} did not answer in {timeout_s:.0f} s: "
                                   f"{exc}") from exc
            time.sleep(1)


def ensure_indices(settings: Settings, log: Callable[[str], None] = print) -> None:
    es = Elasticsearch(settings.es_hosts, request_timeout=30)
    try:
        index = ensure_cases_index(es, settings.indices.cases, settings.index_shards, settings.index_replicas)
        log(f"index {settings.indices.cases} -> {index}")
        public = ensure_cases_index(es, settings.indices.public_cases, settings.index_shards, settings.index_replicas,
                                    PUBLIC_MAPPINGS)
        log(f"index {settings.indices.public_cases} -> {public}")
    finally:
        es.close()


def bootstrap(settings: Settings, log: Callable[[str], None] = print) -> None:
    ensure_topics(settings, log)
    ensure_indices(settings, log)
