"""The intake benchmark: Aduan's intake and pipeline beside the bare ceilings of the same stack, in one run.

Everything runs on the same Kafka broker and Elasticsearch node, on topics, consumer groups and indices of this
run's own prefix (deleted at the end), with the same payloads: COUNT complaints made from 44 distinct Indonesian
texts (tests.benchmarks.common.COMPLAINTS) over every district of the jurisdiction.

Bare ceilings, what the libraries alone do with the same records:
  kafka-python produce / consume   the submission events, acks=all and idempotent, then read back
  bare faust                       a faust app of its own (tests.benchmarks.bare_faust, a subprocess) reading
                                   that topic, same partitions, one table write per record
  bare FastAPI                     uvicorn on 127.0.0.1 (tests.benchmarks.bare_api, a subprocess): validates the
                                   body with the API's own model (ComplaintCreate), produces it with the API's
                                   producer and settings; driven by the same load client as the API
  helpers.bulk                     the cases' documents, built by search.documents (timed) and bulk-indexed
Aduan's figures:
  api_per_s          202s per second from the real API (`aduan api`), CONCURRENCY clients in a closed loop,
                     a real worker routing and indexing at the same time
  routed_per_s       the same COUNT complaints routed and visible in the index, per second, end to end (first
                     submission to the last case found routed)
  p50_ms / p99_ms    submission to visible in the officer queue (a search, as the queue reads it: status
                     open, no forced refresh), OPEN LOOP at half the measured saturation rate (or --rate):
                     each submission is sent at its scheduled time whatever the earlier answers do, and its
                     latency counts from that scheduled time (no coordinated omission)
  cases_alone_per_s  submissions already on a topic, a worker of role `cases` started afterwards: its rate
  projection_per_s   case events already on a topic, a worker of role `projection` started afterwards: the
                     rate at which it indexes them all
  cpu_ms_per_complaint  CPU time per complaint of each process (API, each worker, this client) and of the
                     whole machine (/proc/stat), during the closed-loop run; and of the processes of the
                     other phases
Ratios (Aduan / bare): api_vs_bare, pipeline_vs_bare_faust (routed_per_s / bare faust), projection_vs_bulk,
cases_vs_bare_faust.

Worker roles (`aduan worker --role ...`) are used where the CLI has them; without them each worker is a plain
`aduan worker` on topics where the other roles find nothing to do, and the output says so.

The last line is `BENCH {json}`. Run with `make bench` or, with the stack up,
`python -m tests.benchmarks.intake --count 2000`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import httpx
from elasticsearch import Elasticsearch, helpers
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from pydantic import SecretStr

from aduan.bootstrap import bootstrap
from config.jurisdiction_file import load_jurisdiction
from config.settings import Settings
from domain.case import replay, submission_event
from domain.complaint import Complaint
from domain.ids import case_id_from_bytes
from domain.jurisdiction import Jurisdiction
from domain.lifecycle import decide_submission
from producers.kafka import encode
from search.documents import index_action
from search.indices import cases_index_body
from search.queue import OPEN
from tests.benchmarks.common import (
    COMPLAINTS,
    DESCRIPTIONS,
    bench_line,
    case_sealer,
    cleanup,
    cpu_seconds,
    machine_busy_seconds,
    pct,
    pythonpath,
    ratio,
    remove_faust_dirs,
    roles_supported,
    start_worker,
    stop_process,
    wait_for_changelogs,
)
from tests.support import Process, free_port, settings_env, start_api, wait_for

__all__ = ["DESCRIPTIONS", "pct", "main"]  # DESCRIPTIONS and pct: older imports of the other benchmarks

OPEN_STATUSES = [s.value for s in OPEN]


# --- payloads ---------------------------------------------------------------------------------------------------

def regions_of(jurisdiction: Jurisdiction) -> list[tuple[str, str]]:
    return [(r.code, d.code) for r in jurisdiction.regencies for d in r.districts]


REQUEST_IDS = True  # --no-request-ids: bodies without a client_request_id


def payloads(count: int, regions: list[tuple[str, str]], tag: str) -> list[dict]:
    """COUNT request bodies as a citizen's app sends them: the texts in turn, every district in turn (the two
    cycles are coprime, so text and place combine differently), a client request id each."""
    out = []
    for i in range(count):
        category, description = COMPLAINTS[i % len(COMPLAINTS)]
        regency, district = regions[(i * 7) % len(regions)]
        body = {"category": category, "description": description, "regency": regency, "district": district}
        if REQUEST_IDS:
            body["client_request_id"] = f"bench-{tag}-{i}-{secrets.token_hex(4)}"
        out.append(body)
    return out


def submission_events(bodies: list[dict], prefix: str, run: str, sealer=None) -> list[tuple[str, bytes]]:
    """(case id, encoded complaint.submitted event) of each body, as the intake makes them (sealed by `sealer`,
    the case's data key made, as the intake does)."""
    now = datetime.now(UTC)
    out = []
    for i, body in enumerate(bodies):
        fields = {k: v for k, v in body.items() if k != "client_request_id"}
        case_id = case_id_from_bytes(prefix, hashlib.blake2b(f"{run}/{i}".encode(), digest_size=8).digest())
        event = submission_event(case_id, Complaint(**fields, channel="api"), now)
        out.append((case_id, sealer.event_bytes(event) if sealer is not None else encode(event)))
    return out


# --- watching the index -------------------------------------------------------------------------------------

class QueueWatcher(threading.Thread):
    """Searches the cases index, as the officer queue does (a search: what a refresh made visible, status open),
    for the watched cases while submissions go on, and notes when each is first found: its latency is that
    instant minus the time given to `watch` (the scheduled send time)."""

    def __init__(self, es: Elasticsearch, alias: str, every_s: float = 0.05) -> None:
        super().__init__(daemon=True, name="queue-watcher")
        self._es, self._alias, self._every_s = es, alias, every_s
        self._pending: dict[str, float] = {}
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.latencies: list[float] = []
        self.error: Exception | None = None

    def watch(self, tracking_id: str, since: float) -> None:
        with self._lock:
            self._pending[tracking_id] = since

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def finish(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.pending() and self.error is None:
            time.sleep(0.1)
        self._done.set()
        self.join(10)
        if self.error:
            raise self.error
        if self._pending:
            raise TimeoutError(f"{len(self._pending)} cases not visible in the queue after {timeout_s:.0f} s")

    def run(self) -> None:
        try:
            while not self._done.is_set():
                with self._lock:
                    ids = list(self._pending)
                for i in range(0, len(ids), 1000):
                    chunk = ids[i:i + 1000]
                    hits = self._es.search(index=self._alias, size=len(chunk), source=False, query={"bool": {
                        "filter": [{"ids": {"values": chunk}}, {"terms": {"status": OPEN_STATUSES}}]}})["hits"]["hits"]
                    now = time.monotonic()
                    with self._lock:
                        for h in hits:
                            since = self._pending.pop(h["_id"], None)
                            if since is not None:
                                self.latencies.append(now - since)
                time.sleep(self._every_s)
        except Exception as exc:  # noqa: BLE001 - reported by finish()
            self.error = exc


def routed_count(es: Elasticsearch, alias: str) -> int:
    es.indices.refresh(index=alias)
    return es.count(index=alias, query={"term": {"status": "routed"}})["count"]


# --- load clients -------------------------------------------------------------------------------------------

@dataclass
class Load:
    accepted: int = 0
    elapsed_s: float = 0.0
    tracking_ids: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    http_latencies: list[float] = field(default_factory=list)  # from the scheduled send time to the answer
    send_lateness: list[float] = field(default_factory=list)  # how late the client itself sent (open loop)

    @property
    def per_s(self) -> float:
        return self.accepted / self.elapsed_s if self.elapsed_s else 0.0


def _session(base_url: str, limit: int) -> aiohttp.ClientSession:
    # aiohttp costs less CPU per request than httpx: that CPU comes from the same cores as the system measured.
    return aiohttp.ClientSession(base_url, connector=aiohttp.TCPConnector(limit=limit),
                                 timeout=aiohttp.ClientTimeout(total=60))


async def closed_loop(base_url: str, bodies: list[dict], concurrency: int, note_every: int = 5000) -> Load:
    """CONCURRENCY clients, each posting its next body as soon as the last one was answered: saturation."""
    load = Load()
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    async with _session(base_url, concurrency) as session:
        async def client() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                async with session.post("/api/v1/complaints", json=body) as response:
                    if response.status != 202:
                        load.failures.append(f"{response.status} {(await response.text())[:200]}")
                        continue
                    load.tracking_ids.append((await response.json())["tracking_id"])
                load.accepted += 1
                if load.accepted % note_every == 0:
                    print(f"  … {load.accepted} accepted", flush=True)

        started = time.monotonic()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        load.elapsed_s = time.monotonic() - started
    return load


async def open_loop(base_url: str, bodies: list[dict], rate: float, watcher: QueueWatcher | None,
                    sample_every: int = 1) -> Load:
    """Submission i is sent at start + i / rate, in a task of its own, whatever happened to the earlier ones;
    every latency counts from that scheduled time, so a stall delays the measurements it causes instead of
    the sending (no coordinated omission)."""
    load = Load()
    async with _session(base_url, 0) as session:
        async def one(i: int, body: dict, scheduled: float) -> None:
            load.send_lateness.append(time.monotonic() - scheduled)
            try:
                async with session.post("/api/v1/complaints", json=body) as response:
                    if response.status != 202:
                        load.failures.append(f"{response.status} {(await response.text())[:200]}")
                        return
                    tracking_id = (await response.json())["tracking_id"]
            except (aiohttp.ClientError, TimeoutError) as exc:
                load.failures.append(repr(exc))
                return
            load.http_latencies.append(time.monotonic() - scheduled)
            load.accepted += 1
            if watcher is not None and i % sample_every == 0:
                watcher.watch(tracking_id, scheduled)

        started = time.monotonic()
        tasks = []
        for i, body in enumerate(bodies):
            scheduled = started + i / rate
            delay = scheduled - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, body, scheduled)))
        await asyncio.gather(*tasks)
        load.elapsed_s = time.monotonic() - started
    return load


