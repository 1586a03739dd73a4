"""`aduan run`, the README's first command, on the test stack: it starts a worker and the API and prints the URL;
a worker that dies is started again (the supervisor a worker's watchdog relies on) and cases are routed again;
Ctrl-C stops every process it started. Its own topics, indices and consumer group."""

from __future__ import annotations

import os
import signal
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.integration.test_lifecycle import BODY
from tests.support import Process, free_port, settings_env, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def children_of(pid: int) -> dict[int, str]:
    """The live child processes of `pid`: their pid -> command line."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid:
                found[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return found


def workers_of(pid: int) -> list[int]:
    return [child for child, command in children_of(pid).items() if " worker" in command]


def test_run_starts_the_platform_and_restarts_a_worker_that_dies(stack, es, logs_dir):
    mine = stack.model_copy(update={
        "topic_prefix": f"{stack.topic_prefix}run.", "index_prefix": f"{stack.index_prefix}run-",
        "app_id": f"{stack.app_id}-run", "api_port": free_port(), "worker_web_port": free_port(),
        "worker_metrics_port": free_port(), "session_timeout_s": 6.0})
    run = Process("aduan-run", [sys.executable, "-m", "aduan.cli", "run", "--demo-count", "0", "--keep-stack"],
                  settings_env(mine), logs_dir)
    try:
        def said(text: str) -> bool:
            if not run.alive():
                raise AssertionError(f"aduan run exited:\n{run.tail()}")
            return text in run.log_path.read_text(errors="replace")

        wait_for(lambda: said(f"Aduan is running: {mine.base_url}"), "aduan run printing its URL", timeout_s=180)
        (worker,) = wait_for(lambda: workers_of(run.proc.pid), "the worker of aduan run")

        os.kill(worker, signal.SIGKILL)
        wait_for(lambda: said(f"worker 1 exited with code {-signal.SIGKILL}; starting it again"),
                 "aduan run noticing its worker died", timeout_s=30)
        (again,) = wait_for(lambda: [w for w in workers_of(run.proc.pid) if w != worker], "a new worker")

        # The platform goes on: a complaint submitted now is routed by the new worker.
        answer = httpx.post(f"{mine.base_url}/api/v1/complaints", timeout=30,
                            json={**BODY, "client_request_id": uuid.uuid4().hex})
        assert answer.status_code == 202, answer.text
        tracking_id = answer.json()["tracking_id"]

        def routed() -> bool:
            doc = es.options(ignore_status=404).get(index=mine.indices.cases, id=tracking_id)
            return doc.get("found") and doc["_source"]["seq"] >= 2

        wait_for(routed, "the case routed after the restart", timeout_s=120)

        # Ctrl-C stops what it started (and, with --keep-stack, leaves the stack alone).
        started = children_of(run.proc.pid)
        assert again in started and len(started) == 2  # the worker and the API
        run.proc.send_signal(signal.SIGINT)
        assert run.proc.wait(60) == 0
        assert not [pid for pid in started if Path(f"/proc/{pid}").exists()], run.tail()
        assert es.cluster.health()["status"] in ("green", "yellow")  # the stack still runs
    finally:
        run.stop()
