"""The queue benchmark: the officer workspace's queues on an index of N cases (default 1,000,000).

Load: N case documents go into a `cases` index of this run's own prefix (the real mapping, through
helpers.bulk). Each is a copy of one of a few hundred cases built by the domain itself (submission,
routing, acknowledgement, questions, resolution, a decline back to the coordinators...), with its own
tracking id, submission time spread over a year, nearest deadline (some past: breached), and assignee
among 40 officers per agency: the statuses, agencies and deadlines of a busy province.

Measured, side by side in one run, through a real API process (HTTP, bearer token, JSON out) and at the
search layer (`search.queue.read_queue`, Elasticsearch's own `took`):
- each queue view of an officer of the busiest agency and of a coordinator, with filters, text and a deep
  page; every answer also counts all six views (one search);
- baselines: the case page's read (`GET /api/v1/officer/cases/{id}`, a realtime get) and an unsorted,
  unfiltered 25-document search. Ratios queue / baseline say what the queue costs on this machine.

With the stack up: `python -m tests.benchmarks.queue --cases 20000`; `make bench-queue` starts and stops the
stack around it (`BENCH_ARGS="--cases 200000"`). The index is deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import hashlib
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from elasticsearch import AsyncElasticsearch, Elasticsearch, helpers
from pydantic import TypeAdapter

from config.jurisdiction_file import load_jurisdiction
from config.settings import Settings
from domain.case import Case, replay, submission_event
from domain.commands import Command
from domain.complaint import Complaint
from domain.events import Actor
from domain.ids import case_id_from_bytes
from domain.jurisdiction import Jurisdiction
from domain.lifecycle import decide, decide_submission
from search.documents import case_document
from search.indices import ensure_cases_index
from search.queue import QueueFilters, read_queue
from tests.benchmarks.common import DESCRIPTIONS, pct
from tests.support import delete_indices, free_port, staff_headers, start_api

OFFICERS_PER_AGENCY = 40
_command = TypeAdapter(Command).validate_python


def _act(jurisdiction: Jurisdiction, case: Case, events: list, kind: str, actor: Actor, at: datetime, n: int,
         **fields) -> Case:
    command = _command({"command_id": f"bench-{n:08d}", "case_id": case.case_id, "actor": actor.model_dump(),
                        "issued_at": at.isoformat(), "type": kind, **fields})
    events.extend(decide(case, command, jurisdiction, at))
    return replay(events)


def base_cases(jurisdiction: Jurisdiction, seed: int) -> list[Case]:
    """Cases in every status a queue shows, made by the domain's own decisions."""
    rng, out, n = random.Random(seed), [], 0
    t0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    regencies = [(r.code, r.districts[0].code) for r in jurisdiction.regencies]
    for category in jurisdiction.categories:
        for regency, district in regencies:
            for path in ("routed", "in_progress", "waiting", "resolved", "closed", "returned"):
                n += 1
                complaint = Complaint(category=category.code, regency=regency, district=district,
                                      description=rng.choice(DESCRIPTIONS), title=f"{category.name} di {regency}",
                                      channel="web")
                events = decide_submission(None, submission_event(f"BKL-BASE{n:06d}", complaint, t0), jurisdiction,
                                           t0)
                case = replay(events)
                officer = Actor(role="officer", id="petugas-0", agency=case.agency)
                at = t0 + timedelta(hours=3)
                steps = {"routed": [], "in_progress": ["acknowledge"], "waiting": ["acknowledge", "request_info"],
                         "resolved": ["acknowledge", "resolve"], "closed": ["acknowledge", "resolve", "accept"],
                         "returned": ["acknowledge", "not_our_authority"]}[path]
                fields = {"request_info": {"question": "Di mana tepatnya?"}, "accept": {"rating": 4},
                          "resolve": {"resolution": "Sudah ditangani."}, "not_our_authority": {"reason": "Bukan kami"}}
                for k, kind in enumerate(steps):
                    actor = Actor(role="citizen") if kind == "accept" else officer
                    case = _act(jurisdiction, case, events, kind, actor, at, n * 10 + k, **fields.get(kind, {}))
                out.append(case)
    return out


