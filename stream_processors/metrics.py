"""A worker's Prometheus series, served on `/metrics` at ADUAN_WORKER_METRICS_PORT (prometheus-client).

Counters: events processed and failed per agent, dead letters per agent, SLA alarms fired per level.
Gauges, refreshed every few seconds: consumer lag per topic and partition this worker holds, and the
open SLA clocks (cases of this worker's own partitions with a pending alarm, not its standby copies).

The series live in a registry of the worker's own, made when the worker is built (nothing at import).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from domain import events as ev

log = logging.getLogger(__name__)

AGENTS = ("case_agent", "projection_agent")
_LEVEL_OF = {ev.SLA_WARNING: "warning", ev.SLA_BREACHED: "breach", ev.SLA_ESCALATED: "escalate"}


class WorkerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.events_processed = Counter("aduan_events_processed", "Messages an agent has processed", ["agent"],
                                        registry=r)
        self.events_failed = Counter("aduan_events_failed", "Messages an agent could not process (dead-lettered)",
                                     ["agent"], registry=r)
        self.dead_letters = Counter("aduan_dead_letters", "Messages sent to the dead-letter topic", ["agent"],
                                    registry=r)
        self.sla_alarms_fired = Counter("aduan_sla_alarms_fired", "SLA alarms recorded on cases", ["level"],
                                        registry=r)
        self.consumer_lag = Gauge("aduan_consumer_lag", "Messages not yet committed by this worker",
                                  ["topic", "partition"], registry=r)
        self.open_sla_clocks = Gauge("aduan_open_sla_clocks",
                                     "Cases of this worker's partitions with a running SLA clock", registry=r)
        # Every series from the start, at zero: "no dead letters" is a value a dashboard can show and alert on.
        for agent in AGENTS:
            self.events_processed.labels(agent)
            self.events_failed.labels(agent)
            self.dead_letters.labels(agent)
        for level in ("warning", "breach", "escalate", "close"):
            self.sla_alarms_fired.labels(level)

    def count_sla_events(self, events) -> None:
        for event in events:
            level = _LEVEL_OF.get(event.type) or (
                "close" if event.type == ev.CASE_CLOSED and "alarm" in event.payload else None)
            if level:
                self.sla_alarms_fired.labels(level).inc()

    def register(self, app, host: str, port: int, open_clocks: Callable[[], int] | None) -> None:
        """Serve the series (port 0: not at all) and refresh the gauges from `app` every few seconds."""

        @app.task
        async def _serve_metrics() -> None:
            if port:
                try:
                    start_http_server(port, addr=host, registry=self.registry)
                    log.info("metrics on http://%s:%d/metrics", host, port)
                except OSError as exc:  # a second worker on one machine with the same port: run, without metrics
                    log.error("metrics not served on port %d: %s", port, exc)

        @app.timer(interval=5.0)
        async def _refresh_gauges() -> None:
            if open_clocks is not None:
                self.open_sla_clocks.set(open_clocks())
            self.refresh_lag(app.consumer)

    def refresh_lag(self, consumer) -> None:
        held = set()
        for tp in consumer.assignment():
            if tp.topic.endswith("-changelog"):
                continue  # changelogs are read to rebuild tables, never committed: no lag to speak of
            try:
                end = consumer.highwater(tp)
                committed = consumer._committed_offset.get(tp)  # faust keeps it; no public accessor
            except Exception:  # noqa: BLE001, S112 - partitions move during rebalances
                continue
            if end is None:
                continue
            held.add((tp.topic, str(tp.partition)))
            self.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(0, end - (committed or 0)))
        for labels in list(self.consumer_lag._metrics):  # partitions that moved to another worker
            if labels not in held:
                self.consumer_lag.remove(*labels)
