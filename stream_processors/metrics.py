"""A worker's Prometheus series, served on `/metrics` at ADUAN_WORKER_METRICS_PORT (prometheus-client).

Counters: events processed and failed per agent, dead letters per agent, SLA alarms fired per level.
Gauges, refreshed every few seconds: consumer lag per topic and partition this worker holds, and the
open SLA clocks (cases of this worker's own partitions with a pending alarm, not its standby copies).
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, start_http_server

from domain import events as ev
from stream_processors.app import app, settings
from stream_processors.sla_timer import open_clocks

log = logging.getLogger(__name__)

EVENTS_PROCESSED = Counter("aduan_events_processed", "Messages an agent has processed", ["agent"])
EVENTS_FAILED = Counter("aduan_events_failed", "Messages an agent could not process (dead-lettered)", ["agent"])
DEAD_LETTERS = Counter("aduan_dead_letters", "Messages sent to the dead-letter topic", ["agent"])
SLA_ALARMS_FIRED = Counter("aduan_sla_alarms_fired", "SLA alarms recorded on cases", ["level"])
CONSUMER_LAG = Gauge("aduan_consumer_lag", "Messages not yet committed by this worker", ["topic", "partition"])
OPEN_SLA_CLOCKS = Gauge("aduan_open_sla_clocks", "Cases of this worker's partitions with a running SLA clock")

_LEVEL_OF = {ev.SLA_WARNING: "warning", ev.SLA_BREACHED: "breach", ev.SLA_ESCALATED: "escalate"}
# Every series from the start, at zero: "no dead letters" is a value a dashboard can show and alert on.
for _agent in ("case_agent", "projection_agent"):
    EVENTS_PROCESSED.labels(_agent)
    EVENTS_FAILED.labels(_agent)
    DEAD_LETTERS.labels(_agent)
for _level in ("warning", "breach", "escalate", "close"):
    SLA_ALARMS_FIRED.labels(_level)


def count_sla_events(events) -> None:
    for event in events:
        level = _LEVEL_OF.get(event.type) or ("close" if event.type == ev.CASE_CLOSED and "alarm" in event.payload
                                              else None)
        if level:
            SLA_ALARMS_FIRED.labels(level).inc()


@app.task
async def _serve_metrics() -> None:
    if settings.worker_metrics_port:
        try:
            start_http_server(settings.worker_metrics_port, addr=settings.api_host)
            log.info("metrics on http://%s:%d/metrics", settings.api_host, settings.worker_metrics_port)
        except OSError as exc:  # a second worker on one machine with the same port: run, without metrics
            log.error("metrics not served on port %d: %s", settings.worker_metrics_port, exc)


@app.timer(interval=5.0)
async def _refresh_gauges() -> None:
    OPEN_SLA_CLOCKS.set(open_clocks())
    consumer = app.consumer
    held = set()
    for tp in consumer.assignment():
        if tp.topic.endswith("-changelog"):
            continue  # changelogs are read to rebuild tables, never committed: no lag to speak of
        try:
            end = consumer.highwater(tp)
            committed = consumer._committed_offset.get(tp)  # faust keeps it; no public accessor in 0.11
        except Exception:  # noqa: BLE001, S112 - partitions move during rebalances
            continue
        if end is None:
            continue
        held.add((tp.topic, str(tp.partition)))
        CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(max(0, end - (committed or 0)))
    for labels in list(CONSUMER_LAG._metrics):  # partitions that moved to another worker
        if labels not in held:
            CONSUMER_LAG.remove(*labels)
