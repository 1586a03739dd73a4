"""The SLA benchmark: N open clocks in one worker, on the real stack.

The worker under test, a real Kafka broker and Elasticsearch node, topics, indices and consumer groups of this
run's own prefix, all removed at the end. Where `aduan worker` has roles, the worker is three processes: role
`cases` (the case agent and its tables), role `sla` (the SLA timer alone, so the breach lateness is its own) and,
with --projection (the default), role `projection`; without roles, one plain `aduan worker` with all of them.

1. Load: N `complaint.submitted` events go straight to the submissions topic (kafka-python, acks=all,
   batched; HTTP would take far too long for a million). The case agent opens and routes each case: its
   response and resolution clocks run (working-day policies: nothing falls due during the run) and it gets
   one entry in the deadline index (the `alarms` table). The load rate is counted on `cases.events` (two
   events per case), not on the index: the projection agent indexes in the same process, and its lag
   (events not yet indexed) is reported beside it.
2. Memory per open case: the RSS of the process holding the tables (role cases, or the one worker) after
   loading minus its RSS after start-up, divided by N: its state in the `cases` table (in memory or RocksDB's
   caches, ADUAN_WORKER_STORE), the deadline index entry and, in one process, the SLA timer's heap entry and
   the projection's bounded cache. The alarms changelog is read to
   count the live entries of the deadline index.
3. Breach lateness: a sample of cases in a category whose response clock runs SAMPLE-S seconds, submitted
   over a window after loading, breaches at known instants; lateness = the Kafka timestamp of its
   `sla.breached` event minus the clock's `due_at` (also from the time this process read it).
4. Recovery: the worker is stopped (SIGTERM, then SIGKILL) with alarms pending, and started again: the
   time until it routes again (faust recovers the `cases` and `alarms` tables from their changelogs
   first), until the first pending alarm fires, and whether every pending alarm fired exactly once.

Every sampled clock must breach exactly once: a second `sla.breached` of the same alarm with another seq is
a double firing; the same seq again is an at-least-once replay (harmless: the projection writes with
version = seq).

With the stack up: `python -m tests.benchmarks.sla --clocks 20000`; `make bench-sla` starts and stops the
stack around it (`BENCH_ARGS="--clocks 200000"`). The last line is `BENCH {json}`: clocks, load_s, rss_mb,
recovery_s_sigterm, recovery_s_sigkill, breach_late_p50_ms, breach_late_p99_ms, missed, fired_twice and more.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient

from aduan.bootstrap import bootstrap
from config.jurisdiction_file import load_jurisdiction
from config.settings import DEFAULT_JURISDICTION, Settings
from domain.case import replay, submission_event
from domain.complaint import Complaint
from domain.ids import case_id_from_bytes
from domain.jurisdiction import Jurisdiction
from domain.lifecycle import decide_submission
from producers.kafka import encode
from tests.benchmarks.common import (
    DESCRIPTIONS,
    bench_line,
    case_sealer,
    cleanup,
    pct,
    remove_faust_dirs,
    roles_supported,
    rss_mib,
    wait_for_changelogs,
)
from tests.benchmarks.common import start_worker as start_role
from tests.support import free_port, topic_records

SAMPLE_CATEGORY = "ketertiban"  # response clock of SAMPLE-S seconds: the measured breaches
LATE_CATEGORY = "pelayanan-publik"  # response clock of LATE-S seconds: alarms that must outlive restarts


def sla_block(sample_s: int, late_s: int) -> str:
    """Per-category clocks in plain seconds for the two sample categories; every other category keeps the
    jurisdiction's working-day policies (days away: nothing else falls due during the run)."""
    long = 10 * 86_400
    return f"""
sla:
  categories:
    {SAMPLE_CATEGORY}:
      dispatch: {{seconds: {long}}}
      response: {{seconds: {sample_s}}}
      resolution: {{seconds: {long}}}
    {LATE_CATEGORY}:
      dispatch: {{seconds: {long}}}
      response: {{seconds: {late_s}}}
      resolution: {{seconds: {long}}}
"""


# --- the worker process ---------------------------------------------------------------------------------

class Worker:
    """The worker under test. Where `aduan worker` has roles: one process of role `cases` (the case agent and
    its tables), one of role `sla` (the SLA timer, alone, so its lateness is its own) and, with --projection,
    one of role `projection`; else one plain `aduan worker` with every role. Stopped and started together, as
    when their machine goes down."""

    def __init__(self, settings: Settings, logs: Path, name: str, loglevel: str, projection: bool) -> None:
        roles = (["cases", "sla"] + (["projection"] if projection else [])) if roles_supported() else ["all"]
        self.procs = {roles[0]: start_role(settings, logs, name, roles[0], loglevel, sla_timer=False)}
        if len(roles) > 1:  # the others once the case worker made its changelogs (see wait_for_changelogs)
            wait_for_changelogs(settings, list(self.procs.values()))
            self.procs.update({role: start_role(settings, logs, name, role, loglevel) for role in roles[1:]})
        self.main = self.procs.get("cases") or self.procs["all"]  # holds the tables: its RSS and its log
        self.proc, self.log_path = self.main.proc, self.main.log_path
        self.roles = roles

    def alive(self) -> bool:
        return all(p.alive() for p in self.procs.values())

    def tail(self, lines: int = 40) -> str:
        dead = [p for p in self.procs.values() if not p.alive()] or [self.main]
        return "\n".join(f"--- {p.name} ---\n{p.tail(lines)}" for p in dead)

    def rss(self) -> dict[str, float]:
        return {role: rss_mib(p.proc.pid) for role, p in self.procs.items() if p.alive()}

    def stop(self, sig: signal.Signals, timeout_s: float) -> float:
        """`sig` to every process at once (by pid), then wait for each (SIGKILL after timeout_s); seconds."""
        started = time.monotonic()
        for p in self.procs.values():
            if p.alive():
                p.proc.send_signal(sig)
        for p in self.procs.values():
            try:
                p.proc.wait(max(1.0, timeout_s - (time.monotonic() - started)))
            except subprocess.TimeoutExpired:
                print(f"  {p.name} did not exit {timeout_s:.0f} s after {sig.name}: SIGKILL", flush=True)
                p.proc.kill()
                p.proc.wait(10)
        took = time.monotonic() - started
        for p in self.procs.values():
            p.stop()  # exited: closes its log
        return took


