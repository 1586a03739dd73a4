"""The intake benchmark: N complaints through the real path, beside the raw ceilings of the same stack.

Pipeline: POST /api/v1/complaints from concurrent clients -> Kafka -> case agent (routing) ->
cases.events -> projection agent -> Elasticsearch. Reported: complaints/s accepted (202), complaints/s
routed and indexed, and p50/p99 latency from submission to "routed" readable in the index (on a sample).
Raw ceilings, same run, same stack, same payloads: kafka-python produce and consume, helpers.bulk.
Ratios pipeline/raw make the figures mean something on a noisy machine.

Run with `make bench` (the stack is started and stopped around it) or, with the stack up,
`python -m tests.benchmarks.intake --count 2000`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from elasticsearch import Elasticsearch, helpers
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient

from aduan.bootstrap import bootstrap
from aduan.jurisdiction_file import load_jurisdiction
from aduan.settings import Settings
from domain.case import decide_submission, replay, submission_event
from domain.complaint import Complaint
from producers.kafka import encode
from search.documents import case_document
from search.indices import cases_index_body
from tests.support import Process, delete_indices, free_port, settings_env, start_api, wait_for

DESCRIPTIONS = [
    "Jalan di depan pasar berlubang besar dan tergenang air saat hujan, sudah dua motor jatuh.",
    "Sampah di TPS dekat rumah sudah seminggu tidak diangkut, bau menyengat dan banyak lalat.",
    "Lampu lalu lintas di simpang lima mati sejak tiga hari, lalu lintas macet dan rawan kecelakaan.",
    "Permukiman kami kebanjiran setiap hujan deras karena saluran air tersumbat sampah.",
]
CATEGORIES = ["jalan-jembatan", "sampah-kebersihan", "transportasi", "bencana"]


def payloads(count: int, regions: list[tuple[str, str]]) -> list[dict]:
    out = []
    for i in range(count):
        regency, district = regions[i % len(regions)]
        out.append({
            "category": CATEGORIES[i % len(CATEGORIES)],
            "description": DESCRIPTIONS[i % len(DESCRIPTIONS)],
            "regency": regency,
            "district": district,
            "client_request_id": f"bench-{uuid.uuid4()}",
        })
    return out


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def submit_all(base_url: str, bodies: list[dict], concurrency: int) -> tuple[list[tuple[str, float]], float]:
    """POST every body; returns [(tracking id, time submitted)] and the seconds it took."""
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    accepted: list[tuple[str, float]] = []
    failures: list[str] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        async def run() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                sent = time.monotonic()
                response = await client.post("/api/v1/complaints", json=body)
                if response.status_code == 202:
                    accepted.append((response.json()["tracking_id"], sent))
                else:
                    failures.append(f"{response.status_code} {response.text[:200]}")
                if len(accepted) % 2000 == 0 and accepted:
                    print(f"  … {len(accepted)} accepted", flush=True)

        started = time.monotonic()
        await asyncio.gather(*(run() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    if failures:
        print(f"  {len(failures)} submissions failed, e.g. {failures[0]}")
    return accepted, elapsed


def watch_routed(es: Elasticsearch, alias: str, sample: dict[str, float], total: int, started: float,
                 timeout_s: float) -> tuple[list[float], float]:
    """Latency submission -> routed-in-index for the sample (realtime mget); and when all N were routed."""
    pending = dict(sample)
    latencies: list[float] = []
    deadline = time.monotonic() + timeout_s
    all_routed_at = None
    while time.monotonic() < deadline and (pending or all_routed_at is None):
        ids = list(pending)
        for i in range(0, len(ids), 1000):
            docs = es.mget(index=alias, ids=ids[i:i + 1000], realtime=True, source_includes=["status"])["docs"]
            now = time.monotonic()
            for d in docs:
                if d.get("found") and d["_source"]["status"] == "routed":
                    latencies.append(now - pending.pop(d["_id"]))
        if all_routed_at is None:
            es.indices.refresh(index=alias)
            if es.count(index=alias, query={"term": {"status": "routed"}})["count"] >= total:
                all_routed_at = time.monotonic()
        time.sleep(0.1)
    if pending or all_routed_at is None:
        raise TimeoutError(f"{len(pending)} sampled cases not routed after {timeout_s:.0f} s")
    return latencies, all_routed_at - started


def raw_ceilings(settings: Settings, bodies: list[dict]) -> dict[str, float]:
    """kafka-python produce and consume, and helpers.bulk, of the same payloads on the same stack."""
    jurisdiction = load_jurisdiction(settings.jurisdiction_file)
    now = datetime.now(UTC)
    events = [submission_event(f"BKL-BENCH-{i:05d}"[:15], Complaint(**b, channel="api"), now)
              for i, b in enumerate(bodies)]
    values = [encode(e) for e in events]
    topic = f"{settings.topic_prefix}raw-ceiling"
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    from kafka.admin import NewTopic

    admin.create_topics([NewTopic(topic, settings.partitions, 1)])
    admin.close()

    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True,
                             linger_ms=5)
    started = time.monotonic()
    futures = [producer.send(topic, key=e.case_id.encode(), value=v) for e, v in zip(events, values, strict=True)]
    producer.flush(120)
    for f in futures:
        f.get(1)
    produce_s = time.monotonic() - started
    producer.close()

    consumer = KafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=10_000)
    started, seen = time.monotonic(), 0
    for _ in consumer:
        seen += 1
        if seen >= len(values):
            break
    consume_s = time.monotonic() - started
    consumer.close()

    es = Elasticsearch(settings.es_hosts, request_timeout=120)
    index = f"{settings.index_prefix}raw-ceiling"
    es.indices.create(index=index, **cases_index_body(1, 0))
    docs = [case_document(replay(decide_submission(None, e, jurisdiction, now))) for e in events]
    started = time.monotonic()
    ok, _ = helpers.bulk(es, ({"_index": index, "_id": d["case_id"] + str(i), "_source": d}
                              for i, d in enumerate(docs)), chunk_size=settings.projection_batch)
    bulk_s = time.monotonic() - started
    es.close()
    return {"produce": len(values) / produce_s, "consume": seen / consume_s, "bulk": ok / bulk_s}


def cleanup(settings: Settings) -> None:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    ours = [t for t in admin.list_topics() if t.startswith(settings.topic_prefix) or t.startswith(settings.app_id)]
    if ours:
        admin.delete_topics(ours)
    admin.close()
    es = Elasticsearch(settings.es_hosts)
    delete_indices(es, settings.index_prefix)
    es.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20_000, help="complaints to push through (default 20000)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent HTTP clients (default 32)")
    parser.add_argument("--partitions", type=int, default=2, help="partitions of each topic (default 2)")
    parser.add_argument("--sample", type=int, default=10, help="measure latency on 1 case in SAMPLE (default 10)")
    parser.add_argument("--timeout", type=float, default=900, help="give up after this many seconds (default 900)")
    args = parser.parse_args(argv)

    run = uuid.uuid4().hex[:6]
    settings = Settings().model_copy(update={
        "topic_prefix": f"bench{run}.", "index_prefix": f"bench{run}-", "app_id": f"aduan-bench{run}",
        "partitions": args.partitions, "api_port": free_port(), "worker_web_port": free_port(),
    })
    bootstrap(settings, log=lambda m: None)
    logs = Path(tempfile.mkdtemp(prefix="aduan-bench-"))
    worker = Process("worker", [sys.executable, "-m", "aduan.cli", "worker", "--loglevel=warning"],
                     settings_env(settings), logs)
    api = start_api(settings, logs)
    es = Elasticsearch(settings.es_hosts, request_timeout=60)
    try:
        jurisdiction = load_jurisdiction(settings.jurisdiction_file)
        regions = [(r.code, d.code) for r in jurisdiction.regencies for d in r.districts]
        # Warm up: the worker has joined its group and routes before the clock starts.
        warm = httpx.post(f"{settings.base_url}/api/v1/complaints", json=payloads(1, regions)[0], timeout=30)
        warm_id = warm.json()["tracking_id"]
        wait_for(lambda: es.get(index=settings.indices.cases, id=warm_id)["_source"]["status"] == "routed",
                 "the warm-up case routed", timeout_s=120)

        bodies = payloads(args.count, regions)
        print(f"pipeline: {args.count} complaints, {args.concurrency} clients, {args.partitions} partitions")
        started = time.monotonic()
        accepted, submit_s = asyncio.run(submit_all(settings.base_url, bodies, args.concurrency))
        sample = {tid: sent for i, (tid, sent) in enumerate(accepted) if i % args.sample == 0}
        latencies, routed_s = watch_routed(es, settings.indices.cases, sample, len(accepted) + 1, started,
                                           args.timeout)
        accepted_rate = len(accepted) / submit_s
        routed_rate = len(accepted) / routed_s

        print("raw ceilings: the same payloads, same stack")
        raw = raw_ceilings(settings, bodies)

        print("\n=== intake benchmark ===")
        print(f"accepted (202)            {accepted_rate:9.0f} complaints/s  ({len(accepted)} in {submit_s:.1f} s)")
        print(f"routed and indexed        {routed_rate:9.0f} complaints/s  (all in {routed_s:.1f} s)")
        print(f"submission -> routed      p50 {pct(latencies, .5) * 1000:7.0f} ms   p99 "
              f"{pct(latencies, .99) * 1000:7.0f} ms   (mean {statistics.fmean(latencies) * 1000:.0f} ms, "
              f"{len(latencies)} sampled)")
        print(f"raw kafka-python produce  {raw['produce']:9.0f} msg/s")
        print(f"raw kafka-python consume  {raw['consume']:9.0f} msg/s")
        print(f"raw helpers.bulk          {raw['bulk']:9.0f} docs/s")
        print(f"ratio accepted / produce       {accepted_rate / raw['produce']:.3f}")
        print(f"ratio routed+indexed / bulk    {routed_rate / raw['bulk']:.3f}")
        print(f"ratio routed+indexed / consume {routed_rate / raw['consume']:.3f}")
        return 0
    finally:
        api.stop()
        worker.stop()
        es.close()
        cleanup(settings)


if __name__ == "__main__":
    raise SystemExit(main())
