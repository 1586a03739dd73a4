"""SLA clocks on the real stack, with policies in seconds: the timer finds due alarms, the case agent
records each warning and breach once, and a stopped or paused clock fires nothing."""

from __future__ import annotations

import json
import sys

import httpx
import pytest
from kafka import KafkaConsumer

from aduan.bootstrap import bootstrap
from config.settings import DEFAULT_JURISDICTION
from tests.integration.test_lifecycle import BODY, headers
from tests.support import Process, free_port, settings_env, start_api, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FAST = """
sla:
  working_days: [0, 1, 2, 3, 4, 5, 6]
  day_start: "00:00:00"
  day_end: "23:59:59"
  warn_at: [0.5, 0.75]
  dispatch: {seconds: 4}
  response: {seconds: 6}
  resolution: {seconds: 10}
"""


@pytest.fixture(scope="module")
def fast(stack, tmp_path_factory, logs_dir):
    """A worker and an API of their own, on a jurisdiction whose clocks run in seconds."""
    folder = tmp_path_factory.mktemp("fast-sla")
    jurisdiction = folder / "bengkulu-fast.yaml"
    jurisdiction.write_text(DEFAULT_JURISDICTION.read_text() + FAST)
    mine = stack.model_copy(update={
        "jurisdiction_file": jurisdiction, "topic_prefix": f"{stack.topic_prefix}fast.",
        "index_prefix": f"{stack.index_prefix}fast-", "app_id": f"{stack.app_id}-fast",
        "api_port": free_port(), "worker_web_port": free_port(), "sla_tick_s": 0.5,
    })
    bootstrap(mine, log=lambda m: None)
    worker = Process("worker-fast", [sys.executable, "-m", "aduan.cli", "worker"], settings_env(mine), logs_dir)
    api = start_api(mine, logs_dir, name="api-fast")
    yield mine
    api.stop()
    worker.stop()


def fired(es, settings, case_id: str) -> list[str]:
    """The alarms the case has recorded, in order (clock@start#level)."""
    return list(es.get(index=settings.indices.cases, id=case_id)["_source"]["state"]["sla_fired"])


def submit(client) -> str:
    response = client.post("/api/v1/complaints", json=BODY)
    assert response.status_code == 202, response.text
    return response.json()["tracking_id"]


def test_warnings_then_breach_for_an_untouched_case_none_when_resolved_or_paused(fast, es):
    officer = headers(fast, "officer", "PUPR-KOTA")
    with httpx.Client(base_url=fast.base_url, timeout=30) as client:
        untouched, resolved, waiting = submit(client), submit(client), submit(client)
        for case_id in (resolved, waiting):
            wait_for(lambda c=case_id: client.get(f"/api/v1/complaints/{c}").json()["status"] == "routed",
                     "case routed")
        assert client.post(f"/api/v1/officer/cases/{resolved}/actions", headers=officer,
                           json={"type": "resolve", "resolution": "Sudah diperbaiki."}).status_code == 202
        assert client.post(f"/api/v1/officer/cases/{waiting}/actions", headers=officer,
                           json={"type": "request_info", "question": "Nomor rumah?"}).status_code == 202

        # The untouched case: both warnings and the breach of its response clock, then of its resolution.
        def levels(case_id: str, clock: str) -> list[str]:
            return [key.split("#")[1] for key in fired(es, fast, case_id) if key.startswith(clock + "@")]

        wait_for(lambda: levels(untouched, "resolution") == ["warning-50", "warning-75", "breach"],
                 "the resolution breach of the untouched case", timeout_s=60)
        assert levels(untouched, "response") == ["warning-50", "warning-75", "breach"]
        source = es.get(index=fast.indices.cases, id=untouched)["_source"]
        breaches = [t for t in source["state"]["timeline"] if t["type"] == "sla.breached"]
        assert len(breaches) == 2 and not any(t["public"] for t in breaches)
        # The supervisor's breached queue finds it by an indexed field.
        es.indices.refresh(index=fast.indices.cases)
        found = es.search(index=fast.indices.cases, query={"term": {"breached": True}})["hits"]["hits"]
        assert untouched in {h["_id"] for h in found} and source["breached"] is True

        # By now (over 10 s on) the resolved case has no alarm at all, and the waiting one none for
        # resolution (its response clock was met by the question).
        assert fired(es, fast, resolved) == []
        assert levels(waiting, "resolution") == [] and levels(waiting, "response") == []
        view = client.get(f"/api/v1/complaints/{waiting}").json()
        assert {d["name"]: d["state"] for d in view["deadlines"]}["resolution"] == "paused"


def test_exactly_one_breach_when_the_worker_is_killed_before_the_deadline(stack, tmp_path, logs_dir, es):
    """SIGKILL the only worker after the clock started and before its deadline; the deadline passes while
    no worker runs; a new worker recovers the tables from their changelogs and records the breach once."""
    jurisdiction = tmp_path / "bengkulu-kill.yaml"
    jurisdiction.write_text(DEFAULT_JURISDICTION.read_text() + FAST.replace("response: {seconds: 6}",
                                                                             "response: {seconds: 12}"))
    mine = stack.model_copy(update={
        "jurisdiction_file": jurisdiction, "topic_prefix": f"{stack.topic_prefix}kill.",
        "index_prefix": f"{stack.index_prefix}kill-", "app_id": f"{stack.app_id}-kill",
        "api_port": free_port(), "worker_web_port": free_port(), "sla_tick_s": 0.5,
    })
    bootstrap(mine, log=lambda m: None)
    command = [sys.executable, "-m", "aduan.cli", "worker"]
    worker = Process("worker-kill-1", command, settings_env(mine), logs_dir)
    api = start_api(mine, logs_dir, name="api-kill")
    try:
        with httpx.Client(base_url=mine.base_url, timeout=30) as client:
            case_id = submit(client)
            wait_for(lambda: "response@" in " ".join(fired(es, mine, case_id)), "the first response warning")
            assert not any("#breach" in key for key in fired(es, mine, case_id))
            worker.kill()
            due = client.get(f"/api/v1/complaints/{case_id}").json()["deadlines"]
            response_due = next(d["due_at"] for d in due if d["name"] == "response")
            # Let the deadline pass with no worker running, then start a new one.
            import time
            from datetime import UTC, datetime

            wait_s = (datetime.fromisoformat(response_due) - datetime.now(UTC)).total_seconds() + 1
            time.sleep(max(0.0, wait_s))
            worker = Process("worker-kill-2", command, settings_env(mine), logs_dir)
            wait_for(lambda: any(k.startswith("response@") and k.endswith("#breach") for k in fired(es, mine, case_id)),
                     "the breach recorded by the restarted worker", timeout_s=90)
            time.sleep(3)  # any second firing would show by now (the timer ticks every 0.5 s)

        consumer = KafkaConsumer(mine.topics.events, bootstrap_servers=mine.kafka_bootstrap,
                                 auto_offset_reset="earliest", consumer_timeout_ms=3000)
        mine_events = [json.loads(m.value) for m in consumer if m.key == case_id.encode()]
        consumer.close()
        breaches = [e for e in mine_events if e["type"] == "sla.breached" and e["payload"]["clock"] == "response"]
        assert len(breaches) == 1, breaches
        assert [e["seq"] for e in mine_events] == sorted({e["seq"] for e in mine_events})  # no seq twice
    finally:
        api.stop()
        worker.stop()