def projection_group(settings: Settings) -> str:
    """The projection's consumer group: its own app id in a worker of role projection."""
    return f"{settings.app_id}-projection" if roles_supported() else settings.app_id


def start_worker(settings: Settings, logs: Path, name: str, loglevel: str, projection: bool) -> Worker:
    return Worker(settings, logs, name, loglevel, projection)


def stop_worker(worker: Worker, sig: signal.Signals, timeout_s: float) -> float:
    return worker.stop(sig, timeout_s)


# --- Kafka: producing, offsets, reading the log ------------------------------------------------------------

def producer_for(settings: Settings) -> KafkaProducer:
    return KafkaProducer(bootstrap_servers=settings.kafka_bootstrap.split(","), acks="all", enable_idempotence=True,
                         linger_ms=20, batch_size=512 * 1024, max_request_size=4 * 1024 * 1024)


class Submissions:
    """`complaint.submitted` events as the intake would make them, without the HTTP part."""

    def __init__(self, jurisdiction: Jurisdiction, run: str, sealer=None) -> None:
        self._prefix, self._run = jurisdiction.case_prefix, run
        self._sealer = sealer  # as the intake: personal fields sealed, each case's data key made
        self._regions = [(r.code, d.code) for r in jurisdiction.regencies for d in r.districts]
        self._complaints: dict[tuple[str, int], Complaint] = {}
        self.bulk_categories = [c.code for c in jurisdiction.categories
                                if c.code not in (SAMPLE_CATEGORY, LATE_CATEGORY)]

    def case_id(self, label: str) -> str:
        digest = hashlib.blake2b(f"{self._run}/{label}".encode(), digest_size=8).digest()
        return case_id_from_bytes(self._prefix, digest)

    def complaint(self, category: str, i: int) -> Complaint:
        slot = i % (len(self._regions) * len(DESCRIPTIONS))
        known = self._complaints.get((category, slot))
        if known is None:
            regency, district = self._regions[slot % len(self._regions)]
            known = Complaint(category=category, description=DESCRIPTIONS[slot % len(DESCRIPTIONS)],
                              regency=regency, district=district, channel="import")
            self._complaints[(category, slot)] = known
        return known

    def event(self, case_id: str, category: str, i: int) -> bytes:
        event = submission_event(case_id, self.complaint(category, i), datetime.now(UTC))
        return self._sealer.event_bytes(event) if self._sealer is not None else encode(event)


class Sender:
    """A kafka-python producer that counts failures instead of keeping a future per message."""

    def __init__(self, settings: Settings) -> None:
        self.producer = producer_for(settings)
        self.failed: list[str] = []

    def send(self, topic: str, case_id: str, value: bytes, partition: int | None = None) -> None:
        future = self.producer.send(topic, key=case_id.encode(), value=value, partition=partition)
        future.add_errback(lambda exc: self.failed.append(repr(exc)))

    def flush(self, timeout_s: float) -> None:
        self.producer.flush(timeout_s)
        if self.failed:
            raise RuntimeError(f"{len(self.failed)} sends failed, e.g. {self.failed[0]}")

    def close(self) -> None:
        self.producer.close(10)


