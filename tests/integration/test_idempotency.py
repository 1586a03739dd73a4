"""`client_request_id` on the real stack: an identical repeat is the original 202 (and only it gets the secret),
other content under a used id is a 409 that names no case, and every 202 ends as exactly one case, across
repeats and a worker killed with SIGKILL while they arrive. Its own topics, indices, worker and API.

Before: a repeat with other content answered 202 with the first case's secret link, and the new complaint
went to the dead-letter topic (acknowledged, then lost)."""

from __future__ import annotations

import json
import sys
import uuid
from collections import Counter

import httpx
import pytest

from aduan.bootstrap import bootstrap
from tests.integration.test_lifecycle import BODY
from tests.support import Process, free_port, settings_env, start_api, topic_records, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def own(stack, logs_dir):
    mine = stack.model_copy(update={
        "topic_prefix": f"{stack.topic_prefix}idem.", "index_prefix": f"{stack.index_prefix}idem-",
        "app_id": f"{stack.app_id}-idem", "api_port": free_port(), "worker_web_port": free_port(),
        "session_timeout_s": 8.0})
    bootstrap(mine, log=lambda m: None)
    started: list[Process] = []
    yield mine, started
    for proc in started:
        proc.stop()


def body(n: int, request_id: str, words: str = "berlubang") -> dict:
    return {**BODY, "description": f"Jalan nomor {n} {words} dan tergenang air hujan.", "client_request_id": request_id}


def test_every_acknowledged_submission_is_one_case_across_repeats_conflicts_and_a_killed_worker(own, es, logs_dir):
    mine, started = own

    def worker(name: str) -> Process:
        env = settings_env(mine.model_copy(update={"worker_web_port": free_port()}))
        proc = Process(name, [sys.executable, "-m", "aduan.cli", "worker"], env, logs_dir)
        started.append(proc)
        return proc

    first = worker("worker-idem-1")
    started.append(start_api(mine, logs_dir, name="api-idem"))
    accepted: dict[str, tuple[str, str]] = {}  # client_request_id -> (tracking id, secret)
    with httpx.Client(base_url=mine.base_url, timeout=30) as client:
        def submit(n: int, request_id: str, words: str = "berlubang") -> httpx.Response:
            return client.post("/api/v1/complaints", json=body(n, request_id, words))

        ids = [f"idem-{uuid.uuid4().hex}" for _ in range(40)]
        for n, request_id in enumerate(ids[:20]):
            answer = submit(n, request_id)
            assert answer.status_code == 202, answer.text
            accepted[request_id] = (answer.json()["tracking_id"], answer.json()["secret"])
        wait_for(lambda: es.count(index=mine.indices.cases, query={"range": {"seq": {"gte": 2}}})["count"] >= 20,
                 "the first cases routed", timeout_s=90)

        first.kill()  # SIGKILL while nothing is committed past what it routed; more arrive while it is down
        for n, request_id in enumerate(ids):
            if request_id in accepted:
                again = submit(n, request_id)  # the same content: the same answer, secret included
                assert again.status_code == 202, again.text
                assert (again.json()["tracking_id"], again.json()["secret"]) == accepted[request_id]
                other = submit(n, request_id, words="tertimbun longsor")  # other content: refused, no case named
                assert other.status_code == 409, other.text
                assert accepted[request_id][0] not in other.text and "secret" not in other.json()
                assert "client_request_id" in other.json()["detail"]
            else:
                answer = submit(n, request_id)
                assert answer.status_code == 202, answer.text
                accepted[request_id] = (answer.json()["tracking_id"], answer.json()["secret"])
        second = worker("worker-idem-2")
        for n, request_id in enumerate(ids[20:], start=20):  # repeats reach the new worker too
            assert submit(n, request_id).json()["tracking_id"] == accepted[request_id][0]

    cases = {tracking_id for tracking_id, _ in accepted.values()}
    assert len(cases) == len(ids)

    def all_routed() -> bool:
        docs = es.mget(index=mine.indices.cases, ids=sorted(cases))["docs"]
        return all(d.get("found") and d["_source"]["seq"] >= 2 for d in docs)

    wait_for(all_routed, "every acknowledged case routed", timeout_s=120)
    assert second.alive()
    submitted = Counter()
    for record in topic_records(mine.kafka_bootstrap, mine.topics.events):
        event = json.loads(record.value)
        if event["type"] == "complaint.submitted":
            submitted[event["case_id"]] += 1
    assert set(submitted) == cases  # every 202 is a case, and nothing else is
    assert set(submitted.values()) == {1}  # each exactly once, the repeats and the replay after the kill included
    dead = list(topic_records(mine.kafka_bootstrap, mine.topics.dead_letter))
    assert dead == [], [r.value[:300] for r in dead]
    for tracking_id, _ in accepted.values():
        doc = es.get(index=mine.indices.cases, id=tracking_id)["_source"]
        assert "berlubang" in doc["state"]["complaint"]["description"]  # the first content, never the other