# --- the bare ceilings ---------------------------------------------------------------------------------------

def create_topic(settings: Settings, topic: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap.split(","))
    try:
        admin.create_topics([NewTopic(topic, settings.partitions, settings.replication_factor)])
    finally:
        admin.close()


def produce(settings: Settings, topic: str, records: list[tuple[str | bytes, bytes]],
            partitions: list[int | None] | None = None) -> float:
    """Produce `records` (key, value) with acks=all, idempotent, as Aduan's producers do; seconds taken."""
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap.split(","), acks="all",
                             enable_idempotence=True, linger_ms=5)
    failed: list[str] = []
    started = time.monotonic()
    for n, (key, value) in enumerate(records):
        future = producer.send(topic, key=key.encode() if isinstance(key, str) else key, value=value,
                               partition=partitions[n] if partitions else None)
        future.add_errback(lambda exc: failed.append(repr(exc)))
    producer.flush(300)
    took = time.monotonic() - started
    producer.close(10)
    if failed:
        raise RuntimeError(f"{len(failed)} sends to {topic} failed, e.g. {failed[0]}")
    return took


def consume(settings: Settings, topic: str, count: int, timeout_s: float) -> tuple[list, float]:
    """Read `count` records of `topic` from the beginning (no consumer group); (records, seconds)."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap.split(","), group_id=None,
                             enable_auto_commit=False, max_poll_records=5000)
    parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    records: list = []
    started = time.monotonic()
    deadline = started + timeout_s
    while len(records) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"read {len(records)} of {count} records of {topic} in {timeout_s:.0f} s")
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
    took = time.monotonic() - started
    consumer.close()
    return records, took


def bare_faust(settings: Settings, topic: str, count: int, folder: Path, app_id: str, timeout_s: float) -> dict:
    """The bare faust app on `topic` (already full): records/s from its first record to its COUNT-th."""
    out = folder / f"{app_id}.json"
    env = settings_env(settings)
    env["PYTHONPATH"] = pythonpath()
    proc = Process("bare-faust", [sys.executable, "-m", "tests.benchmarks.bare_faust", "--app-id", app_id,
                                  "--broker", settings.kafka_bootstrap, "--topic", topic,
                                  "--partitions", str(settings.partitions), "--count", str(count),
                                  "--out", str(out), "--store", settings.worker_store,
                                  "--datadir", str(folder / "data" / app_id),
                                  "--block-cache-mb", str(settings.worker_block_cache_mb)], env, folder)
    try:
        def done() -> bool:
            if not proc.alive():
                raise SystemExit(f"the bare faust app exited:\n{proc.tail()}")
            return out.exists()

        wait_for(done, "the bare faust app reading every record", timeout_s=timeout_s, every_s=0.1)
        result = json.loads(out.read_text())
    finally:
        stop_process(proc)
    span = result["last"] - result["first"]
    return {"per_s": (result["count"] - 1) / span if span > 0 else float("nan"),
            "cpu_ms": 1000 * result["cpu_s"] / max(1, result["count"] - 1),
            "store": settings.worker_store}


def bare_fastapi(settings: Settings, bodies: list[dict], concurrency: int, folder: Path, topic: str) -> dict:
    """The bare FastAPI app under the same closed-loop load as the API."""
    port = free_port()
    env = settings_env(settings)
    env.update({"PYTHONPATH": pythonpath(), "BENCH_BARE_TOPIC": topic})
    proc = Process("bare-api", [sys.executable, "-m", "uvicorn", "tests.benchmarks.bare_api:create_app",
                                "--factory", "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                                "--log-level", "warning"], env, folder)
    base = f"http://127.0.0.1:{port}"
    try:
        def ready() -> bool:
            if not proc.alive():
                raise SystemExit(f"the bare FastAPI app exited:\n{proc.tail()}")
            return httpx.get(f"{base}/healthz", timeout=2).status_code == 200

        wait_for(ready, "the bare FastAPI app", timeout_s=60)
        asyncio.run(closed_loop(base, bodies[:min(len(bodies), 4 * concurrency)], concurrency))  # warm-up
        cpu_before, machine_before = cpu_seconds(proc.proc.pid), machine_busy_seconds()
        load = asyncio.run(closed_loop(base, bodies, concurrency))
        cpu = cpu_seconds(proc.proc.pid) - cpu_before
        machine = machine_busy_seconds() - machine_before
    finally:
        stop_process(proc)
    if load.failures:
        print(f"  bare FastAPI: {len(load.failures)} failed, e.g. {load.failures[0]}", flush=True)
    return {"per_s": load.per_s, "accepted": load.accepted, "failures": len(load.failures),
            "cpu_ms": 1000 * cpu / max(1, load.accepted), "machine_cpu_ms": 1000 * machine / max(1, load.accepted)}


def bulk_ceiling(settings: Settings, jurisdiction: Jurisdiction, events: list[tuple[str, bytes]], sealer=None
                 ) -> dict:
    """helpers.bulk of the routed cases' documents, their building by search.documents included."""
    from domain.events import Event

    now = datetime.now(UTC)
    parse = sealer.event_from if sealer is not None else Event.model_validate_json
    cases = [replay(decide_submission(None, parse(v), jurisdiction, now)) for _, v in events]
    es = Elasticsearch(settings.es_hosts, request_timeout=120)
    index = f"{settings.index_prefix}bulk-ceiling"
    try:
        es.indices.create(index=index, **cases_index_body(settings.index_shards, settings.index_replicas))
        started = time.monotonic()
        cpu_before = time.process_time()
        ok, errors = helpers.bulk(es, (index_action(index, c, jurisdiction) for c in cases),
                                  chunk_size=settings.projection_batch, raise_on_error=False)
        took = time.monotonic() - started
        cpu = time.process_time() - cpu_before
        build_started = time.monotonic()
        for c in cases[:min(len(cases), 2000)]:
            index_action(index, c, jurisdiction)
        build_s = (time.monotonic() - build_started) * len(cases) / min(len(cases), 2000)
    finally:
        es.close()
    if errors:
        print(f"  helpers.bulk: {len(errors)} errors, e.g. {errors[0]}", flush=True)
    return {"per_s": ok / took, "build_share": build_s / took, "client_cpu_ms": 1000 * cpu / max(1, ok)}


