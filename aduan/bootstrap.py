"""Topics and indices are made by code at start; what exists already is checked, not changed."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from elasticsearch import Elasticsearch
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from config.connections import es_options, kafka_options
from config.settings import Settings
from search.indices import ensure_cases_index
from search.public import PUBLIC_MAPPINGS
from stream_processors.app import TABLES, changelog_topic

FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}


def topic_specs(settings: Settings) -> list[NewTopic]:
    t, n, rf = settings.topics, settings.partitions, settings.replication_factor
    min_isr = {"min.insync.replicas": str(settings.min_insync_replicas or max(1, rf - 1))}
    return [
        # The case log is the record: kept forever (DESIGN.md rule 1).
        NewTopic(t.events, n, rf, topic_configs={**FOREVER, **min_isr}),
        NewTopic(t.submissions, n, rf, topic_configs={"retention.ms": str(30 * 86_400_000), **min_isr}),
        NewTopic(t.commands, n, rf, topic_configs={"retention.ms": str(30 * 86_400_000), **min_isr}),
        # Refused messages, for a person to look at: kept a bounded time, as they may hold personal data.
        NewTopic(t.dead_letter, 1, rf, topic_configs={**dead_letter_retention(settings), **min_isr}),
        # The case worker's table changelogs, compacted as faust makes them; made here so that the sla worker,
        # which reads the deadline index's, finds it however the workers start.
        *(NewTopic(changelog_topic(settings, table), n, rf, topic_configs={"cleanup.policy": "compact", **min_isr})
          for table in TABLES),
    ]


def dead_letter_retention(settings: Settings) -> dict[str, str]:
    return {"retention.ms": str(settings.dead_letter_retention_days * 86_400_000), "retention.bytes": "-1"}


def ensure_dead_letter_retention(admin: KafkaAdminClient, settings: Settings, log: Callable[[str], None]) -> None:
    """Give an existing dead-letter topic the retention of the settings (older ones kept it forever): the one
    topic setting bootstrap changes, as it bounds how long personal data may stay."""
    topic, wanted = settings.topics.dead_letter, dead_letter_retention(settings)["retention.ms"]
    described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic, {"retention.ms": None})],
                                       config_filter="all")
    have = described["topic"][topic].get("retention.ms", {}).get("value")
    if have != wanted:
        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, {"retention.ms": wanted})])
        log(f"dead-letter topic {topic}: retention set to {settings.dead_letter_retention_days} days (was "
            f"{have} ms)")


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
        for problem in topic_mismatches(admin.describe_topics([s.name for s in topic_specs(settings)]),
                                        topic_specs(settings)):
            log(f"warning: {problem}; left as it is")
        ensure_dead_letter_retention(admin, settings, log)
    finally:
        admin.close()


def topic_mismatches(described: list[dict], specs: list[NewTopic]) -> list[str]:
    """How existing topics differ from what the settings ask for (partitions, replication factor): reported,
    never changed (more partitions would move keys between partitions and break per-case order)."""
    found = {d["name"]: d for d in described if not d.get("error_code")}
    problems = []
    for spec in specs:
        topic = found.get(spec.name)
        if topic is None:
            continue
        partitions = len(topic["partitions"])
        if partitions != spec.num_partitions:
            problems.append(f"topic {spec.name} has {partitions} partitions, settings ask for {spec.num_partitions}")
        replicas = {len(p["replica_nodes"]) for p in topic["partitions"]}
        if replicas and replicas != {spec.replication_factor}:
            problems.append(f"topic {spec.name} has replication factor {sorted(replicas)}, settings ask for "
                            f"{spec.replication_factor}")
    return problems


def index_mismatches(es: Elasticsearch, alias: str, shards: int, replicas: int) -> list[str]:
    """How the index behind `alias` differs from the settings' shards and replicas: reported, not changed
    (shards are fixed at creation; `aduan projections rebuild` makes a new index with the new count)."""
    problems = []
    for index, body in es.indices.get_settings(index=alias).items():
        have = body["settings"]["index"]
        if int(have["number_of_shards"]) != shards:
            problems.append(f"index {index} has {have['number_of_shards']} shards, settings ask for {shards}")
        if int(have["number_of_replicas"]) != replicas:
            problems.append(f"index {index} has {have['number_of_replicas']} replicas, settings ask for {replicas}")
    return problems


def _admin(settings: Settings, timeout_s: float) -> KafkaAdminClient:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return KafkaAdminClient(**kafka_options(settings), client_id="aduan-bootstrap", request_timeout_ms=10_000)
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kafka at {settings.kafka_bootstrap} did not answer in {timeout_s:.0f} s: "
                                   f"{exc}") from exc
            time.sleep(1)


def ensure_indices(settings: Settings, log: Callable[[str], None] = print) -> None:
    es = Elasticsearch(**es_options(settings), request_timeout=30)
    try:
        index = ensure_cases_index(es, settings.indices.cases, settings.index_shards, settings.index_replicas)
        log(f"index {settings.indices.cases} -> {index}")
        public = ensure_cases_index(es, settings.indices.public_cases, settings.index_shards, settings.index_replicas,
                                    PUBLIC_MAPPINGS)
        log(f"index {settings.indices.public_cases} -> {public}")
        for alias in (settings.indices.cases, settings.indices.public_cases):
            for problem in index_mismatches(es, alias, settings.index_shards, settings.index_replicas):
                log(f"warning: {problem}; left as it is")
    finally:
        es.close()


def ensure_accounts_schema(settings: Settings) -> None:
    """The accounts database at its newest migration: its data keys (producers/sealing.py) are needed by every
    worker and API process before the first record."""
    from api.accounts import AccountStore

    AccountStore.from_settings(settings).close()


def bootstrap(settings: Settings, log: Callable[[str], None] = print) -> None:
    ensure_accounts_schema(settings)
    ensure_topics(settings, log)
    ensure_indices(settings, log)
