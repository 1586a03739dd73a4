"""Two workers sharing the partitions, one killed with SIGKILL under load: the other takes its partitions
over and routes every accepted case alone; the killed one is started again and the partitions spread over
both. Nothing lost, nothing duplicated, every SLA clock fires once; and the Prometheus series of a worker
and of the API after that traffic. Its own topics, indices, consumer group, workers and API (4 partitions).

Before the consumer guard (stream_processors/consumer_guard.py) about half the runs lost 20-odd cases here:
faust committed the records of a stale batch's jump as a "gap"."""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections import defaultdict

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from aduan.bootstrap import bootstrap
from config.settings import DEFAULT_JURISDICTION
from tests.integration.test_lifecycle import BODY
from tests.support import Process, free_port, settings_env, start_api, topic_records, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.workers]

# Cases of one category get a response clock of 25 s (warnings at 50% and 75%, then the breach); the other
# clocks keep working days: they do not fall due during the test.
SLA = """
sla:
  categories:
    ketertiban:
      dispatch: {seconds: 864000}
      response: {seconds: 25}
      resolution: {seconds: 864000}
"""
COUNT, RATE = 200, 20.0  # submissions, per second


def start_worker(settings, name: str, logs_dir) -> tuple[Process, int]:
    """A worker under a supervisor that starts it again when it exits, as in production: its watchdog exits
    on a stalled table recovery (stream_processors/watchdog.py)."""
    port = free_port()
    env = settings_env(settings.model_copy(update={"worker_web_port": free_port(), "worker_metrics_port": port}))
    return Process(name, [sys.executable, "-m", "aduan.cli", "worker"], env, logs_dir).supervise(), port


def metrics_of(port: int) -> dict[tuple[str, frozenset], float]:
    """A worker's /metrics, parsed: (sample name, its labels) -> value."""
    return parse(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), -1.0)


def held_partitions(samples: dict, topic: str) -> set[str]:
    return {dict(labels)["partition"] for name, labels in samples
            if name == "aduan_consumer_lag" and dict(labels).get("topic") == topic}


def explain_unrouted(settings, es, accepted: list[str]) -> str:
    """What the log and the index hold of the cases not routed: for the failure message."""
    docs = {d["_id"]: d for d in es.mget(index=settings.indices.cases, ids=accepted)["docs"]}
    missing = [cid for cid in accepted if not docs[cid].get("found") or docs[cid]["_source"]["seq"] < 2]
    events = defaultdict(list)
    for record in topic_records(settings.kafka_bootstrap, settings.topics.events):
        event = json.loads(record.value)
        events[event["case_id"]].append((record.partition, record.offset, event["seq"], event["type"]))
    submitted = {record.key.decode(): (record.partition, record.offset)
                 for record in topic_records(settings.kafka_bootstrap, settings.topics.submissions)}
    lines = [f"{len(missing)} cases not routed:"]
    for cid in missing[:20]:
        doc = docs[cid].get("_source") or {}
        lines.append(f"  {cid}: index seq={doc.get('seq')} status={doc.get('status')}; submission at "
                     f"{submitted.get(cid)}; events {events.get(cid)}")
    return "\n".join(lines)


@pytest.fixture
def pair(stack, tmp_path, logs_dir):
    jurisdiction = tmp_path / "bengkulu-two.yaml"
    jurisdiction.write_text(DEFAULT_JURISDICTION.read_text() + SLA)
    mine = stack.model_copy(update={
        "jurisdiction_file": jurisdiction, "topic_prefix": f"{stack.topic_prefix}two.",
        "index_prefix": f"{stack.index_prefix}two-", "app_id": f"{stack.app_id}-two", "partitions": 4,
        "api_port": free_port(), "sla_tick_s": 0.5, "session_timeout_s": 8.0, "worker_stall_timeout_s": 20.0})
    bootstrap(mine, log=lambda m: None)
    started: list[Process] = []
    yield mine, started
    for proc in started:
        proc.stop()