# --- Aduan ----------------------------------------------------------------------------------------------------

def run_settings(base: Settings, run: str, folder: Path, tag: str, partitions: int) -> Settings:
    """Settings of one part of the run: topics, indices, group and data folder of its own."""
    stem = f"bench{run}{tag}"
    return base.model_copy(update={
        "topic_prefix": f"{stem}.", "index_prefix": f"{stem}-", "app_id": f"aduan-{stem}",
        "partitions": partitions, "api_port": free_port(), "worker_web_port": free_port(),
        "submit_rate_limit": "100000000/minute",  # every benchmark client comes from one address
        "media_dir": folder / f"media-{tag}", "worker_data_dir": folder / "data",
        # One accounts database for the run: the cases' data keys made by the intake (or by this benchmark for
        # the submissions it produces itself) are read by every worker of the run.
        "database_url": f"sqlite:///{folder / 'accounts.db'}",
        "secret_key": SecretStr(secrets.token_urlsafe(32)),
    })


def pipeline_roles(split: bool) -> list[str]:
    return ["cases", "projection", "sla"] if split and roles_supported() else ["all"]


def aduan_pipeline(args, settings: Settings, folder: Path, workers: int, latency: bool) -> dict:
    """The API and `workers` worker processes on this part's topics: a closed-loop run of COUNT complaints, then
    (when `latency`) the open-loop run at half the saturation rate."""
    jurisdiction = load_jurisdiction(settings.jurisdiction_file)
    regions = regions_of(jurisdiction)
    bootstrap(settings, log=lambda m: None)
    procs: list[Process] = []
    api: Process | None = None
    es = Elasticsearch(settings.es_hosts, request_timeout=60)
    try:
        roles = pipeline_roles(args.split_roles)
        stateful = [r for r in roles if r in ("cases", "all")]
        for n in range(workers):  # the case workers first (see wait_for_changelogs), sharing the partitions
            for role in stateful:
                procs.append(start_worker(settings, folder, f"worker{n + 1}", role, sla_timer="sla" not in roles))
        wait_for_changelogs(settings, procs)
        for role in roles:
            if role not in stateful:  # one projection and one SLA timer
                procs.append(start_worker(settings, folder, "worker1", role))
        api = start_api(settings, folder, extra_args=["--no-access-log"])

        # Warm up: the workers joined their groups and cases route and index before the clock starts.
        warm = [httpx.post(f"{settings.base_url}/api/v1/complaints", json=b, timeout=30).json()["tracking_id"]
                for b in payloads(4 * settings.partitions, regions, "warm")]

        def warm_routed() -> bool:
            for proc in procs:
                if not proc.alive():
                    raise SystemExit(f"a worker exited:\n{proc.tail()}")
            docs = es.mget(index=settings.indices.cases, ids=warm)["docs"]
            return all(d.get("found") and d["_source"]["status"] == "routed" for d in docs)

        wait_for(warm_routed, "the warm-up cases routed", timeout_s=180)
        time.sleep(5 if workers > 1 else 1)  # let the group settle after the last join
        bodies = payloads(args.count, regions, "load")
        print(f"aduan: {args.count} complaints, {args.concurrency} clients in a closed loop, {workers} case "
              f"worker(s), roles {'+'.join(roles)}", flush=True)
        pids = {p.name: p.proc.pid for p in procs}
        pids["api"] = api.proc.pid
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        cpu_before["client"], cpu_before["machine"] = time.process_time(), machine_busy_seconds()
        started = time.monotonic()
        load = asyncio.run(closed_loop(settings.base_url, bodies, args.concurrency))
        if load.failures:
            print(f"  {len(load.failures)} submissions failed, e.g. {load.failures[0]}", flush=True)
        total = load.accepted + len(warm)
        wait_for(lambda: routed_count(es, settings.indices.cases) >= total, f"all {total} cases routed",
                 timeout_s=args.timeout, every_s=0.1)
        routed_s = time.monotonic() - started
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        cpu["client"] = time.process_time() - cpu_before["client"]
        cpu["machine"] = machine_busy_seconds() - cpu_before["machine"]
        figures = {"workers": workers, "roles": roles, "accepted": load.accepted, "failures": len(load.failures),
                   "api_per_s": load.per_s, "submit_s": load.elapsed_s, "routed_s": routed_s,
                   "routed_per_s": load.accepted / routed_s,
                   "cpu_ms_per_complaint": {k: 1000 * v / max(1, load.accepted) for k, v in cpu.items()}}
        print(f"  {load.accepted} accepted in {load.elapsed_s:.1f} s ({load.per_s:.0f}/s), all routed and indexed "
              f"in {routed_s:.1f} s ({figures['routed_per_s']:.0f}/s)", flush=True)

        if latency:
            saturation = min(figures["api_per_s"], figures["routed_per_s"])
            rate = args.rate or saturation / 2
            n = max(20, min(args.latency_max, int(rate * args.latency_s)))
            print(f"aduan, open loop: {n} complaints at {rate:.0f}/s (half of {saturation:.0f}/s), submission "
                  "-> visible in the officer queue", flush=True)
            watcher = QueueWatcher(es, settings.indices.cases)
            watcher.start()
            timed = asyncio.run(open_loop(settings.base_url, payloads(n, regions, "open"), rate, watcher,
                                          args.sample))
            watcher.finish(args.timeout)
            lat = watcher.latencies
            figures.update({
                "latency_rate_per_s": rate, "latency_count": len(lat), "latency_failures": len(timed.failures),
                "p50_ms": 1000 * pct(lat, .5), "p99_ms": 1000 * pct(lat, .99), "max_ms": 1000 * max(lat),
                "mean_ms": 1000 * statistics.fmean(lat), "http_p50_ms": 1000 * pct(timed.http_latencies, .5),
                "http_p99_ms": 1000 * pct(timed.http_latencies, .99),
                "send_late_p99_ms": 1000 * pct(timed.send_lateness, .99),
            })
            if timed.failures:
                print(f"  {len(timed.failures)} failed, e.g. {timed.failures[0]}", flush=True)
        return figures
    finally:
        if api is not None:
            api.stop()
        for proc in procs:
            stop_process(proc)
        es.close()


