"""Kafka stopped under a running API: a submission answers 503 in bounded time, never a false 202.

A broker of its own (same engine, other ports) is started for this, so the shared one keeps serving the
other tests.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from aduan.bootstrap import bootstrap
from aduan.settings import Settings
from deploy.local.stack import StackConfig, down, status, up
from tests.support import free_port, start_api

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
