"""Importing the stream processors changes nothing: no faust app, no Prometheus series, no patched faust class,
no logger levels, no folders, no threads. Everything is made by `build_worker`, which this test also calls, to
show that the check sees what a build does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import gc, importlib, json, logging, pkgutil, sys, threading
import faust, prometheus_client
import faust.transport.consumer as consumer

def snapshot():
    return {
        "apps": sum(isinstance(o, faust.App) for o in gc.get_objects()),
        "series": sorted(prometheus_client.REGISTRY._names_to_collectors),
        "consumer": sorted(k for k, v in vars(consumer.Consumer).items() if callable(v)),
        "consumer_ids": sorted(f"{k}:{id(v)}" for k, v in vars(consumer.Consumer).items() if callable(v)),
        "levels": {n: logging.getLogger(n).level for n in ("elastic_transport", "faust", "kafka", "")},
        "threads": threading.active_count(),
    }

before = snapshot()
import stream_processors
modules = [m.name for m in pkgutil.walk_packages(stream_processors.__path__, "stream_processors.")]
for name in modules:
    importlib.import_module(name)
after = snapshot()
built = None
if sys.argv[1] == "build":
    from config.settings import Settings
    from config.jurisdiction_file import load_jurisdiction
    from stream_processors.worker import build_worker
    s = Settings()
    build_worker(s, load_jurisdiction(s.jurisdiction_file), "all")
    built = snapshot()
print(json.dumps({"modules": modules, "before": before, "after": after, "built": built}))
"""


def probe(tmp_path: Path, mode: str) -> dict:
    env = {**os.environ, "ADUAN_WORKER_DATA_DIR": str(tmp_path / "tables"), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", PROBE, mode], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_every_stream_processors_module_changes_no_state(tmp_path):
    found = probe(tmp_path, "import")
    assert {"stream_processors.worker", "stream_processors.agents", "stream_processors.sla_timer",
            "stream_processors.faust_adapter"} <= set(found["modules"])
    assert found["after"] == found["before"]
    assert not (tmp_path / "tables").exists()


def test_the_check_sees_what_a_build_does(tmp_path):
    found = probe(tmp_path, "build")
    assert found["after"] == found["before"]
    built = found["built"]
    assert built["apps"] == found["before"]["apps"] + 1
    assert built["levels"]["elastic_transport"] != found["before"]["levels"]["elastic_transport"]
    assert (tmp_path / "tables").is_dir()
    # faust's own Consumer class is never patched, not even by a build: the guard is a subclass.
    assert built["consumer_ids"] == found["before"]["consumer_ids"]