class Offsets:
    """End offsets of topics and the worker's committed offsets (its consumer group is the app id)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap.split(","), group_id=None,
                                       enable_auto_commit=False)
        self._admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap.split(","))

    def partitions(self, topic: str) -> list[TopicPartition]:
        parts = self._consumer.partitions_for_topic(topic) or set()
        return [TopicPartition(topic, p) for p in sorted(parts)]

    def ends(self, topic: str) -> dict[TopicPartition, int]:
        return self._consumer.end_offsets(self.partitions(topic))

    def end(self, topic: str) -> int:
        return sum(self.ends(topic).values())

    def lag(self, topic: str, group: str | None = None) -> int | None:
        """Records of `topic` the worker (consumer group `group`, by default the app id: the case agent's) has not
        committed yet (None before its first commit)."""
        group = group or self._settings.app_id
        try:
            committed = self._admin.list_group_offsets({group: None})[group]
        except Exception:  # noqa: BLE001 - no group yet
            return None
        ends = self.ends(topic)
        mine = {tp: meta.offset for tp, meta in committed.items() if tp.topic == topic}
        if not mine:
            return None
        return sum(end - max(0, mine.get(tp, 0)) for tp, end in ends.items())

    def topics(self) -> list[str]:
        return list(self._admin.list_topics())

    def close(self) -> None:
        self._consumer.close()
        self._admin.close()


class SlaRecord(NamedTuple):
    type: str
    seq: int
    alarm: str
    level: str
    due_at: float  # epoch seconds
    timestamp: float  # the Kafka record's timestamp (set when the case agent sent it)
    received: float  # when this process read it
    offset: tuple[int, int]  # partition, offset


class EventLog(threading.Thread):
    """Reads `cases.events` from given offsets and keeps what the benchmark looks at: when watched cases
    were routed, and every SLA event (any case: an SLA event of a case outside the samples is a finding)."""

    def __init__(self, settings: Settings, start: dict[TopicPartition, int]) -> None:
        super().__init__(daemon=True, name="event-log")
        self._consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap.split(","), group_id=None,
                                       enable_auto_commit=False, fetch_max_wait_ms=100, max_poll_records=5000)
        self._consumer.assign(list(start))
        for tp, offset in start.items():
            self._consumer.seek(tp, offset)
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.watched: set[bytes] = set()
        # case id -> (occurred_at, record timestamp) of each case.routed: more than one = a replayed decision
        self.routed: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self.sla: dict[str, list[SlaRecord]] = defaultdict(list)
        self.error: Exception | None = None

    def watch(self, case_ids: Iterable[str]) -> None:
        with self._lock:
            self.watched.update(c.encode() for c in case_ids)

    def run(self) -> None:
        try:
            while not self._done.is_set():
                for tp, records in self._consumer.poll(timeout_ms=200).items():
                    received = time.time()
                    for r in records:
                        if b'"type":"sla.' in r.value:
                            e = json.loads(r.value)
                            p = e["payload"]
                            with self._lock:
                                self.sla[e["case_id"]].append(SlaRecord(
                                    e["type"], e["seq"], p["alarm"], p["level"],
                                    datetime.fromisoformat(p["due_at"]).timestamp(), r.timestamp / 1000, received,
                                    (tp.partition, r.offset)))
                        elif r.key in self.watched and b'"type":"case.routed"' in r.value:
                            at = datetime.fromisoformat(json.loads(r.value)["occurred_at"]).timestamp()
                            with self._lock:
                                self.routed[r.key.decode()].append((at, r.timestamp / 1000))
        except Exception as exc:  # noqa: BLE001 - reported by check()
            self.error = exc

    def check(self) -> None:
        if self.error is not None:
            raise RuntimeError(f"reading cases.events failed: {self.error!r}")

    def breaches(self, case_ids: Iterable[str]) -> dict[str, list[SlaRecord]]:
        with self._lock:
            return {c: [r for r in self.sla.get(c, ()) if r.type == "sla.breached"] for c in case_ids}

    def close(self) -> None:
        self._done.set()
        self.join(10)
        self._consumer.close()


def wait_until(predicate, what: str, timeout_s: float, every_s: float = 0.2, alive: Worker | None = None):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if alive is not None and not alive.alive():
            raise RuntimeError(f"the worker exited while waiting for {what}:\n{alive.tail()}")
        value = predicate()
        if value:
            return value
        time.sleep(every_s)
    raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")


# --- figures --------------------------------------------------------------------------------------------

@dataclass
class Lateness:
    """Lateness of the breaches of a sample of clocks, and whether each fired exactly once, on time."""

    count: int
    breached: int
    missing: list[str]
    doubled: dict[str, list[SlaRecord]]  # another seq for the same alarm, or two alarms: fired twice
    replayed: int  # the same seq again: an at-least-once replay
    rerouted: int  # cases whose case.routed (seq 2) is in the log twice: a replayed submission
    moved: list[float]  # seconds the breached deadline lies past (first case.routed + the clock) when it does
    by_timestamp: list[float]
    by_receipt: list[float]

    def lines(self, label: str) -> list[str]:
        out = [f"{label}: {self.breached}/{self.count} breached; missing {len(self.missing)}; fired twice "
               f"{len(self.doubled)}; replayed records {self.replayed}"]
        if self.by_timestamp:
            ts, rx = self.by_timestamp, self.by_receipt
            out.append(f"  lateness (Kafka timestamp - due_at)  p50 {pct(ts, .5) * 1000:8.0f} ms   p99 "
                       f"{pct(ts, .99) * 1000:8.0f} ms   max {max(ts) * 1000:8.0f} ms   min {min(ts) * 1000:6.0f} ms")
            out.append(f"  lateness (read by the benchmark)      p50 {pct(rx, .5) * 1000:8.0f} ms   p99 "
                       f"{pct(rx, .99) * 1000:8.0f} ms   max {max(rx) * 1000:8.0f} ms")
        if self.rerouted or self.moved:
            out.append(f"  {self.rerouted} cases routed twice (seq 2 in the log twice); {len(self.moved)} breached "
                       "a deadline later than their first case.routed + the clock"
                       + (f", by up to {max(self.moved):.1f} s" if self.moved else ""))
        for case_id, records in list(self.doubled.items())[:3]:
            out.append(f"  e.g. {case_id}: " + ", ".join(f"seq {r.seq} {r.alarm} at {r.offset}" for r in records))
        if self.missing:
            out.append(f"  e.g. missing: {', '.join(self.missing[:5])}")
        return out


def lateness(log: EventLog, case_ids: list[str], clock_s: float) -> Lateness:
    found = log.breaches(case_ids)
    with log._lock:
        routed = {c: list(log.routed.get(c, ())) for c in case_ids}
    missing, doubled, replayed, moved, by_ts, by_rx = [], {}, 0, [], [], []
    for case_id in case_ids:
        records = [r for r in found[case_id] if r.alarm.startswith("response@")]
        if not records:
            missing.append(case_id)
            continue
        by_alarm: dict[str, dict[int, list[SlaRecord]]] = defaultdict(lambda: defaultdict(list))
        for r in records:
            by_alarm[r.alarm][r.seq].append(r)
        if len(by_alarm) > 1 or any(len(seqs) > 1 for seqs in by_alarm.values()):
            doubled[case_id] = records
        replayed += sum(len(same) - 1 for seqs in by_alarm.values() for same in seqs.values())
        first = min(records, key=lambda r: r.timestamp)
        by_ts.append(first.timestamp - first.due_at)
        by_rx.append(first.received - first.due_at)
        if routed[case_id]:
            shift = first.due_at - (min(at for at, _ in routed[case_id]) + clock_s)
            if shift > 0.01:
                moved.append(shift)
    rerouted = sum(1 for c in case_ids if len(routed[c]) > 1)
    return Lateness(len(case_ids), len(case_ids) - len(missing), missing, doubled, replayed, rerouted, moved,
                    by_ts, by_rx)


def wait_for_breaches(log: EventLog, case_ids: list[str], clock_s: float, grace_s: float, worker: Worker,
                      not_before: float = 0.0) -> None:
    """Until every case has a response breach, or `grace_s` after the last deadline (its first routing + the
    clock, or `not_before`, whichever is later): a missed breach is a finding to report, not a reason to stop."""
    def all_breached() -> bool:
        log.check()
        found = log.breaches(case_ids)
        return all(any(r.alarm.startswith("response@") for r in found[c]) for c in case_ids)

    def last_deadline() -> float:
        with log._lock:
            starts = [min(at for at, _ in log.routed[c]) for c in case_ids if log.routed.get(c)]
        return max([*starts, time.time()] if len(starts) < len(case_ids) else starts) + clock_s

    while not all_breached():
        if not worker.alive():
            raise RuntimeError(f"the worker exited while waiting for breaches:\n{worker.tail()}")
        if time.time() > max(last_deadline(), not_before) + grace_s:
            print(f"  gave up waiting {grace_s:.0f} s past the last deadline: some breaches are missing", flush=True)
            return
        time.sleep(0.5)


def warning_lateness(log: EventLog, case_ids: list[str]) -> list[float]:
    """Warnings fire at a share of the clock's span: at = start + share * (due - start), the start and the
    share read from the alarm key (clock@start#warning-50)."""
    out = []
    with log._lock:
        records = [r for c in case_ids for r in log.sla.get(c, ()) if r.type == "sla.warning"]
    for r in records:
        start = datetime.fromisoformat(r.alarm.split("@", 1)[1].rsplit("#", 1)[0]).timestamp()
        share = int(r.level.rsplit("-", 1)[1]) / 100
        out.append(r.timestamp - (start + share * (r.due_at - start)))
    return out


def count_live_keys(settings: Settings, topic: str, timeout_s: float) -> tuple[int, int]:
    """(records, keys whose last record is not a tombstone) of a changelog topic."""
    live: dict[bytes, bool] = {}
    records = 0
    for r in topic_records(settings.kafka_bootstrap, topic, timeout_s, max_poll_records=10_000,
                           fetch_max_bytes=64 * 1024 * 1024):
        live[r.key] = r.value is not None and r.value != b"null"
        records += 1
    return records, sum(live.values())


def changelog(topics: list[str], app_id: str, table: str) -> str | None:
    return next((t for t in topics if t.startswith(app_id) and t.endswith(f"-{table}-changelog")), None)


def case_state_bytes(jurisdiction: Jurisdiction, subs: Submissions) -> int:
    """The JSON size of one freshly routed case's state, as the cases table holds it."""
    submitted = submission_event(subs.case_id("size"), subs.complaint(subs.bulk_categories[0], 0), datetime.now(UTC))
    case = replay(decide_submission(None, submitted, jurisdiction, datetime.now(UTC)))
    return len(json.dumps(case.model_dump(mode="json"), separators=(",", ":")))


def seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


def mem_total_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return float("nan")


# --- the phases -----------------------------------------------------------------------------------------

def probe(sender: Sender, subs: Submissions, settings: Settings, offsets: Offsets, log: EventLog,
          label: str) -> list[str]:
    """One submission to each partition of the submissions topic: all routed = every partition is served."""
    ids = []
    for tp in offsets.partitions(settings.topics.submissions):
        case_id = subs.case_id(f"probe-{label}-{tp.partition}")
        ids.append(case_id)
        log.watch([case_id])
        sender.send(settings.topics.submissions, case_id, subs.event(case_id, subs.bulk_categories[0], 0),
                    partition=tp.partition)
    sender.flush(30)
    return ids


def load(args, settings: Settings, subs: Submissions, sender: Sender, offsets: Offsets, worker: Worker,
         es: Elasticsearch) -> dict:
    events_base = offsets.end(settings.topics.events)
    started = time.monotonic()
    categories = subs.bulk_categories
    last_note = started
    for i in range(args.clocks):
        case_id = subs.case_id(f"bulk-{i}")
        sender.send(settings.topics.submissions, case_id, subs.event(case_id, categories[i % len(categories)], i))
        if time.monotonic() - last_note > 15:
            last_note = time.monotonic()
            routed = (offsets.end(settings.topics.events) - events_base) // 2
            print(f"  … {i} produced, {routed} routed, worker RSS {rss_mib(worker.proc.pid):.0f} MiB", flush=True)
    sender.flush(300)
    produced_s = time.monotonic() - started
    print(f"  {args.clocks} produced in {produced_s:.1f} s ({args.clocks / produced_s:.0f}/s)", flush=True)

    def routed() -> int:
        return (offsets.end(settings.topics.events) - events_base) // 2

    last_note, deadline = 0.0, started + args.timeout
    while (done := routed()) < args.clocks:
        now = time.monotonic()
        if now > deadline:
            raise TimeoutError(f"only {done} of {args.clocks} cases routed after {args.timeout:.0f} s")
        if not worker.alive():
            raise RuntimeError(f"the worker exited while loading:\n{worker.tail()}")
        if now - last_note > 15:
            last_note = now
            behind = ""
            if args.projection:
                behind = f", projection lag {offsets.lag(settings.topics.events, projection_group(settings))} events"
            print(f"  … {done} routed ({done / (now - started):.0f}/s), worker RSS {rss_mib(worker.proc.pid):.0f} "
                  f"MiB{behind}", flush=True)
        time.sleep(0.25)
    routed_s = time.monotonic() - started
    figures = {"produced_s": produced_s, "routed_s": routed_s, "rss_loaded": rss_mib(worker.proc.pid),
               "rss_by_role": worker.rss(),
               "projection_lag": offsets.lag(settings.topics.events, projection_group(settings))}
    es.indices.refresh(index=settings.indices.cases)
    figures["indexed"] = es.count(index=settings.indices.cases)["count"]
    return figures


def sample(args, settings: Settings, subs: Submissions, sender: Sender, log: EventLog, label: str, count: int,
           category: str, window_s: float) -> list[str]:
    """`count` submissions of `category`, spread evenly over `window_s` seconds."""
    ids = [subs.case_id(f"{label}-{i}") for i in range(count)]
    log.watch(ids)
    started = time.monotonic()
    for i, case_id in enumerate(ids):
        if window_s:
            time.sleep(max(0.0, started + i * window_s / count - time.monotonic()))
        sender.send(settings.topics.submissions, case_id, subs.event(case_id, category, i))
        if window_s:
            sender.producer.flush(5)
    sender.flush(60)
    return ids


def recovery_phases(worker: Worker, started_at: float) -> tuple[float | None, float | None]:
    """From faust's own log lines (log level info): seconds from the process start until it joined its
    group, and seconds spent reading the changelogs; None where the line is not there."""
    def at(marker: str) -> float | None:
        for line in worker.log_path.read_text(errors="replace").splitlines():
            if marker in line and line.startswith("["):
                try:
                    return datetime.strptime(line[1:24], "%Y-%m-%d %H:%M:%S,%f").timestamp()
                except ValueError:
                    return None
        return None

    joined, restoring = at("Joined group"), at("Restoring state from changelog")
    done = at("Done reading from changelog")
    if restoring is None and joined is not None:
        # Nothing to read back (RocksDB already had it all): from joining the group until recovery completed.
        restoring, done = joined, at("Recovery complete")
    return (joined - started_at if joined else None), (done - restoring if done and restoring else None)


def restart(args, settings: Settings, subs: Submissions, sender: Sender, offsets: Offsets, log: EventLog,
            workers: list[Worker], logs: Path, sig: signal.Signals, number: int) -> dict:
    """Cases routed just before the stop (their alarms pending), then stop the worker with `sig` and start a
    new one (after `--down` seconds): how long until it routes again, until the first pending alarm fires,
    and whether every pending alarm fires exactly once."""
    worker = workers[-1]
    pending = sample(args, settings, subs, sender, log, f"restart{number}", args.restart_sample, SAMPLE_CATEGORY, 0)
    wait_until(lambda: all(c in log.routed for c in pending), f"the {len(pending)} cases before restart {number} "
               "routed", 120, alive=worker)
    log.check()
    lag = offsets.lag(settings.topics.submissions)
    rss_before = rss_mib(worker.proc.pid)
    stopped_at = time.time()
    shutdown_s = stop_worker(worker, sig, args.stop_timeout)
    print(f"  worker stopped with {sig.name} in {shutdown_s:.1f} s (uncommitted submissions at the stop: {lag})",
          flush=True)
    if args.down:
        time.sleep(args.down)
    started_at = time.time()
    worker = start_worker(settings, logs, f"worker-{number + 1}", args.loglevel, args.projection)
    workers.append(worker)
    probes = probe(sender, subs, settings, offsets, log, f"restart{number}")
    wait_until(lambda: all(c in log.routed for c in probes), f"the worker routing again after restart {number}",
               args.timeout, alive=worker)
    back_at = time.time()
    rss_recovered = rss_mib(worker.proc.pid)
    wait_for_breaches(log, pending, args.sample_s, args.grace, worker, not_before=back_at)
    found = [r.timestamp for rs in log.breaches(pending).values() for r in rs]
    joined_s, reading_s = recovery_phases(worker, started_at)
    return {
        "signal": sig.name, "shutdown_s": shutdown_s, "down_s": started_at - stopped_at,
        "recovered_s": back_at - started_at, "joined_s": joined_s, "reading_s": reading_s,
        "first_alarm_s": min(found) - started_at if found else None, "rss_before": rss_before,
        "rss_recovered": rss_recovered, "pending": pending, "lag_at_stop": lag,
    }


def interrupted(signum, frame) -> None:
    """A SIGTERM to the benchmark ends it as Ctrl-C does: through the clean-up."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clocks", type=int, default=1_000_000,
                        help="open cases loaded into the worker, each with running response and resolution clocks "
                             "and one deadline index entry (default 1000000)")
    parser.add_argument("--partitions", type=int, default=2, help="partitions of each topic (default 2)")
    parser.add_argument("--sample", type=int, default=2000,
                        help="cases whose breach lateness is measured, submitted after loading (default 2000)")
    parser.add_argument("--sample-window", type=float, default=20,
                        help="seconds over which the measured cases are submitted (default 20)")
    parser.add_argument("--sample-s", type=int, default=30,
                        help="response clock, in seconds, of the measured cases and of those routed before a stop "
                             "(default 30)")
    parser.add_argument("--late-s", type=int, default=240,
                        help="response clock, in seconds, of cases submitted before the first restart whose "
                             "deadline falls after it (default 240)")
    parser.add_argument("--late-sample", type=int, default=500,
                        help="cases whose alarms must outlive the restarts (default 500; 0: none)")
    parser.add_argument("--restart-sample", type=int, default=500,
                        help="cases routed just before each stop, due SAMPLE_S seconds later: while the worker "
                             "recovers or soon after (default 500)")
    parser.add_argument("--down", type=float, default=0,
                        help="seconds with no worker between a stop and the restart (default 0: at once, as a "
                             "supervisor restarts it)")
    parser.add_argument("--restarts", default="TERM,KILL",
                        help="signals that stop the worker before each restart, comma-separated (default TERM,KILL; "
                             "empty: no restart)")
    parser.add_argument("--tick", type=float, default=None,
                        help="seconds between SLA timer ticks (default: ADUAN_SLA_TICK_S, 1.0)")
    parser.add_argument("--count-alarms", action=argparse.BooleanOptionalAction, default=True,
                        help="read the alarms changelog after loading to count the deadline index's entries "
                             "(default on)")
    parser.add_argument("--projection", action=argparse.BooleanOptionalAction, default=True,
                        help="run the projection too, a process of role projection indexing every case into "
                             "Elasticsearch (default); --no-projection: the cases and sla roles alone (needs "
                             "`aduan worker --role`; without roles the projection always runs)")
    parser.add_argument("--grace", type=float, default=60,
                        help="seconds past a sample's last deadline after which its missing breaches are counted "
                             "as missed (default 60)")
    parser.add_argument("--loglevel", default="info", choices=["debug", "info", "warn", "error"],
                        help="the worker's log level (default info: faust's recovery lines give the time spent "
                             "joining the group and reading the changelogs)")
    parser.add_argument("--stop-timeout", type=float, default=60,
                        help="seconds a stopping worker gets before SIGKILL (default 60)")
    parser.add_argument("--timeout", type=float, default=3600,
                        help="longest wait of any one phase, in seconds (default 3600: loading 1,000,000 clocks "
                             "takes about 31 min on 2 cores)")
    args = parser.parse_args(argv)
    restarts = [getattr(signal, f"SIG{s.strip().upper().removeprefix('SIG')}") for s in args.restarts.split(",")
                if s.strip()]

    signal.signal(signal.SIGTERM, interrupted)

    run = hashlib.blake2b(os.urandom(8), digest_size=3).hexdigest()
    folder = Path(tempfile.mkdtemp(prefix="aduan-bench-sla-"))
    os.chdir(folder)  # the workers' faust data folders go here, not into the checkout
    jurisdiction_file = folder / "bengkulu-sla.yaml"
    base_text = DEFAULT_JURISDICTION.read_text()
    if "\nsla:" in base_text:
        raise SystemExit(f"{DEFAULT_JURISDICTION} has an sla: block already; this benchmark appends its own")
    jurisdiction_file.write_text(base_text + sla_block(args.sample_s, args.late_s))
    base = Settings()
    settings = base.model_copy(update={
        "topic_prefix": f"benchsla{run}.", "index_prefix": f"benchsla{run}-", "app_id": f"aduan-benchsla{run}",
        "partitions": args.partitions, "worker_web_port": free_port(), "jurisdiction_file": jurisdiction_file,
        "sla_tick_s": args.tick if args.tick is not None else base.sla_tick_s, "worker_data_dir": folder / "data",
        "database_url": f"sqlite:///{folder / 'accounts.db'}",  # the run's data keys, not the checkout's var/
    })
    if not args.projection and not roles_supported():
        print("note: this checkout's `aduan worker` has no --role, so the projection cannot be left out: it runs "
              "(--projection)", flush=True)
        args.projection = True
    roles = "+".join(["cases", "sla"] + (["projection"] if args.projection else [])) if roles_supported() else "all"
    jurisdiction = load_jurisdiction(jurisdiction_file)
    subs = Submissions(jurisdiction, run, case_sealer(settings))
    print(f"SLA benchmark {run}: {args.clocks} open cases, {args.partitions} partitions, SLA tick "
          f"{settings.sla_tick_s:g} s, session timeout {getattr(settings, 'session_timeout_s', 'faust default')} s; "
          f"nproc {os.cpu_count()}, {mem_total_gib():.1f} GiB; worker processes: {roles}; store "
          f"{settings.worker_store}; logs in {folder}", flush=True)

    bootstrap(settings, log=lambda m: None)
    workers: list[Worker] = []  # every worker started, so that each is stopped at the end
    sender = Sender(settings)
    offsets = Offsets(settings)
    es = Elasticsearch(settings.es_hosts, request_timeout=120)
    log: EventLog | None = None
    try:
        worker = start_worker(settings, folder, "worker-1", args.loglevel, args.projection)
        workers.append(worker)
        warm = EventLog(settings, {tp: 0 for tp in offsets.partitions(settings.topics.events)})
        warm.start()
        started = time.monotonic()
        probes = probe(sender, subs, settings, offsets, warm, "start")
        wait_until(lambda: all(c in warm.routed for c in probes), "the worker routing its first cases", 180,
                   alive=worker)
        print(f"worker up and routing {time.monotonic() - started:.1f} s after start", flush=True)
        warm.close()
        time.sleep(3)
        rss_started = rss_mib(worker.proc.pid)

        print(f"load: {args.clocks} submissions straight to {settings.topics.submissions}", flush=True)
        loaded = load(args, settings, subs, sender, offsets, worker, es)
        rate = args.clocks / loaded["routed_s"]
        per_case = (loaded["rss_loaded"] - rss_started) * 1024 * 1024 / args.clocks
        print(f"  all routed in {loaded['routed_s']:.1f} s ({rate:.0f} cases/s); worker RSS "
              f"{rss_started:.0f} -> {loaded['rss_loaded']:.0f} MiB ({per_case:.0f} bytes per open case)", flush=True)

        topics = offsets.topics()
        alarms_topic = changelog(topics, settings.app_id, "alarms")
        cases_topic = changelog(topics, settings.app_id, "cases")
        alarm_records = offsets.end(alarms_topic) if alarms_topic else None
        case_records = offsets.end(cases_topic) if cases_topic else None
        live = None
        if args.count_alarms and alarms_topic:
            started = time.monotonic()
            _, live = count_live_keys(settings, alarms_topic, args.timeout)
            print(f"  deadline index: {live} live entries in {alarms_topic} ({alarm_records} records, read in "
                  f"{time.monotonic() - started:.1f} s)", flush=True)

        log = EventLog(settings, offsets.ends(settings.topics.events))
        log.start()
        late: list[str] = []
        if restarts and args.late_sample:
            late = sample(args, settings, subs, sender, log, "late", args.late_sample, LATE_CATEGORY, 0)
        print(f"breaches: {args.sample} cases with a {args.sample_s} s response clock over {args.sample_window:g} s",
              flush=True)
        backlog = offsets.lag(settings.topics.events, projection_group(settings)) if args.projection else None
        measured = sample(args, settings, subs, sender, log, "sample", args.sample, SAMPLE_CATEGORY, args.sample_window)
        wait_for_breaches(log, measured, args.sample_s, args.grace, worker)
        time.sleep(2 * settings.sla_tick_s + 1)  # a second firing would show by now
        breaches = lateness(log, measured, args.sample_s)
        warnings = warning_lateness(log, measured)
        for line in breaches.lines("  sampled breaches"):
            print(line, flush=True)

        rounds = []
        for number, sig in enumerate(restarts, start=1):
            print(f"restart {number}: {args.restart_sample} cases routed, then {sig.name}", flush=True)
            figures = restart(args, settings, subs, sender, offsets, log, workers, folder, sig, number)
            worker = workers[-1]
            print(f"  back routing {figures['recovered_s']:.1f} s after start (joined its group after "
                  f"{seconds(figures['joined_s'])}, read the changelogs in {seconds(figures['reading_s'])}); first "
                  f"pending breach {seconds(figures['first_alarm_s'])} after start; RSS "
                  f"{figures['rss_recovered']:.0f} MiB", flush=True)
            rounds.append(figures)
        if late:
            wait_for_breaches(log, late, args.late_s, args.grace, worker)
        time.sleep(2 * settings.sla_tick_s + 1)
        log.check()

        # Anything that fired outside the samples, or twice, across everything.
        sampled = set(measured) | set(late) | {c for r in rounds for c in r["pending"]}
        with log._lock:
            strays = {c: rs for c, rs in log.sla.items() if c not in sampled}
        dead_letters = offsets.end(settings.topics.dead_letter)

        print("\n=== SLA benchmark ===")
        print(f"machine: nproc {os.cpu_count()}, {mem_total_gib():.1f} GiB RAM, load average "
              f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        print(f"N = {args.clocks} open cases (each with a running response and resolution clock and one entry in "
              f"the deadline index); {args.partitions} partitions, SLA tick {settings.sla_tick_s:g} s")
        print(f"load: produced in {loaded['produced_s']:.1f} s ({args.clocks / loaded['produced_s']:.0f}/s); "
              f"routed by the case agent in {loaded['routed_s']:.1f} s -> {rate:.0f} cases/s (on cases.events)")
        if args.projection:
            print(f"  projection at that moment: {loaded['projection_lag']} events behind, {loaded['indexed']} "
                  "cases indexed")
        else:
            print("  projection agent off (--no-projection): nothing indexed")
        if roles_supported():
            others = ", ".join(f"{r} {mib:.0f} MiB" for r, mib in loaded["rss_by_role"].items() if r != "cases")
            held = f"role cases: case state and deadline index; after loading {others}"
        else:
            held = "case state, deadline index and heap entries" + (", projection cache" if args.projection else "")
        print(f"memory: worker RSS {rss_started:.0f} MiB after start-up, {loaded['rss_loaded']:.0f} MiB after "
              f"loading -> {per_case:.0f} bytes per open case, {per_case / 2:.0f} per running clock ({held}); peak "
              f"{rss_mib(worker.proc.pid, 'VmHWM'):.0f} MiB (current worker)")
        if rounds:
            recovered = (rounds[0]["rss_recovered"] - rss_started) * 1024 * 1024 / args.clocks
            print(f"  after the first restart, with the tables recovered from their changelogs: "
                  f"{rounds[0]['rss_recovered']:.0f} MiB -> {recovered:.0f} bytes per open case")
        print(f"  one routed case's state is {case_state_bytes(jurisdiction, subs)} bytes of JSON")
        print(f"deadline index: {live if live is not None else 'not counted'} live entries; changelog records: "
              f"alarms {alarm_records}, cases {case_records}")
        for line in breaches.lines(f"breaches, {args.sample} cases, response clock {args.sample_s} s, "
                                   f"submitted over {args.sample_window:g} s after loading"):
            print(line)
        if backlog is not None:
            where = "in a process of its own" if roles_supported() else "in the same worker"
            print(f"  (the projection, {where}, was {backlog} events behind when they were submitted)")
        if warnings:
            print(f"  warnings of the same cases ({len(warnings)}): lateness p50 {pct(warnings, .5) * 1000:.0f} ms, "
                  f"p99 {pct(warnings, .99) * 1000:.0f} ms, max {max(warnings) * 1000:.0f} ms")
        for number, r in enumerate(rounds, start=1):
            print(f"restart {number} ({r['signal']}): shutdown {r['shutdown_s']:.1f} s; no worker for "
                  f"{r['down_s']:.1f} s; back routing {r['recovered_s']:.1f} s after start: joined its group after "
                  f"{seconds(r['joined_s'])}, read the cases and alarms changelogs in {seconds(r['reading_s'])}; "
                  f"first pending breach {seconds(r['first_alarm_s'])} after start; RSS {r['rss_before']:.0f} MiB "
                  f"before, {r['rss_recovered']:.0f} MiB after recovery; uncommitted submissions at the stop: "
                  f"{r['lag_at_stop']}")
            label = f"  {len(r['pending'])} cases routed just before the stop ({args.sample_s} s clock)"
            for line in lateness(log, r["pending"], args.sample_s).lines(label):
                print(line)
        if late:
            label = f"{len(late)} cases due {args.late_s} s after submission, across the restarts"
            for line in lateness(log, late, args.late_s).lines(label):
                print(line)
        for line in lateness(log, measured, args.sample_s).lines("sampled cases again, after the restarts"):
            print(line)
        print(f"SLA events of cases outside the samples: {sum(len(v) for v in strays.values())} "
              f"({len(strays)} cases); dead letters: {dead_letters}")

        final = [lateness(log, measured, args.sample_s)] + [lateness(log, r["pending"], args.sample_s)
                                                            for r in rounds]
        if late:
            final.append(lateness(log, late, args.late_s))
        by_signal = {r["signal"]: r for r in rounds}
        figures = {
            "clocks": args.clocks, "partitions": args.partitions, "roles": roles, "store": settings.worker_store,
            "sla_tick_s": settings.sla_tick_s, "load_s": loaded["routed_s"], "load_per_s": rate,
            "rss_mb": loaded["rss_loaded"], "rss_mb_started": rss_started,
            "rss_mb_by_role": loaded["rss_by_role"], "bytes_per_clock": per_case / 2,
            "rss_mb_recovered": rounds[0]["rss_recovered"] if rounds else None,
            "breach_late_p50_ms": 1000 * pct(breaches.by_timestamp, .5),
            "breach_late_p99_ms": 1000 * pct(breaches.by_timestamp, .99),
            "breach_late_max_ms": 1000 * max(breaches.by_timestamp) if breaches.by_timestamp else None,
            "sampled": args.sample,
            "missed": sum(len(f.missing) for f in final),
            "fired_twice": sum(len(f.doubled) for f in final),
            "replayed": sum(f.replayed for f in final),
            "stray_sla_events": sum(len(v) for v in strays.values()), "dead_letters": dead_letters,
            "nproc": os.cpu_count(),
        }
        for name in ("SIGTERM", "SIGKILL"):
            r = by_signal.get(name)
            key = name.removeprefix("SIG").lower()
            figures[f"recovery_s_sig{key}"] = r["recovered_s"] if r else None
            figures[f"first_alarm_s_sig{key}"] = r["first_alarm_s"] if r else None
            figures[f"changelog_read_s_sig{key}"] = r["reading_s"] if r else None
        print(bench_line(figures))
        return 0
    finally:
        if log is not None:
            log.close()
        for worker in workers:
            stop_worker(worker, signal.SIGTERM, 30)
        sender.close()
        offsets.close()
        es.close()
        stems = [f"benchsla{run}", f"aduan-benchsla{run}"]
        cleanup(settings.kafka_bootstrap, settings.es_hosts, stems)
        remove_faust_dirs(stems)
        jurisdiction_file.unlink(missing_ok=True)
        shutil.rmtree(folder / "data", ignore_errors=True)
        shutil.rmtree(folder / f"{settings.app_id}-data", ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
