"""Kafka stopped under a running API: a submission answers 503 in bounded time, never a false 202.

A broker of its own (same engine, other ports) is started for this, so the shared one keeps serving the
other tests.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from kafka import KafkaConsumer

from aduan.bootstrap import bootstrap
from config.settings import Settings
from deploy.local.stack import StackConfig, down, status, up
from tests.support import free_port, start_api, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def own_broker(settings: Settings, tmp_path: Path):
    stack_dir = tmp_path / "stack"
    stack_dir.mkdir()
    # Reuse the engines already fetched by the main stack instead of fetching them again.
    os.symlink(Settings().stack_dir.resolve() / "artifacts", stack_dir / "artifacts")
    cfg = StackConfig(stack_dir=stack_dir, kafka_port=free_port(), kafka_controller_port=free_port(),
                      kafka_heap_mb=256)
    up(cfg, ["kafka"], log=lambda m: None)
    yield cfg
    down(cfg, ["kafka"], log=lambda m: None)
    assert not any(s.running for s in status(cfg, ["kafka"]))


def test_kafka_stopped_answers_503_in_bounded_time(settings: Settings, own_broker: StackConfig, logs_dir, es):
    # Indices of its own too: its cases live in its own broker's log, not in the shared one.
    mine = settings.model_copy(update={"kafka_bootstrap": f"127.0.0.1:{own_broker.kafka_port}",
                                       "index_prefix": f"{settings.index_prefix}own-",
                                       "api_port": free_port(), "kafka_confirm_timeout_s": 3.0})
    bootstrap(mine, log=lambda m: None)
    api = start_api(mine, logs_dir, name="api-own-broker")
    body = {"category": "bencana", "regency": "17.05", "description": "Banjir merendam rumah warga sejak semalam."}
    try:
        with httpx.Client(base_url=mine.base_url, timeout=30) as client:
            assert client.post("/api/v1/complaints", json=body).status_code == 202

            down(own_broker, ["kafka"], log=lambda m: None)
            started = time.monotonic()
            response = client.post("/api/v1/complaints", json=body)
            elapsed = time.monotonic() - started
            print(f"503 after {elapsed:.1f} s with a confirm timeout of {mine.kafka_confirm_timeout_s} s")
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"]
            assert "coba lagi" in response.json()["detail"] and "try again" in response.json()["detail"]

            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["kafka"] != "ok"
    finally:
        api.stop()


def test_a_slow_kafka_gets_quick_503s_past_the_buffer_and_loses_no_accepted_case(
        settings: Settings, own_broker: StackConfig, logs_dir):
    """The broker of its own is paused (SIGSTOP: it answers nothing, as a stuck cluster does). Past
    `max_pending_submissions` writes waiting at once, the API refuses at once with 503 and a 'busy' message;
    the writes already waiting get 503 after the confirm timeout. Resumed, it accepts again, and every
    submission that got 202 is in the topic."""
    mine = settings.model_copy(update={"kafka_bootstrap": f"127.0.0.1:{own_broker.kafka_port}",
                                       "index_prefix": f"{settings.index_prefix}slow-", "api_port": free_port(),
                                       "kafka_confirm_timeout_s": 4.0, "max_pending_submissions": 3})
    bootstrap(mine, log=lambda m: None)
    api = start_api(mine, logs_dir, name="api-slow-broker")
    [broker] = status(own_broker, ["kafka"])
    body = {"category": "bencana", "regency": "17.05", "description": "Banjir merendam rumah warga sejak semalam."}
    accepted: list[str] = []
    try:
        with httpx.Client(base_url=mine.base_url, timeout=30) as client:
            first = client.post("/api/v1/complaints", json={**body, "client_request_id": uuid.uuid4().hex})
            assert first.status_code == 202
            accepted.append(first.json()["tracking_id"])
            os.kill(broker.pid, signal.SIGSTOP)
            try:
                with ThreadPoolExecutor(12) as pool:
                    answers = list(pool.map(lambda _: client.post("/api/v1/complaints", json={
                        **body, "client_request_id": uuid.uuid4().hex}), range(12)))
            finally:
                os.kill(broker.pid, signal.SIGCONT)
            details = [a.json()["detail"] for a in answers]
            assert {a.status_code for a in answers} == {503} and all(a.headers["retry-after"] for a in answers)
            busy = [d for d in details if "sibuk" in d and "busy" in d]
            assert len(busy) >= 12 - 3, details  # at most 3 waited for Kafka; the others were refused at once
            # Resumed: submissions are confirmed again (the producer reconnects by itself).
            again = wait_for(lambda: (r := client.post("/api/v1/complaints", json={
                **body, "client_request_id": uuid.uuid4().hex})).status_code == 202 and r, "a 202 after resuming")
            accepted.append(again.json()["tracking_id"])
        consumer = KafkaConsumer(mine.topics.submissions, bootstrap_servers=mine.kafka_bootstrap,
                                 auto_offset_reset="earliest", consumer_timeout_ms=5000, group_id=None)
        stored = {json.loads(m.value)["case_id"] for m in consumer}
        consumer.close()
        assert set(accepted) <= stored  # nothing that got 202 is lost
    finally:
        api.stop()
