"""The case worker's tables in RocksDB, on the real stack (its own topics, consumer group and table folder):

- the batched case agent puts each case's table entries (state and deadline) in the changelog partition of
  the case, also when a batch spans partitions (faust writes to the partition of the *current event*);
- a RocksDB-backed worker SIGKILLed while routing and started again on the same folder loses nothing and
  decides nothing twice.

Submissions go straight to the submissions topic (as an import channel would), so the first batches are
full and span all the partitions."""

from __future__ import annotations

import hashlib
import json
import sys
import uuid
from collections import defaultdict
from datetime import UTC, datetime

import pytest
from kafka import KafkaProducer

from aduan.bootstrap import bootstrap
from config.jurisdiction_file import load_jurisdiction
from domain.case import submission_event
from domain.complaint import Complaint
from domain.ids import case_id_from_bytes
from producers.kafka import encode
from stream_processors.sla_timer import partition_of
from tests.support import Process, free_port, settings_env, topic_records, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARTITIONS = 4


@pytest.fixture
def mine(stack, tmp_path):
    run = uuid.uuid4().hex[:6]  # topics, group and tables of this test alone
    settings = stack.model_copy(update={
        "topic_prefix": f"{stack.topic_prefix}rocks{run}.", "index_prefix": f"{stack.index_prefix}rocks{run}-",
        "app_id": f"{stack.app_id}-rocks{run}", "partitions": PARTITIONS, "worker_store": "rocksdb",
        "worker_data_dir": tmp_path / "tables", "case_batch": 100, "worker_web_port": free_port(),
        "worker_metrics_port": 0})
    bootstrap(settings, log=lambda m: None)
    return settings


def submit(settings, labels: list[str], category: str = "jalan-jembatan") -> list[str]:
    """`complaint.submitted` events keyed by case id, acknowledged by Kafka; their case ids."""
    jurisdiction = load_jurisdiction(settings.jurisdiction_file)
    regions = [(r.code, d.code) for r in jurisdiction.regencies for d in r.districts]
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap.split(","), acks="all", linger_ms=20)
    ids = []
    try:
        for i, label in enumerate(labels):
            case_id = case_id_from_bytes(jurisdiction.case_prefix,
                                         hashlib.blake2b(f"{settings.app_id}/{label}".encode(), digest_size=8).digest())
            regency, district = regions[i % len(regions)]
            complaint = Complaint(category=category, regency=regency, district=district, channel="import",
                                  description=f"Jalan berlubang di depan rumah nomor {i}, mohon segera diperbaiki.")
            producer.send(settings.topics.submissions, key=case_id.encode(),
                          value=encode(submission_event(case_id, complaint, datetime.now(UTC))))
            ids.append(case_id)
        producer.flush(30)
    finally:
        producer.close(10)
    return ids


def case_worker(settings, logs_dir, name: str) -> Process:
    return Process(name, [sys.executable, "-m", "aduan.cli", "worker", "--role", "cases", "--no-sla-timer"],
                   settings_env(settings), logs_dir)


def events_by_case(settings) -> dict[str, list[dict]]:
    found = defaultdict(list)
    for record in topic_records(settings.kafka_bootstrap, settings.topics.events):
        event = json.loads(record.value)
        found[event["case_id"]].append(event)
    return found


def routed(settings, ids: list[str]) -> bool:
    events = events_by_case(settings)
    return all(any(e["seq"] >= 2 for e in events.get(case_id, ())) for case_id in ids)


def changelog_partitions(settings, table: str) -> dict[str, set[int]]:
    """Case id -> the partitions of the table's changelog holding an entry of it."""
    found = defaultdict(set)
    for record in topic_records(settings.kafka_bootstrap, f"{settings.app_id}-{table}-changelog"):
        found[json.loads(record.key)].add(record.partition)
    return found


def test_a_batch_spanning_partitions_writes_each_case_to_its_own_changelog_partition(mine, logs_dir):
    ids = submit(mine, [f"c{i}" for i in range(400)])
    assert len({partition_of(c, PARTITIONS) for c in ids}) == PARTITIONS  # the batches span every partition
    worker = case_worker(mine, logs_dir, "worker-rocks-changelog")
    try:
        wait_for(lambda: routed(mine, ids), "every case routed", 120)
        wait_for(lambda: set(changelog_partitions(mine, "cases")) >= set(ids), "every case in the changelog", 60)
    finally:
        worker.stop()
    for table in ("cases", "alarms"):
        where = changelog_partitions(mine, table)
        assert set(where) >= set(ids), f"{table}: cases with no entry"
        wrong = {c: sorted(p) for c, p in where.items() if p != {partition_of(c, PARTITIONS)}}
        assert not wrong, f"{table}: entries outside the case's partition: {dict(list(wrong.items())[:5])}"
    assert "could not be read after" not in worker.log_path.read_text(errors="replace")


def test_a_rocksdb_worker_killed_while_routing_loses_and_repeats_nothing(mine, logs_dir):
    first = submit(mine, [f"k{i}" for i in range(600)])
    worker = case_worker(mine, logs_dir, "worker-rocks-1")
    try:
        wait_for(lambda: sum(1 for c in events_by_case(mine).values() if any(e["seq"] >= 2 for e in c)) >= 100,
                 "a first part routed", 120)
        worker.kill()  # SIGKILL mid-stream: no last commit, RocksDB not closed
        assert list((mine.worker_data_dir / mine.app_id / "0").glob("v*/tables/cases-*.db")), "no RocksDB files"
        second = submit(mine, [f"k{i}" for i in range(600, 700)])  # more arrive while it is down
        worker = case_worker(mine, logs_dir, "worker-rocks-2")
        ids = first + second
        wait_for(lambda: routed(mine, ids), "every case routed after the restart", 180)
    finally:
        worker.stop()
    events = events_by_case(mine)
    assert set(events) == set(ids), "cases in the log that were never submitted, or submitted ones missing"
    for case_id in ids:
        by_seq = defaultdict(set)
        for event in events[case_id]:
            by_seq[event["seq"]].add(event["event_id"])
        assert sorted(by_seq) == list(range(1, len(by_seq) + 1)), f"{case_id}: a gap in its seqs {sorted(by_seq)}"
        assert all(len(v) == 1 for v in by_seq.values()), f"{case_id}: two different events at one seq"
    # The restarted worker took the folder the killed one had (its tables, brought up to date).
    assert (mine.worker_data_dir / mine.app_id / "0").is_dir()
    assert not (mine.worker_data_dir / mine.app_id / "1").exists()
