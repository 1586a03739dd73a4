"""The pure parts of deploy/local/stack.py: generated configs, ids, java version parsing, pid checks."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from deploy.local import stack
from deploy.local.stack import (
    StackConfig,
    StackError,
    elasticsearch_yml,
    find_java,
    kafka_server_properties,
    new_cluster_id,
    parse_java_version,
    pid_is_ours,
    pom_versions,
    read_pid,
)

pytestmark = pytest.mark.unit


def _properties(text: str) -> dict[str, str]:
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def _yaml_scalars(text: str) -> dict[str, object]:
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return {k: json.loads(v) for k, v in (line.split(": ", 1) for line in lines)}


@pytest.fixture
def cfg(tmp_path: Path) -> StackConfig:
    return StackConfig(stack_dir=tmp_path / ".stack", kafka_port=19092, kafka_controller_port=19093,
                       es_port=19200, es_transport_port=19300)


def test_server_properties_is_a_single_kraft_node_on_loopback(cfg: StackConfig):
    props = _properties(kafka_server_properties(cfg))
    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == "1"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"  # clients never see the controller
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["log.dirs"] == str(cfg.stack_dir / "kafka" / "data")
    assert props["num.partitions"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"


def test_server_properties_internal_topics_fit_one_broker(cfg: StackConfig):
    props = _properties(kafka_server_properties(cfg))
    for key in ("offsets.topic.replication.factor", "transaction.state.log.replication.factor",
                "transaction.state.log.min.isr", "share.coordinator.state.topic.replication.factor",
                "share.coordinator.state.topic.min.isr", "min.insync.replicas"):
        assert props[key] == "1", key


def test_elasticsearch_yml_single_node_without_security(cfg: StackConfig, tmp_path: Path):
    data, logs = tmp_path / "es data", tmp_path / "es-logs"
    settings = _yaml_scalars(elasticsearch_yml(cfg, data, logs))
    assert settings == {
        "cluster.name": "aduan-local", "node.name": "aduan-local-1",
        "path.data": str(data), "path.logs": str(logs),
        "network.host": "127.0.0.1", "http.port": 19200, "transport.port": 19300,
        "discovery.type": "single-node", "xpack.security.enabled": False,
        "cluster.routing.allocation.disk.threshold_enabled": False,
    }


def test_elasticsearch_yml_sets_nothing_of_modules_the_integ_test_zip_lacks(cfg: StackConfig, tmp_path: Path):
    text = elasticsearch_yml(cfg, tmp_path, tmp_path)
    for absent in ("xpack.ml", "ingest.geoip", "xpack.watcher", "xpack.monitoring"):
        assert absent not in text


def test_cluster_id_is_22_url_safe_base64_chars_of_a_uuid4():
    ids = {new_cluster_id() for _ in range(50)}
    assert len(ids) == 50
    for cid in ids:
        assert len(cid) == 22 and "=" not in cid
        assert set(cid) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        assert uuid.UUID(bytes=base64.urlsafe_b64decode(cid + "==")).version == 4


@pytest.mark.parametrize(("output", "major"), [
    ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)', 17),
    ('openjdk version "21.0.5" 2024-10-15 LTS', 21),
    ('openjdk version "25-ea" 2025-09-16', 25),
    ('openjdk version "11" 2018-09-25', 11),
    ('java version "1.8.0_392"\nJava(TM) SE Runtime Environment (build 1.8.0_392-b08)', 8),
    ("1.8.0_392", 8),
    ("openjdk 21.0.1 2023-10-17", 21),  # `java --version` style
    ("bash: java: command not found", None),
    ("", None),
])
def test_parse_java_version(output: str, major: int | None):
    assert parse_java_version(output) == major


def _fake_java(tmp_path: Path, version_line: str) -> Path:
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n")
    java.chmod(0o755)
    return home


def test_find_java_rejects_java_8_and_says_what_to_install(tmp_path: Path):
    home = _fake_java(tmp_path, 'java version "1.8.0_392"')
    with pytest.raises(StackError) as err:
        find_java(str(home))
    assert "openjdk-17-jre-headless" in str(err.value) and "JAVA_HOME" in str(err.value)


def test_find_java_accepts_17_from_java_home(tmp_path: Path):
    home = _fake_java(tmp_path, 'openjdk version "17.0.15" 2025-04-15')
    assert find_java(str(home)) == (str(home / "bin" / "java"), 17)


def test_find_java_missing(tmp_path: Path):
    with pytest.raises(StackError, match="openjdk-17-jre-headless"):
        find_java(str(tmp_path / "no-jdk"))


def test_pom_holds_both_versions():
    versions = pom_versions(StackConfig(stack_dir=Path(".stack")).pom)
    assert versions["kafka.version"].split(".")[0].isdigit()
    assert versions["elasticsearch.version"].startswith("8.")


def test_heap_above_1024_mb_is_refused(tmp_path: Path):
    with pytest.raises(StackError, match="es_heap_mb"):
        StackConfig(stack_dir=tmp_path, es_heap_mb=2048)


def test_from_env_reads_ports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in list(os.environ):
        if name.startswith("ADUAN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ADUAN_KAFKA_PORT", "29092")
    monkeypatch.setenv("ADUAN_ES_PORT", "29200")
    got = StackConfig.from_env(tmp_path)
    assert (got.kafka_port, got.es_port, got.kafka_controller_port) == (29092, 29200, 9093)
    monkeypatch.setenv("ADUAN_ES_PORT", "nine")
    with pytest.raises(StackError, match="ADUAN_ES_PORT"):
        StackConfig.from_env(tmp_path)


def test_pid_file_of_a_process_that_is_not_ours_is_rejected(tmp_path: Path):
    pidfile = tmp_path / "kafka.pid"
    pidfile.write_text(f"{os.getpid()}\n")  # a live process, but pytest is no Kafka broker
    assert read_pid(pidfile, ("kafka.Kafka", "/some/stack/kafka/config/server.properties")) is None
    for junk in ("", "not a pid", "-5", "0"):
        pidfile.write_text(junk)
        assert read_pid(pidfile, ("kafka.Kafka",)) is None
    assert read_pid(tmp_path / "missing.pid", ("kafka.Kafka",)) is None


def test_pid_file_of_our_process_is_accepted_and_a_dead_one_rejected(tmp_path: Path):
    markers = ("kafka.Kafka", str(tmp_path / "server.properties"))
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *markers])
    pidfile = tmp_path / "kafka.pid"
    pidfile.write_text(f"{proc.pid}\n")
    try:
        # Until the child has exec'd, its command line is still ours: wait for it (bounded).
        cmdline = Path(f"/proc/{proc.pid}/cmdline")
        for _ in range(200):
            if b"kafka.Kafka" in cmdline.read_bytes():
                break
            time.sleep(0.01)
        assert read_pid(pidfile, markers) == proc.pid
        assert not pid_is_ours(proc.pid, ("kafka.Kafka", "/another/stack/server.properties"))
    finally:
        proc.kill()
        proc.wait()
    assert read_pid(pidfile, markers) is None


def test_unknown_service_is_refused(tmp_path: Path):
    with pytest.raises(StackError, match="unknown service"):
        stack.status(StackConfig(stack_dir=tmp_path), ["zookeeper"])


def test_down_kills_the_whole_group_even_when_it_ignores_sigterm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cfg = StackConfig(stack_dir=tmp_path / ".stack")
    run = cfg.stack_dir / "run"
    run.mkdir(parents=True)
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    parent = ("import subprocess, sys; subprocess.Popen([sys.executable, '-c', sys.argv[1]]); "
              "exec(sys.argv[1])")
    props = cfg.stack_dir / "kafka" / "config" / "server.properties"
    proc = subprocess.Popen([sys.executable, "-c", parent, stubborn, "kafka.Kafka", str(props)],
                            start_new_session=True)
    (run / "kafka.pid").write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + 10
    while len(stack._group_members(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(stack._group_members(proc.pid)) == 2
    monkeypatch.setattr(stack, "STOP_TIMEOUT_S", 0.5)
    messages: list[str] = []
    try:
        stack.down(cfg, ["kafka"], log=messages.append)
    finally:
        if stack._group_members(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
    assert stack._group_members(proc.pid) == []
    assert not (run / "kafka.pid").exists()
    assert messages[0].startswith("stopping Kafka") and messages[-1].startswith("Kafka stopped")


def test_cluster_id_never_starts_with_a_dash():
    # The storage tool's parser read "-t -AbC..." as a missing value: one start in 64 failed so.
    assert not any(new_cluster_id().startswith("-") for _ in range(5000))