def documents(count: int, bases: list[Case], jurisdiction: Jurisdiction, now: datetime, seed: int):
    """`count` documents: copies of the base cases, each with its own id, times, deadline and assignee."""
    rng = random.Random(seed)
    templates = [case_document(c, jurisdiction) for c in bases]
    # Open cases dominate a real index less than closed ones; weight the statuses like a year of work.
    weights = {"routed": 6, "in_progress": 10, "waiting_on_citizen": 2, "resolved": 4, "closed": 70, "received": 1}
    chosen = [t for t in templates for _ in range(weights.get(t["status"], 1))]
    for i in range(count):
        doc = copy.copy(rng.choice(chosen))
        case_id = case_id_from_bytes("BKL", hashlib.blake2b(f"{seed}/{i}".encode(), digest_size=8).digest())
        submitted = now - timedelta(seconds=rng.uniform(0, 365 * 86_400))
        doc["case_id"] = case_id
        doc["submitted_at"] = submitted.isoformat()
        doc["updated_at"] = (submitted + timedelta(hours=3)).isoformat()
        if doc["status"] in ("routed", "in_progress", "waiting_on_citizen", "received"):
            # Open: the nearest deadline from 5 days ago to 20 days ahead; about a fifth past (breached).
            doc["due_at"] = (now + timedelta(seconds=rng.uniform(-5 * 86_400, 20 * 86_400))).isoformat()
            doc["breached"] = doc["due_at"] < now.isoformat()
        if doc["assignee"]:
            doc["assignee"] = f"petugas-{rng.randrange(OFFICERS_PER_AGENCY)}"
        yield {"_id": case_id, "_source": doc}


def load(es: Elasticsearch, alias: str, count: int, bases: list[Case], jurisdiction: Jurisdiction,
         now: datetime) -> float:
    index = ensure_cases_index(es, alias)
    es.indices.put_settings(index=index, settings={"refresh_interval": "-1"})
    started, done, last = time.monotonic(), 0, 0.0
    for ok, item in helpers.streaming_bulk(es, documents(count, bases, jurisdiction, now, seed=7), index=alias,
                                           chunk_size=2000, max_retries=3, raise_on_error=True):
        done += ok
        if time.monotonic() - last > 15:
            last = time.monotonic()
            print(f"  … {done} indexed ({done / (last - started):.0f}/s)", flush=True)
    took = time.monotonic() - started
    es.indices.put_settings(index=index, settings={"refresh_interval": "1s"})
    es.indices.refresh(index=alias)
    return took


def timed(samples: list[float], fn):
    started = time.perf_counter()
    result = fn()
    samples.append((time.perf_counter() - started) * 1000)
    return result


