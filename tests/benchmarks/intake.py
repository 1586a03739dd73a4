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
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import httpx
from elasticsearch import Elasticsearch, helpers
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient

from aduan.bootstrap import bootstrap
from config.jurisdiction_file import load_jurisdiction
from config.settings import Settings
from domain.case import replay, submission_event
from domain.complaint import Complaint
from domain.lifecycle import decide_submission
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


class RoutedWatcher(threading.Thread):
    """Polls the index (realtime mget) for sampled cases while submissions go on, and notes when
    each is first seen routed: the latency from submission to routed-in-the-index."""

    def __init__(self, es: Elasticsearch, alias: str) -> None:
        super().__init__(daemon=True)
        self._es, self._alias = es, alias
        self._pending: dict[str, float] = {}
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.latencies: list[float] = []
        self.error: Exception | None = None

    def watch(self, tracking_id: str, sent: float) -> None:
        with self._lock:
            self._pending[tracking_id] = sent

    def finish(self, timeout_s: float) -> None:
        """Stop once nothing is pending, or fail after timeout_s."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and (self._pending and self.error is None):
            time.sleep(0.1)
        self._done.set()
        self.join(10)
        if self.error:
            raise self.error
        if self._pending:
            raise TimeoutError(f"{len(self._pending)} sampled cases not routed after {timeout_s:.0f} s")

    def run(self) -> None:
        try:
            while not self._done.is_set():
                with self._lock:
                    ids = list(self._pending)
                for i in range(0, len(ids), 500):
                    docs = self._es.mget(index=self._alias, ids=ids[i:i + 500], realtime=True,
                                         source_includes=["status"])["docs"]
                    now = time.monotonic()
                    with self._lock:
                        for d in docs:
                            if d.get("found") and d["_source"]["status"] == "routed":
                                self.latencies.append(now - self._pending.pop(d["_id"]))
                time.sleep(0.05)
        except Exception as exc:  # noqa: BLE001 - reported by finish()
            self.error = exc


async def submit_all(base_url: str, bodies: list[dict], concurrency: int, watcher: RoutedWatcher,
                     sample_every: int, rate: float = 0) -> tuple[int, float]:
    """POST every body from `concurrency` clients; returns how many were accepted and the seconds it took.
    aiohttp is the client because it costs less CPU per request than httpx, and that CPU is taken
    from the same two cores as the pipeline under test."""
    queue: asyncio.Queue[tuple[int, dict]] = asyncio.Queue()
    for i, body in enumerate(bodies):
        queue.put_nowait((i, body))
    accepted = 0
    failures: list[str] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base_url, connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        async def run() -> None:
            nonlocal accepted
            while not queue.empty():
                i, body = queue.get_nowait()
                if rate:  # an open schedule: submission i is due at i / rate, however slow the answers
                    await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
                sent = time.monotonic()
                async with session.post("/api/v1/complaints", json=body) as response:
                    if response.status != 202:
                        failures.append(f"{response.status} {(await response.text())[:200]}")
                        continue
                    tracking_id = (await response.json())["tracking_id"]
                accepted += 1
                if accepted % sample_every == 0:
                    watcher.watch(tracking_id, sent)
                if accepted % 5000 == 0:
                    print(f"  … {accepted} accepted", flush=True)

        started = time.monotonic()
        await asyncio.gather(*(run() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    if failures:
        print(f"  {len(failures)} submissions failed, e.g. {failures[0]}")
    return accepted, elapsed


def wait_all_routed(es: Elasticsearch, alias: str, total: int, timeout_s: float) -> None:
    def all_routed() -> bool:
        es.indices.refresh(index=alias)
        return es.count(index=alias, query={"term": {"status": "routed"}})["count"] >= total

    wait_for(all_routed, f"all {total} cases routed", timeout_s=timeout_s, every_s=0.05)


def raw_ceilings(settings: Settings, bodies: list[dict]) -> dict[str, float]:
    """kafka-python produce and consume, and helpers.bulk, of the same payloads on the same stack."""
    jurisdiction = load_jurisdiction(settings.jurisdiction_file)
    now = datetime.now(UTC)
    events = [submission_event(f"BKL-RAW{i:08d}", Complaint(**b, channel="api"), now)
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
    docs = [case_document(replay(decide_submission(None, e, jurisdiction, now)), jurisdiction) for e in events]
    started = time.monotonic()
    ok, _ = helpers.bulk(es, ({"_index": index, "_id": d["case_id"] + str(i), "_source": d}
                              for i, d in enumerate(docs)), chunk_size=settings.projection_batch)
    bulk_s = time.monotonic() - started
    es.close()
    return {"produce": len(values) / produce_s, "consume": seen / consume_s, "bulk": ok / bulk_s}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its reaped children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cleanup(settings: Settings) -> None:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    ours = [t for t in admin.list_topics() if t.startswith(settings.topic_prefix) or t.startswith(settings.app_id)]
    if ours:
        admin.delete_topics(ours)
    admin.close()
    es = Elasticsearch(settings.es_hosts)
    delete_indices(es, settings.index_prefix)
    es.close()


def pipeline(args, workers: int) -> dict:
    """One run of the pipeline phase with `workers` worker processes, on topics and indices of its own."""
    run = uuid.uuid4().hex[:6]
    settings = Settings().model_copy(update={
        "topic_prefix": f"bench{run}.", "index_prefix": f"bench{run}-", "app_id": f"aduan-bench{run}",
        "partitions": args.partitions, "api_port": free_port(), "worker_web_port": free_port(),
        "submit_rate_limit": "1000000/minute",  # every benchmark client shares one address
        "media_dir": Path(tempfile.mkdtemp(prefix="aduan-bench-media-")),
    })
    bootstrap(settings, log=lambda m: None)
    logs = Path(tempfile.mkdtemp(prefix="aduan-bench-"))
    procs = [Process(f"worker-{n}", [sys.executable, "-m", "aduan.cli", "worker", "--loglevel=warn"],
                     settings_env(settings.model_copy(update={"worker_web_port": free_port(),
                                                              "worker_metrics_port": free_port()})), logs)
             for n in range(1, workers + 1)]
    api = start_api(settings, logs, extra_args=["--no-access-log"])
    es = Elasticsearch(settings.es_hosts, request_timeout=60)
    try:
        jurisdiction = load_jurisdiction(settings.jurisdiction_file)
        regions = [(r.code, d.code) for r in jurisdiction.regencies for d in r.districts]
        # Warm up: every worker has joined the group and cases route before the clock starts.
        warm_ids = []
        for body in payloads(4 * args.partitions, regions):
            warm = httpx.post(f"{settings.base_url}/api/v1/complaints", json=body, timeout=30)
            warm_ids.append(warm.json()["tracking_id"])

        def warm_routed() -> bool:
            for proc in procs:
                if not proc.alive():
                    raise SystemExit(f"a worker exited:\n{proc.tail()}")
            docs = es.mget(index=settings.indices.cases, ids=warm_ids)["docs"]
            return all(d.get("found") and d["_source"]["status"] == "routed" for d in docs)

        wait_for(warm_routed, "the warm-up cases routed", timeout_s=180)
        time.sleep(5 if workers > 1 else 0)  # let the group settle after the last join
        bodies = payloads(args.count, regions)
        print(f"pipeline with {workers} worker(s): {args.count} complaints, {args.concurrency} clients, "
              f"{args.partitions} partitions, rate {'as fast as possible' if not args.rate else f'{args.rate:g}/s'}",
              flush=True)
        pids = [p.proc.pid for p in procs]
        cpu_before = {"api": cpu_seconds(api.proc.pid), "workers": sum(cpu_seconds(pid) for pid in pids),
                      "client": time.process_time(), "machine": machine_busy_seconds()}
        watcher = RoutedWatcher(es, settings.indices.cases)
        watcher.start()
        started = time.monotonic()
        accepted, submit_s = asyncio.run(submit_all(settings.base_url, bodies, args.concurrency, watcher,
                                                    args.sample, args.rate))
        wait_all_routed(es, settings.indices.cases, accepted + len(warm_ids), args.timeout)
        routed_s = time.monotonic() - started
        watcher.finish(args.timeout)
        cpu = {"api": cpu_seconds(api.proc.pid), "workers": sum(cpu_seconds(pid) for pid in pids),
               "client": time.process_time(), "machine": machine_busy_seconds()}
        return {"workers": workers, "accepted": accepted, "submit_s": submit_s, "routed_s": routed_s,
                "latencies": watcher.latencies, "cpu": {k: cpu[k] - cpu_before[k] for k in cpu},
                "bodies": bodies, "settings": settings}
    finally:
        api.stop()
        for proc in procs:
            proc.stop()
        es.close()
        cleanup(settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20_000, help="complaints to push through (default 20000)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent HTTP clients (default 32)")
    parser.add_argument("--partitions", type=int, default=2, help="partitions of each topic (default 2)")
    parser.add_argument("--workers", default="1",
                        help="worker processes, or a comma-separated list to compare in one run, e.g. 1,2 "
                             "(default 1)")
    parser.add_argument("--sample", type=int, default=10, help="measure latency on 1 case in SAMPLE (default 10)")
    parser.add_argument("--rate", type=float, default=0,
                        help="submissions per second to aim at (default 0: as fast as the clients go); below "
                             "saturation the latency figures show the pipeline, not a queue")
    parser.add_argument("--timeout", type=float, default=900, help="give up after this many seconds (default 900)")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    if any(n < 1 or n > args.partitions for n in counts):
        parser.error(f"--workers must be between 1 and --partitions ({args.partitions})")

    runs = [pipeline(args, n) for n in counts]
    print("raw ceilings: the same payloads, same stack", flush=True)
    raw = raw_ceilings(runs[0]["settings"], runs[0]["bodies"])
    try:
        print("\n=== intake benchmark ===")
        for r in runs:
            latencies, cpu = r["latencies"], r["cpu"]
            print(f"--- {r['workers']} worker(s)")
            print(f"accepted (202)            {r['accepted'] / r['submit_s']:9.0f} complaints/s  "
                  f"({r['accepted']} in {r['submit_s']:.1f} s)")
            print(f"routed and indexed        {r['accepted'] / r['routed_s']:9.0f} complaints/s  "
                  f"(all in {r['routed_s']:.1f} s)")
            print(f"submission -> routed      p50 {pct(latencies, .5) * 1000:7.0f} ms   p99 "
                  f"{pct(latencies, .99) * 1000:7.0f} ms   (mean {statistics.fmean(latencies) * 1000:.0f} ms, "
                  f"{len(latencies)} sampled)")
            print(f"cpu seconds: API {cpu['api']:.1f}, workers {cpu['workers']:.1f}, benchmark client "
                  f"{cpu['client']:.1f}, whole machine {cpu['machine']:.1f}")
            print(f"ratio routed+indexed / bulk    {r['accepted'] / r['routed_s'] / raw['bulk']:.3f}")
        if len(runs) > 1:
            base = runs[0]["accepted"] / runs[0]["routed_s"]
            for r in runs[1:]:
                print(f"ratio routed+indexed, {r['workers']} workers / {runs[0]['workers']}: "
                      f"{r['accepted'] / r['routed_s'] / base:.2f}")
        print(f"raw kafka-python produce  {raw['produce']:9.0f} msg/s")
        print(f"raw kafka-python consume  {raw['consume']:9.0f} msg/s")
        print(f"raw helpers.bulk          {raw['bulk']:9.0f} docs/s")
        return 0
    finally:
        cleanup(runs[0]["settings"])


if __name__ == "__main__":
    raise SystemExit(main())
