"""Fixtures for tests on the real stack (integration and browser): a Kafka broker and an Elasticsearch node must be up
(`make test` starts them). Each session works in topics and indices of its own prefix, with its own
faust worker and API processes, and removes them at the end."""

from __future__ import annotations

import secrets
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from elasticsearch import Elasticsearch
from kafka.admin import KafkaAdminClient
from pydantic import SecretStr

from aduan.bootstrap import bootstrap
from config.settings import Settings
from tests.support import Process, delete_indices, free_port, settings_env, start_api


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    run = uuid.uuid4().hex[:8]
    base = Settings()
    return base.model_copy(update={
        "topic_prefix": f"it{run}.",
        "index_prefix": f"it{run}-",
        "app_id": f"aduan-it{run}",
        "partitions": 2,
        "api_port": free_port(),
        "worker_web_port": free_port(),
        "kafka_confirm_timeout_s": 5.0,
        "projection_batch": 100,
        "secret_key": SecretStr(secrets.token_urlsafe(32)),
        "submit_rate_limit": "100000/minute",  # the tests submit a lot from one address; one test checks the limit
        # and fail to sign in a lot from one address; test_sessions.py checks the throttle on an API of its own
        "login_address_free_failures": 100000,
        "media_dir": tmp_path_factory.mktemp("media"),
        "photo_sweep_every_s": 0,  # no background sweeps; test_privacy.py runs `aduan privacy sweep-photos`
        "database_url": f"sqlite:///{tmp_path_factory.mktemp('db') / 'aduan.db'}",  # accounts of this run only
        "session_timeout_s": 8.0,  # a killed worker's partitions move on sooner
        "scorecard_min_cases": 3,  # a few cases rank an agency here; one stays unranked
    })


@pytest.fixture(scope="session")
def es(settings: Settings) -> Iterator[Elasticsearch]:
    client = Elasticsearch(settings.es_hosts, request_timeout=30)
    try:
        client.cluster.health(timeout="5s")
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Elasticsearch is not reachable at {settings.es_url} ({exc!r}); run the tests with "
                    "`make test`, which starts the local stack")
    yield client
    client.close()


@pytest.fixture(scope="session")
def stack(settings: Settings, es: Elasticsearch) -> Iterator[Settings]:
    """Topics and indices of this session, removed at its end."""
    bootstrap(settings, log=lambda m: None)
    yield settings
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=30_000)
    try:
        ours = [t for t in admin.list_topics() if t.startswith(settings.topic_prefix) or
                t.startswith(settings.app_id + "-")]
        if ours:
            admin.delete_topics(ours, timeout_ms=30_000)
    finally:
        admin.close()
    delete_indices(es, settings.index_prefix)


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def worker(stack: Settings, logs_dir: Path) -> Iterator[Process]:
    proc = Process("worker", [sys.executable, "-m", "aduan.cli", "worker"], settings_env(stack), logs_dir)
    yield proc
    proc.stop()
    print(f"\n--- worker log tail ({proc.log_path}) ---\n{proc.tail(15)}")


@pytest.fixture(scope="session")
def api(stack: Settings, logs_dir: Path) -> Iterator[Process]:
    proc = start_api(stack, logs_dir)
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def client(stack: Settings, api: Process, worker: Process) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=30) as c:
        yield c
