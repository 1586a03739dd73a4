"""`aduan stack`: up twice starts nothing twice; down leaves no process of the stack running.

Runs a stack of its own (other ports, its own folder; the engines already fetched are reused) through
the real command line, so the shared stack of the other tests is not disturbed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import Settings
from tests.support import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def our_java_processes(stack_dir: Path) -> list[int]:
    """Pids of live (not zombie) processes whose command line names this stack's folder."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(stack_dir).encode() in cmdline and state != "Z":
            pids.append(int(proc.name))
    return pids


def aduan(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aduan.cli", *args], env=env, capture_output=True, text=True,
                          timeout=240)


def test_up_twice_starts_nothing_twice_and_down_leaves_nothing(tmp_path: Path):
    stack_dir = tmp_path / "stack"
    stack_dir.mkdir()
    os.symlink(Settings().stack_dir.resolve() / "artifacts", stack_dir / "artifacts")
    env = {**os.environ, "ADUAN_STACK_DIR": str(stack_dir),
           "ADUAN_KAFKA_PORT": str(free_port()), "ADUAN_KAFKA_CONTROLLER_PORT": str(free_port()),
           "ADUAN_ES_PORT": str(free_port()), "ADUAN_ES_TRANSPORT_PORT": str(free_port()),
           "ADUAN_KAFKA_HEAP_MB": "256", "ADUAN_ES_HEAP_MB": "256"}
    try:
        first = aduan(env, "stack", "up")
        assert first.returncode == 0, first.stdout + first.stderr
        pids = sorted(our_java_processes(stack_dir))
        assert pids, "no process of the stack runs after up"

        second = aduan(env, "stack", "up")
        assert second.returncode == 0, second.stdout + second.stderr
        assert "Kafka already running" in second.stdout and "Elasticsearch already running" in second.stdout
        assert sorted(our_java_processes(stack_dir)) == pids

        status = aduan(env, "stack", "status")
        assert status.stdout.count("running") == 2, status.stdout
    finally:
        down = aduan(env, "stack", "down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert our_java_processes(stack_dir) == []
    assert aduan(env, "stack", "status").stdout.count("stopped") == 2