def events_end(settings: Settings, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap.split(","), group_id=None)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(parts).values())
    finally:
        consumer.close()


def measure_rate(progress, total: int, proc: Process, what: str, timeout_s: float) -> tuple[float, float]:
    """Poll `progress()` every 0.1 s until it reaches `total`: (units/s between the first poll that saw any
    progress and the end, CPU seconds of `proc` over the same span)."""
    deadline = time.monotonic() + timeout_s
    first: tuple[float, int, float] | None = None
    while True:
        if not proc.alive():
            raise SystemExit(f"{proc.name} exited:\n{proc.tail()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done after {timeout_s:.0f} s")
        done = progress()
        now = time.monotonic()
        if first is None and done > 0:
            first = (now, done, cpu_seconds(proc.proc.pid))
        if done >= total:
            break
        time.sleep(0.1)
    assert first is not None
    span = now - first[0]
    cpu = cpu_seconds(proc.proc.pid) - first[2]
    if span <= 0:  # all of it between two polls
        return float("nan"), cpu
    return (total - first[1]) / span, cpu


def cases_alone(args, settings: Settings, folder: Path, events: list[tuple[str, bytes]]) -> dict:
    """Submissions already on the topic, then a worker of role `cases`: complaints routed per second."""
    bootstrap(settings, log=lambda m: None)
    produce(settings, settings.topics.submissions, events)
    base = events_end(settings, settings.topics.events)
    proc = start_worker(settings, folder, "cases-alone", "cases", sla_timer=False)
    try:
        # Two events per routed case (case.received... case.routed): counted on cases.events.
        per_s, cpu = measure_rate(lambda: (events_end(settings, settings.topics.events) - base) // 2, len(events),
                                  proc, "the cases worker", args.timeout)
    finally:
        stop_process(proc)
    return {"per_s": per_s, "cpu_ms": 1000 * cpu / len(events), "role": proc.role}


