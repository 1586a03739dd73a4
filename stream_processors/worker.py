"""A worker, built from settings and the jurisdiction for one role: `build_worker(...)`, called by `aduan worker`.

Roles (`aduan worker --role ...`):
- `cases`: the case agent, its tables (`cases`, `alarms`, in RocksDB by default) and the SLA timer over the
  alarms of its own partitions;
- `projection`: the projection agent (Elasticsearch writes), stateless;
- `sla`: the SLA timer alone, fed by the deadline index's changelog (a copy of which it keeps on disk, so a
  restart reads only the changelog's tail), so that breaches are asked for on time however busy the case
  agent is;
- `all`: everything in one process.

With an `sla` worker running, start the `cases` workers with `--no-sla-timer` (`sla_timer=False`). Were both
to run, nothing would go wrong: an ask repeated is harmless (the case agent decides each alarm once).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from config.settings import Settings
from domain.jurisdiction import Jurisdiction
from producers.sealing import Sealer, sealer_for
from stream_processors.agents import ProjectionAgent, faust_context, register_alarm_follower, register_case_agent
from stream_processors.alarm_store import AlarmStore
from stream_processors.app import ROLES, Tables, Topics, alarms_changelog, build_app, build_tables, build_topics
from stream_processors.case_processor import CaseProcessor
from stream_processors.consumer_guard import FetchWatch
from stream_processors.dead_letter import DeadLetters
from stream_processors.faust_adapter import AduanApp, check_faust_internals
from stream_processors.metrics import WorkerMetrics
from stream_processors.sla_timer import AlarmFollower, AlarmIndex, SlaTimer
from stream_processors.watchdog import Watchdog

log = logging.getLogger(__name__)


class Job(Protocol):
    """A scheduled job of the worker (the retention of personal data, aduan/privacy.py): run every `every_s`
    on the leader worker of the app alone."""

    every_s: float

    def __call__(self) -> Awaitable[object]: ...


def register_job(app, job: Job, name: str) -> Callable:
    @app.timer(interval=job.every_s, on_leader=True, name=name)
    async def run_job() -> None:
        try:
            await job()
        except Exception:  # a faust timer that raises is never run again: log, and try at the next run
            log.exception("the worker's job %s failed; it runs again in %.0f s", name, job.every_s)

    return run_job


@dataclass
class Worker:
    role: str
    app: AduanApp
    topics: Topics
    tables: Tables | None
    metrics: WorkerMetrics
    alarms: AlarmIndex | None
    processor: CaseProcessor | None

    def run(self, loglevel: str = "info") -> None:
        """Run the faust worker in this process until it is stopped (faust's own command line, no web)."""
        sys.argv = [sys.argv[0], "worker", f"--loglevel={loglevel}", "--without-web"]
        self.app.main()


def build_worker(settings: Settings, jurisdiction: Jurisdiction, role: str = "all", *,
                 sla_timer: bool = True, sealer: Sealer | None = None, jobs: Sequence[Job] = ()) -> Worker:
    """`sealer`: how records' personal fields are sealed and opened (producers/sealing.py); by default with the
    data keys of the settings' accounts database. `jobs`: run on a timer by the leader worker."""
    if role not in ROLES:
        raise ValueError(f"unknown worker role {role!r}: one of {', '.join(ROLES)}")
    check_faust_internals()
    # One line per Elasticsearch request drowns the worker's own log.
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
    app = build_app(settings, role)
    topics = build_topics(app, settings)
    metrics = WorkerMetrics()
    sealer = sealer or sealer_for(settings)
    dead_letters = DeadLetters(topics.dead_letter, metrics, sealer)
    tables = alarms = processor = None
    if role in ("all", "cases"):
        tables = build_tables(app, settings)
        alarms = AlarmIndex(tables.alarms, jurisdiction, keep_heap=sla_timer)

        async def send_event(key: bytes, value: bytes):
            return await topics.events.send(key=key, value=value)

        processor = CaseProcessor(jurisdiction, settings.topics.submissions, tables.cases, alarms, send_event,
                                  dead_letters, metrics, sealer, context=faust_context)
        register_case_agent(app, topics.case_inputs, processor, settings.case_batch)
        if sla_timer:
            SlaTimer(app, alarms, topics.commands, settings.topics.commands, settings.partitions,
                     settings.sla_tick_s).register()
    if role == "sla":
        alarms = AlarmIndex({}, jurisdiction)
        follower = AlarmFollower(alarms, AlarmStore(app.data_folder / "alarms"), alarms_changelog(settings))
        changelog = app.topic(alarms_changelog(settings), partitions=settings.partitions, acks=False)
        register_alarm_follower(app, changelog, follower)
        SlaTimer(app, alarms, topics.commands, alarms_changelog(settings), settings.partitions, settings.sla_tick_s,
                 follower=follower).register()
    if role in ("all", "projection"):
        ProjectionAgent(settings, jurisdiction, topics.events, dead_letters, metrics, sealer).register(app)
    for job in jobs:
        register_job(app, job, type(job).__name__)
    FetchWatch(app).register()
    Watchdog(app, settings.worker_stall_timeout_s).register()
    metrics.register(app, settings.api_host, settings.worker_metrics_port,
                     (lambda: alarms.open_clocks) if alarms is not None else None)
    return Worker(role, app, topics, tables, metrics, alarms, processor)
