"""`aduan bootstrap` on the real broker: the dead-letter topic keeps refused messages a bounded time, also
when an older deployment made it to keep them forever."""

from __future__ import annotations

import uuid

import pytest
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic

from aduan.bootstrap import bootstrap
from tests.support import delete_indices

pytestmark = pytest.mark.integration


def retention_ms(admin: KafkaAdminClient, topic: str) -> str:
    described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic, {"retention.ms": None})],
                                       config_filter="all")
    return described["topic"][topic]["retention.ms"]["value"]


def test_bootstrap_bounds_the_dead_letter_retention_of_an_existing_topic(stack, es):
    run = uuid.uuid4().hex[:8]
    settings = stack.model_copy(update={"topic_prefix": f"bs{run}.", "index_prefix": f"bs{run}-",
                                        "app_id": f"aduan-bs{run}", "dead_letter_retention_days": 7})
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=30_000)
    dead_letters = settings.topics.dead_letter
    try:
        admin.create_topics([NewTopic(dead_letters, 1, 1, topic_configs={"retention.ms": "-1"})], timeout_ms=30_000)
        assert retention_ms(admin, dead_letters) == "-1"  # as an older bootstrap left it
        said: list[str] = []
        bootstrap(settings, log=said.append)
        assert retention_ms(admin, dead_letters) == str(7 * 86_400_000)
        assert any("retention set to 7 days" in line for line in said), said
        said.clear()
        bootstrap(settings, log=said.append)  # again: nothing to change
        assert not any("retention" in line for line in said), said
    finally:
        ours = [t for t in admin.list_topics() if t.startswith(settings.topic_prefix) or t.startswith(settings.app_id)]
        admin.delete_topics(ours, timeout_ms=30_000)
        admin.close()
        delete_indices(es, settings.index_prefix)