def report(name: str, wall: list[float], took: list[float] | None, baseline: float | None, extra: str = "") -> float:
    p50 = pct(wall, 0.5)
    ratio = f"  x{p50 / baseline:5.1f} of baseline" if baseline else ""
    es_took = f"  ES took p50 {pct(took, 0.5):6.1f} ms" if took else ""
    print(f"  {name:<46} p50 {p50:7.1f} ms  p99 {pct(wall, 0.99):7.1f} ms{es_took}{ratio}{extra}", flush=True)
    return p50


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in the index (default 1000000)")
    parser.add_argument("--queries", type=int, default=40, help="timed runs of each query (default 40)")
    parser.add_argument("--keep", action="store_true", help="keep the index at the end (it is deleted by default)")
    args = parser.parse_args(argv)

    run = hashlib.blake2b(os.urandom(8), digest_size=3).hexdigest()
    base = Settings()
    settings = base.model_copy(update={"index_prefix": f"benchq{run}-", "topic_prefix": f"benchq{run}.",
                                       "api_port": free_port(), "database_url": f"sqlite:///{tempfile.mkdtemp()}/a.db"})
    jurisdiction = load_jurisdiction(settings.jurisdiction_file)
    alias = settings.indices.cases
    now = datetime.now(UTC)
    print(f"queue benchmark {run}: {args.cases} cases, {args.queries} runs per query; nproc {os.cpu_count()}",
          flush=True)
    es = Elasticsearch(settings.es_hosts, request_timeout=300)
    api = None
    try:
        bases = base_cases(jurisdiction, seed=1)
        print(f"load: {len(bases)} base cases made by the domain, copied into {args.cases} documents", flush=True)
        load_s = load(es, alias, args.cases, bases, jurisdiction, now)
        stats = es.indices.stats(index=alias, metric=["docs", "store", "segments"])["_all"]["primaries"]
        print(f"  {args.cases} indexed in {load_s:.0f} s ({args.cases / load_s:.0f}/s); "
              f"{stats['store']['size_in_bytes'] / 2**20:.0f} MiB on disk, {stats['segments']['count']} segments",
              flush=True)
        top = es.search(index=alias, size=0, aggs={"a": {"terms": {"field": "agency", "size": 1}}})
        counts = {b["key"]: b["doc_count"] for b in top["aggregations"]["a"]["buckets"]}
        busiest = next(iter(counts))
        print(f"  busiest agency {busiest}: {counts[busiest]} cases", flush=True)

        api = start_api(settings, Path(tempfile.mkdtemp(prefix="aduan-bench-queue-")), name="api-bench-queue")
        officer = Actor(role="officer", id="petugas-3", agency=busiest)
        coordinator = Actor(role="coordinator", id="kord")
        headers = {a.role: staff_headers(settings, a.role, a.agency, a.id) for a in (officer, coordinator)}
        sample_id = es.search(index=alias, size=1, query={"term": {"agency": busiest}})["hits"]["hits"][0]["_id"]
        http = httpx.Client(base_url=settings.base_url, timeout=60)
        runs = args.queries

        def http_series(path: str, params: dict, who: str) -> tuple[list[float], int]:
            wall, total = [], 0
            for i in range(runs + 3):
                samples = wall if i >= 3 else []
                answer = timed(samples, lambda: http.get(path, params=params, headers=headers[who]))
                answer.raise_for_status()
                total = answer.json().get("total", 0)
            return wall, total

        print("baselines (HTTP):", flush=True)
        wall, _ = http_series(f"/api/v1/officer/cases/{sample_id}", {}, "officer")
        base_get = report("GET /api/v1/officer/cases/{id} (realtime get)", wall, None, None)
        wall_plain, took_plain = [], []
        for i in range(runs + 3):
            found = timed(wall_plain if i >= 3 else [], lambda: es.search(index=alias, size=25, _source=["state"]))
            if i >= 3:
                took_plain.append(found["took"])
        base_search = report("search: 25 documents, no filter, no sort", wall_plain, took_plain, None)

        print("queues through HTTP (GET /api/v1/officer/queue), each with the counts of all six views; "
              "ratio to the case read:", flush=True)
        cases = [("officer", {"view": "mine"}), ("officer", {"view": "agency"}), ("officer", {"view": "unassigned"}),
                 ("officer", {"view": "due_soon"}), ("officer", {"view": "breached"}),
                 ("officer", {"view": "agency", "q": "banjir"}), ("officer", {"view": "agency", "state": "closed"}),
                 ("officer", {"view": "agency", "page": 100}),
                 ("coordinator", {"view": "verification"}), ("coordinator", {"view": "agency"}),
                 ("coordinator", {"view": "breached", "category": "jalan-jembatan", "regency": "17.71"}),
                 ("coordinator", {"view": "agency", "q": "*", "state": "closed", "page": 399})]
        for who, params in cases:
            wall, total = http_series("/api/v1/officer/queue", params, who)
            label = f"{who} " + " ".join(f"{k}={v}" for k, v in params.items())
            report(label, wall, None, base_get, extra=f"  ({total} cases)")

        print("the same queries at the search layer (read_queue), ratio to the plain search:", flush=True)

        async def layer() -> None:
            aes = AsyncElasticsearch(settings.es_hosts, request_timeout=60)
            try:
                for who, params in cases:
                    actor = officer if who == "officer" else coordinator
                    filters = QueueFilters(params.get("category"), params.get("regency"), params.get("state"),
                                           params.get("q"))
                    wall = []
                    for i in range(runs + 3):
                        started = time.perf_counter()
                        await read_queue(aes, alias, actor, params["view"], filters, datetime.now(UTC),
                                         params.get("page", 1))
                        if i >= 3:
                            wall.append((time.perf_counter() - started) * 1000)
                    report(f"{who} " + " ".join(f"{k}={v}" for k, v in params.items()), wall, None, base_search)
            finally:
                await aes.close()

        asyncio.run(layer())
        http.close()
    finally:
        if api is not None:
            api.stop()
        if not args.keep:
            delete_indices(es, settings.index_prefix)
        es.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