def projection_alone(args, source: Settings, settings: Settings, folder: Path) -> dict:
    """The pipeline's case events, copied to this part's topic (same partitions), then a worker of role
    `projection`: cases indexed per second until every case is routed in the index."""
    bootstrap(settings, log=lambda m: None)
    end = events_end(source, source.topics.events)
    records, _ = consume(source, source.topics.events, end, args.timeout)
    produce(settings, settings.topics.events, [(r.key, r.value) for r in records], [r.partition for r in records])
    cases = len({r.key for r in records})
    es = Elasticsearch(settings.es_hosts, request_timeout=60)
    proc = start_worker(settings, folder, "projection-alone", "projection")
    try:
        per_s, cpu = measure_rate(lambda: routed_count(es, settings.indices.cases), cases, proc,
                                  "the projection worker", args.timeout)
    finally:
        stop_process(proc)
        es.close()
    return {"per_s": per_s, "cases": cases, "events": len(records), "cpu_ms": 1000 * cpu / cases,
            "role": proc.role}


# --- the run --------------------------------------------------------------------------------------------------

def interrupted(signum, frame) -> None:
    """A SIGTERM to the benchmark ends it as Ctrl-C does: through the clean-up (its processes, topics, indices)."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20_000,
                        help="complaints of each closed-loop run and bare ceiling (default 20000)")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="concurrent HTTP clients of the closed-loop runs (default 32)")
    parser.add_argument("--partitions", type=int, default=2, help="partitions of each topic (default 2)")
    parser.add_argument("--workers", default="1",
                        help="case worker processes of the pipeline, or a comma-separated list to compare in one "
                             "run, e.g. 1,2: the first does the open-loop run too (default 1)")
    parser.add_argument("--split-roles", action=argparse.BooleanOptionalAction, default=True,
                        help="run the pipeline's worker as processes of roles cases (no SLA timer), projection and "
                             "sla, as compose and Kubernetes run them (default, where `aduan worker` has --role); "
                             "--no-split-roles: one process of role all")
    parser.add_argument("--rate", type=float, default=0,
                        help="arrival rate of the open-loop run, per second (default 0: half the saturation rate "
                             "measured by the closed-loop run)")
    parser.add_argument("--latency-s", type=float, default=30,
                        help="length of the open-loop run, in seconds at its rate (default 30)")
    parser.add_argument("--latency-max", type=int, default=20_000,
                        help="most complaints of the open-loop run (default 20000)")
    parser.add_argument("--sample", type=int, default=1,
                        help="measure latency on 1 open-loop complaint in SAMPLE (default 1: every one)")
    parser.add_argument("--bare", action=argparse.BooleanOptionalAction, default=True,
                        help="measure the bare ceilings (default on)")
    parser.add_argument("--alone", action=argparse.BooleanOptionalAction, default=True,
                        help="measure the cases and projection roles alone on events already on a topic "
                             "(default on)")
    parser.add_argument("--request-ids", action=argparse.BooleanOptionalAction, default=True,
                        help="give every body a client_request_id, as the citizen's app does (default on; the API "
                             "then claims it in its accounts database); --no-request-ids: without")
    parser.add_argument("--timeout", type=float, default=900,
                        help="longest wait of any one phase, in seconds (default 900)")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    if not counts or any(n < 1 or n > args.partitions for n in counts):
        parser.error(f"--workers must be between 1 and --partitions ({args.partitions})")
    if args.count < 1 or args.sample < 1:
        parser.error("--count and --sample must be at least 1")

    signal.signal(signal.SIGTERM, interrupted)
    global REQUEST_IDS
    REQUEST_IDS = args.request_ids
    run = secrets.token_hex(3)
    folder = Path(tempfile.mkdtemp(prefix="aduan-bench-intake-"))
    base = Settings()
    main_settings = run_settings(base, run, folder, "a", args.partitions)
    jurisdiction = load_jurisdiction(base.jurisdiction_file)
    regions = regions_of(jurisdiction)
    bodies = payloads(args.count, regions, "bare")
    sealer = case_sealer(main_settings)
    events = submission_events(bodies, jurisdiction.case_prefix, run, sealer)
    print(f"intake benchmark {run}: {args.count} complaints of {len(COMPLAINTS)} texts over {len(regions)} districts, "
          f"{args.partitions} partitions, worker store {base.worker_store}; roles "
          f"{'available' if roles_supported() else 'not in this checkout (plain aduan worker)'}; nproc "
          f"{os.cpu_count()}, load {' '.join(f'{v:.2f}' for v in os.getloadavg())}; logs in {folder}", flush=True)
    out: dict = {"run": run, "count": args.count, "partitions": args.partitions, "texts": len(COMPLAINTS),
                 "concurrency": args.concurrency, "worker_store": base.worker_store, "request_ids": args.request_ids,
                 "roles_supported": roles_supported(), "nproc": os.cpu_count()}
    stems = [f"bench{run}", f"aduan-bench{run}"]
    try:
        bare: dict = {}
        if args.bare:
            bare_settings = run_settings(base, run, folder, "b", args.partitions)
            topic = f"{bare_settings.topic_prefix}submissions"
            create_topic(bare_settings, topic)
            print("bare: kafka-python produce and consume", flush=True)
            produce_s = produce(bare_settings, topic, events)
            _, consume_s = consume(bare_settings, topic, len(events), args.timeout)
            bare["produce_per_s"], bare["consume_per_s"] = len(events) / produce_s, len(events) / consume_s
            print("bare: faust agent, one table write per record", flush=True)
            bare["faust"] = bare_faust(bare_settings, topic, len(events), folder, f"{bare_settings.app_id}-faust",
                                       args.timeout)
            print("bare: FastAPI, the same body model and producer", flush=True)
            api_topic = f"{bare_settings.topic_prefix}api"
            create_topic(bare_settings, api_topic)
            bare["fastapi"] = bare_fastapi(bare_settings, payloads(args.count, regions, "bareapi"),
                                           args.concurrency, folder, api_topic)
            print("bare: helpers.bulk of the documents, building them included", flush=True)
            bare["bulk"] = bulk_ceiling(bare_settings, jurisdiction, events, sealer)

        runs = [aduan_pipeline(args, main_settings if i == 0 else run_settings(base, run, folder, f"w{i}",
                                                                               args.partitions),
                               folder, n, latency=i == 0) for i, n in enumerate(counts)]
        first = runs[0]

        alone: dict = {}
        if args.alone:
            print("alone: submissions on the topic, then a worker of role cases", flush=True)
            alone["cases"] = cases_alone(args, run_settings(base, run, folder, "c", args.partitions), folder,
                                         events)
            print("alone: case events on the topic, then a worker of role projection", flush=True)
            alone["projection"] = projection_alone(args, main_settings,
                                                   run_settings(base, run, folder, "p", args.partitions), folder)

        # --- the table ---
        print("\n=== intake benchmark ===")
        print(f"{args.count} complaints ({len(COMPLAINTS)} texts), {args.partitions} partitions, {args.concurrency} "
              f"clients; worker store {base.worker_store}; nproc {os.cpu_count()}, load average "
              f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        rows: list[tuple[str, float | None, float | None, str]] = []  # label, aduan, bare, unit
        for r in runs:
            tag = f"{r['workers']} worker(s), {'+'.join(r['roles'])}"
            rows.append((f"API accepted (202) [{tag}]", r["api_per_s"], bare.get("fastapi", {}).get("per_s"),
                         "bare FastAPI"))
            rows.append((f"routed and indexed, end to end [{tag}]", r["routed_per_s"],
                         bare.get("faust", {}).get("per_s"), "bare faust"))
        if alone:
            rows.append((f"cases alone [{alone['cases']['role']}]", alone["cases"]["per_s"],
                         bare.get("faust", {}).get("per_s"), "bare faust"))
            rows.append((f"projection alone [{alone['projection']['role']}]", alone["projection"]["per_s"],
                         bare.get("bulk", {}).get("per_s"), "helpers.bulk + building"))
        width = max(len(label) for label, *_ in rows)
        print(f"{'':{width}} {'aduan/s':>9} {'bare/s':>9} {'ratio':>6}  bare ceiling")
        for label, mine, ceiling, name in rows:
            print(f"{label:{width}} {mine or 0:9.0f} {ceiling or 0:9.0f} {ratio(mine, ceiling) or 0:6.2f}  {name}")
        for r in runs:
            if r["routed_per_s"] > 0.9 * r["api_per_s"]:
                print(f"  ({r['workers']} worker(s): routed {r['routed_per_s']:.0f}/s against {r['api_per_s']:.0f}/s "
                      "accepted: the end-to-end rate is the API's; the worker's own is 'cases alone')")
        if bare:
            print(f"kafka-python produce {bare['produce_per_s']:.0f}/s, consume {bare['consume_per_s']:.0f}/s; bulk: "
                  f"building the documents is {100 * bare['bulk']['build_share']:.0f}% of its time; bare faust store "
                  f"{bare['faust']['store']}")
        if "p99_ms" in first:
            print(f"submission -> visible in the officer queue, open loop at {first['latency_rate_per_s']:.0f}/s: "
                  f"p50 {first['p50_ms']:.0f} ms, p99 {first['p99_ms']:.0f} ms, max {first['max_ms']:.0f} ms "
                  f"({first['latency_count']} cases, {first['latency_failures']} failed); 202 p50 "
                  f"{first['http_p50_ms']:.0f} ms, p99 {first['http_p99_ms']:.0f} ms; client sent up to "
                  f"{first['send_late_p99_ms']:.0f} ms late (p99)")
        for r in runs:
            cpu = r["cpu_ms_per_complaint"]
            print(f"CPU ms per complaint, {r['workers']} worker(s): "
                  + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()))
        if bare:
            print(f"CPU ms per complaint, bare: FastAPI {bare['fastapi']['cpu_ms']:.2f} (machine "
                  f"{bare['fastapi']['machine_cpu_ms']:.2f}), faust {bare['faust']['cpu_ms']:.2f}, bulk client "
                  f"{bare['bulk']['client_cpu_ms']:.2f}")
        if alone:
            print(f"CPU ms per complaint, alone: cases {alone['cases']['cpu_ms']:.2f}, projection "
                  f"{alone['projection']['cpu_ms']:.2f}")
        if not roles_supported():
            print("note: `aduan worker` has no --role here: every worker ran all roles in one process (the 'alone' "
                  "phases on topics where the other roles have nothing to do)")

        out.update({
            "api_per_s": first["api_per_s"], "routed_per_s": first["routed_per_s"],
            "p50_ms": first.get("p50_ms"), "p99_ms": first.get("p99_ms"), "max_ms": first.get("max_ms"),
            "latency_rate_per_s": first.get("latency_rate_per_s"),
            "http_p99_ms": first.get("http_p99_ms"),
            "failures": sum(r["failures"] for r in runs) + first.get("latency_failures", 0),
            "cpu_ms_per_complaint": first["cpu_ms_per_complaint"], "pipeline_roles": first["roles"],
            "bare_fastapi_per_s": bare.get("fastapi", {}).get("per_s"),
            "bare_faust_per_s": bare.get("faust", {}).get("per_s"),
            "bulk_per_s": bare.get("bulk", {}).get("per_s"),
            "kafka_produce_per_s": bare.get("produce_per_s"), "kafka_consume_per_s": bare.get("consume_per_s"),
            "projection_per_s": alone.get("projection", {}).get("per_s"),
            "cases_alone_per_s": alone.get("cases", {}).get("per_s"),
        })
        out["api_vs_bare"] = ratio(out["api_per_s"], out["bare_fastapi_per_s"])
        out["pipeline_vs_bare_faust"] = ratio(out["routed_per_s"], out["bare_faust_per_s"])
        out["projection_vs_bulk"] = ratio(out["projection_per_s"], out["bulk_per_s"])
        out["cases_vs_bare_faust"] = ratio(out["cases_alone_per_s"], out["bare_faust_per_s"])
        if alone:
            out["cpu_ms_per_complaint"] = {**out["cpu_ms_per_complaint"],
                                           "cases_alone": alone["cases"]["cpu_ms"],
                                           "projection_alone": alone["projection"]["cpu_ms"]}
        if bare:
            out["cpu_ms_per_complaint"]["bare_fastapi"] = bare["fastapi"]["cpu_ms"]
            out["cpu_ms_per_complaint"]["bare_faust"] = bare["faust"]["cpu_ms"]
        if len(runs) > 1:
            out["scaling"] = [{"workers": r["workers"], "api_per_s": r["api_per_s"],
                               "routed_per_s": r["routed_per_s"]} for r in runs]
        print(bench_line(out))
        return 0
    finally:
        cleanup(base.kafka_bootstrap, base.es_hosts, stems)
        remove_faust_dirs(stems)
        shutil.rmtree(folder / "data", ignore_errors=True)
        for media in folder.glob("media-*"):
            shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