def test_a_worker_killed_under_load_loses_and_duplicates_nothing(pair, es, logs_dir):
    mine, started = pair
    first, first_port = start_worker(mine, "worker-two-1", logs_dir)
    second, second_port = start_worker(mine, "worker-two-2", logs_dir)
    started += [first, second]
    api = start_api(mine, logs_dir, name="api-two")
    started.append(api)
    inputs = mine.topics.submissions
    wait_for(lambda: held_partitions(metrics_of(first_port), inputs) and held_partitions(metrics_of(second_port),
                                                                                           inputs),
             "both workers holding partitions", timeout_s=90)

    accepted: list[str] = []
    refused: list[int] = []

    def load() -> None:
        with httpx.Client(base_url=mine.base_url, timeout=30) as client:
            for n in range(COUNT):
                body = {**BODY, "category": "ketertiban" if n % 2 else "jalan-jembatan",
                        "description": f"Pedagang kaki lima menutup trotoar di depan toko nomor {n}.",
                        "client_request_id": uuid.uuid4().hex}
                answer = client.post("/api/v1/complaints", json=body)
                (accepted.append(answer.json()["tracking_id"]) if answer.status_code == 202
                 else refused.append(answer.status_code))
                time.sleep(1 / RATE)

    loader = threading.Thread(target=load)
    loader.start()
    # Killed while both are working: each has processed cases of its own partitions.
    wait_for(lambda: len(accepted) >= COUNT // 4 and all(
        value(metrics_of(port), "aduan_events_processed_total", agent="case_agent") > 0
        for port in (first_port, second_port)), "both workers processing", timeout_s=60)
    first.kill()  # SIGKILL: no shutdown, no commit; its partitions move to the other worker
    loader.join(timeout=120)
    assert not loader.is_alive() and not refused, refused
    assert len(accepted) == COUNT == len(set(accepted))

    # Every accepted case reaches the index, routed, once.
    def all_routed() -> bool:
        docs = es.mget(index=mine.indices.cases, ids=accepted)["docs"]
        return all(d.get("found") and d["_source"]["seq"] >= 2 for d in docs)

    # The survivor takes the killed worker's partitions over (after the session timeout) and routes every
    # accepted case alone.
    try:
        wait_for(all_routed, "the survivor routing every accepted case alone", timeout_s=120)
    except AssertionError:
        print(f"the survivor's log:\n{second.tail(20)}\n{explain_unrouted(mine, es, accepted)}")
        raise
    print(f"the survivor routed every case alone (restarted by its supervisor after exits {second.exits})")
    # Then the killed worker is started again, as a supervisor would: the partitions spread over both (below).
    again, again_port = start_worker(mine, "worker-two-1-again", logs_dir)
    started.append(again)
    es.indices.refresh(index=mine.indices.cases)
    assert es.count(index=mine.indices.cases)["count"] == COUNT  # no case twice, none extra

    # Every response clock of the fast category breaches, once.
    fast = accepted[1::2]

    def all_breached() -> bool:
        docs = es.mget(index=mine.indices.cases, ids=fast)["docs"]
        return all(any(k.startswith("response@") and k.endswith("#breach") for k in d["_source"]["state"]["sla_fired"])
                   for d in docs)

    wait_for(all_breached, "every fast response clock breached", timeout_s=180)

    # The log itself: per case one event per seq (a replayed message repeats the same event, same id),
    # seqs contiguous from 1, each SLA alarm recorded by exactly one event.
    ids_at: dict[tuple[str, int], set[str]] = defaultdict(set)
    alarm_events: dict[str, set[str]] = defaultdict(set)
    for record in topic_records(mine.kafka_bootstrap, mine.topics.events):
        event = json.loads(record.value)
        ids_at[(event["case_id"], event["seq"])].add(event["event_id"])
        if "alarm" in event["payload"]:
            alarm_events[f"{event['case_id']}/{event['payload']['alarm']}"].add(event["event_id"])
    assert all(len(ids) == 1 for ids in ids_at.values()), "two different events at one seq"
    seqs: dict[str, list[int]] = defaultdict(list)
    for case_id, seq in ids_at:
        seqs[case_id].append(seq)
    assert set(seqs) == set(accepted)
    assert all(sorted(s) == list(range(1, len(s) + 1)) for s in seqs.values()), "a gap in a case's seqs"
    assert all(len(ids) == 1 for ids in alarm_events.values()), "an SLA alarm recorded twice"
    breaches = [key for key in alarm_events if key.endswith("#breach")]
    assert len(breaches) == len(fast)

    print(f"exits of the workers, started again by their supervisor: {second.exits}, {again.exits}")
    for proc in (first, second, again):  # the consumer guard never had to give records up for lost
        assert "could not be read after" not in proc.log_path.read_text(errors="replace"), proc.name
    # The restarted worker took partitions back.
    wait_for(lambda: held_partitions(metrics_of(again_port), inputs), "the restarted worker holding partitions",
             timeout_s=90)
    wait_for(lambda: len(held_partitions(metrics_of(second_port), inputs)) < mine.partitions,
             "the partitions spread over both workers", timeout_s=60)
    # Every case still has a clock running (resolution, at least); each is counted once, by the worker whose
    # partition holds it, not again by the other's standby copy of that partition.
    wait_for(lambda: sum(value(metrics_of(port), "aduan_open_sla_clocks") for port in (second_port, again_port))
             == COUNT, "the open SLA clocks of both workers adding up to the open cases", timeout_s=30)

    # The series of a worker after that traffic.
    samples = metrics_of(second_port)
    assert value(samples, "aduan_events_processed_total", agent="case_agent") > 0
    assert value(samples, "aduan_events_processed_total", agent="projection_agent") > 0
    assert value(samples, "aduan_sla_alarms_fired_total", level="breach") > 0
    assert value(samples, "aduan_sla_alarms_fired_total", level="warning") > 0
    assert value(samples, "aduan_dead_letters_total", agent="case_agent") == 0
    assert value(samples, "aduan_events_failed_total", agent="projection_agent") == 0
    assert value(samples, "aduan_open_sla_clocks") >= 0
    assert held_partitions(samples, mine.topics.events)

    # And of the API that took the submissions.
    api_samples = parse(httpx.get(f"{mine.base_url}/metrics", timeout=5).text)
    post = {"route": "/api/v1/complaints", "method": "POST"}
    assert value(api_samples, "aduan_http_requests_total", **post, status="202") == COUNT
    assert value(api_samples, "aduan_http_request_duration_seconds_count", **post) == COUNT
    assert value(api_samples, "aduan_submissions_total", outcome="accepted") == COUNT
    assert value(api_samples, "aduan_submissions_total", outcome="unavailable") == 0
