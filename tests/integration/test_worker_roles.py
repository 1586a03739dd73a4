"""The worker's roles in processes of their own, on the real stack: `cases` (without its SLA timer),
`projection` and `sla`. Every case routed and indexed; every fast SLA clock warns and breaches exactly once,
with the SLA timer reading the deadline index from its changelog, also across a SIGKILL of the sla worker
between the warnings and the breaches."""

from __future__ import annotations

import json
import re
import sys
import uuid
from collections import defaultdict

import pytest

from aduan.bootstrap import bootstrap
from config.settings import DEFAULT_JURISDICTION
from tests.integration.test_worker_store import submit
from tests.support import Process, free_port, settings_env, topic_records, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLOCK_S = 20  # the fast category's response clock: warnings at 50% and 75%, then the breach
SLA = f"""
sla:
  categories:
    ketertiban:
      dispatch: {{seconds: 864000}}
      response: {{seconds: {CLOCK_S}}}
      resolution: {{seconds: 864000}}
"""


@pytest.fixture
def mine(stack, tmp_path):
    run = uuid.uuid4().hex[:6]
    jurisdiction = tmp_path / "bengkulu-roles.yaml"
    jurisdiction.write_text(DEFAULT_JURISDICTION.read_text() + SLA)
    settings = stack.model_copy(update={
        "jurisdiction_file": jurisdiction, "topic_prefix": f"{stack.topic_prefix}roles{run}.",
        "index_prefix": f"{stack.index_prefix}roles{run}-", "app_id": f"{stack.app_id}-roles{run}", "partitions": 3,
        "worker_data_dir": tmp_path / "tables", "sla_tick_s": 0.5, "worker_metrics_port": 0})
    bootstrap(settings, log=lambda m: None)
    return settings


RESUMED = re.compile(r"deadline changelog \S+\[(\d+)\]: (\d+) alarms from the copy on disk, reading on from "
                     r"offset (\d+)")


def role(settings, logs_dir, name: str, *args: str) -> Process:
    env = settings_env(settings.model_copy(update={"worker_web_port": free_port()}))
    return Process(name, [sys.executable, "-m", "aduan.cli", "worker", *args], env, logs_dir)


def alarm_events(settings) -> dict[str, set[str]]:
    """case id/alarm -> the ids of the events that recorded it."""
    found = defaultdict(set)
    for record in topic_records(settings.kafka_bootstrap, settings.topics.events):
        event = json.loads(record.value)
        if "alarm" in event["payload"]:
            found[f"{event['case_id']}/{event['payload']['alarm']}"].add(event["event_id"])
    return found


def fired(settings, ids: list[str], suffix: str) -> bool:
    events = alarm_events(settings)
    return all(any(k.startswith(f"{c}/") and k.endswith(suffix) for k in events) for c in ids)


def test_roles_apart_route_index_and_fire_every_alarm_once_across_a_killed_sla_worker(mine, es, logs_dir):
    cases = role(mine, logs_dir, "roles-cases", "--role", "cases", "--no-sla-timer")
    projection = role(mine, logs_dir, "roles-projection", "--role", "projection")
    sla = role(mine, logs_dir, "roles-sla", "--role", "sla")
    started = [cases, projection, sla]
    try:
        slow = submit(mine, [f"s{i}" for i in range(60)])  # working-day clocks: nothing falls due
        fast = submit(mine, [f"f{i}" for i in range(30)], category="ketertiban")
        ids = slow + fast

        def indexed() -> bool:
            es.indices.refresh(index=mine.indices.cases)
            docs = es.mget(index=mine.indices.cases, ids=ids)["docs"]
            return all(d.get("found") and d["_source"]["agency"] for d in docs)

        wait_for(indexed, "every case routed and indexed by the projection worker", 120)
        wait_for(lambda: fired(mine, fast, "#warning-50"), "the first warnings, asked by the sla worker", 90)
        sla.kill()  # SIGKILL: its heap is gone; the next one loads the copy on disk and reads the changelog's tail
        sla = role(mine, logs_dir, "roles-sla-2", "--role", "sla")
        started.append(sla)
        wait_for(lambda: fired(mine, fast, "#breach"), "every fast clock breached", 120)
    finally:
        for proc in started:
            proc.stop()
    resumed = [m.groups() for m in RESUMED.finditer(sla.log_path.read_text(errors="replace"))]
    assert sorted(int(p) for p, _, _ in resumed) == [0, 1, 2], sla.tail()
    assert all(int(offset) > 0 for _, _, offset in resumed), "the restarted sla worker read a changelog from 0"
    assert sum(int(n) for _, n, _ in resumed) >= len(slow), "the slow clocks' alarms are not in the copy"
    events = alarm_events(mine)
    assert all(len(v) == 1 for v in events.values()), "an SLA alarm recorded twice"
    assert {k.rpartition("#")[2] for k in events} >= {"warning-50", "warning-75", "breach"}
    assert not [k for k in events if k.split("/")[0] in slow], "a working-day clock fell due"
    breaches = [k for k in events if k.endswith("#breach")]
    assert len(breaches) == len(fast)
