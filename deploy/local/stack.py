"""The local stack: one Apache Kafka broker and one Elasticsearch node on loopback, no Docker.

Both engines come from Maven Central through mvn and the pom beside this file, the one place
that holds their versions. They are cached, with their state, logs and pid files, under
`StackConfig.stack_dir`. `aduan stack up|down|status` drives this module, as does
`python -m deploy.local.stack up|down|status`.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import logging
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVICES = ("kafka", "elasticsearch")
LABEL = {"kafka": "Kafka", "elasticsearch": "Elasticsearch"}
ENV_VARS = {"kafka_port": "ADUAN_KAFKA_PORT", "kafka_controller_port": "ADUAN_KAFKA_CONTROLLER_PORT",
            "es_port": "ADUAN_ES_PORT", "es_transport_port": "ADUAN_ES_TRANSPORT_PORT",
            "kafka_heap_mb": "ADUAN_KAFKA_HEAP_MB", "es_heap_mb": "ADUAN_ES_HEAP_MB"}
# Every port a service binds, as (StackConfig field, what listens); the first one is for clients.
PORTS = {"kafka": (("kafka_port", "Kafka"), ("kafka_controller_port", "Kafka controller")),
         "elasticsearch": (("es_port", "Elasticsearch HTTP"), ("es_transport_port", "Elasticsearch transport"))}
ES_USER = "aduan-es"
ES_RELOCATED = Path("/var/lib/aduan-es")
STOP_TIMEOUT_S = 30.0
# What Kafka's own start script passes; on JDK 17+ Kafka 4.1 needs no --add-opens.
KAFKA_JVM_FLAGS = ("-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
                   "-XX:+ExplicitGCInvokesConcurrent", "-Djava.awt.headless=true")
INSTALL_JAVA = ("install OpenJDK 17 (e.g. `apt-get install openjdk-17-jre-headless`) "
                "or set JAVA_HOME to a JDK 17 or newer")
# A loopback health check must never be routed through an http_proxy from the environment.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))
Log = Callable[[str], None]


class StackError(Exception):
    """A failure the user can act on; the message is what they read."""


@dataclass(frozen=True)
class StackConfig:
    stack_dir: Path
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    es_port: int = 9200
    es_transport_port: int = 9300
    kafka_heap_mb: int = 512
    es_heap_mb: int = 512
    java_home: str | None = None
    ready_timeout_s: float = 120.0
    pom: Path = HERE / "pom.xml"

    def __post_init__(self) -> None:
        # abspath, not resolve(): ES reports its home as the logical path, and pid checks match on it.
        object.__setattr__(self, "stack_dir", Path(os.path.abspath(self.stack_dir)))
        for name in ("kafka_heap_mb", "es_heap_mb"):
            if not 128 <= getattr(self, name) <= 1024:
                raise StackError(f"{name} must be between 128 and 1024 (MB), not {getattr(self, name)}")

    @classmethod
    def from_env(cls, stack_dir: Path | None = None) -> StackConfig:
        """Defaults overridden by the ADUAN_* variables of ENV_VARS (and ADUAN_STACK_DIR)."""
        kw = {}
        for name, var in ENV_VARS.items():
            if os.environ.get(var):
                if not os.environ[var].isdigit():
                    raise StackError(f"{var} must be a whole number, not {os.environ[var]!r}")
                kw[name] = int(os.environ[var])
        return cls(stack_dir or Path(os.environ.get("ADUAN_STACK_DIR") or HERE.parents[1] / ".stack"), **kw)


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    running: bool
    pid: int | None
    port: int
    detail: str
    rss_mb: float | None = None  # all processes of the service (ES: launcher + server JVM)


# ------------------------------------------------------------------ pure parts, unit-tested

def pom_versions(pom: Path) -> dict[str, str]:
    """The pom's <properties>, e.g. {'kafka.version': '4.1.1', 'elasticsearch.version': ...}."""
    props = ET.parse(pom).getroot().find(  # noqa: S314 - our own pom, not untrusted input
        "{http://maven.apache.org/POM/4.0.0}properties")
    return {el.tag.rpartition("}")[2]: (el.text or "").strip() for el in (props if props is not None else [])}


def parse_java_version(text: str) -> int | None:
    """Major version in `java -version` output: 'openjdk version "17.0.15" ...' -> 17, '1.8.0_392' -> 8."""
    quoted = re.search(r'version "([^"]+)"', text)
    m = re.search(r"(?<![\w.-])(\d+)(?:\.(\d+))?", quoted.group(1) if quoted else text)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2)) if major == 1 and m.group(2) else major  # JDK 8 and older call themselves 1.x


def new_cluster_id() -> str:
    """Like `kafka-storage random-uuid`: a uuid4 as 22 url-safe base64 characters, unpadded, and
    never starting with "-", which the storage tool's argument parser would take for an option."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _render(settings: dict, sep: str, value: Callable = str) -> str:
    return "# Written by deploy/local/stack.py on every `up`; edits are overwritten.\n" + "".join(
        f"{k}{sep}{value(v)}\n" for k, v in settings.items())


def kafka_server_properties(cfg: StackConfig) -> str:
    c = cfg.kafka_controller_port
    return _render({
        "process.roles": "broker,controller", "node.id": 1, "controller.quorum.voters": f"1@127.0.0.1:{c}",
        "listeners": f"PLAINTEXT://127.0.0.1:{cfg.kafka_port},CONTROLLER://127.0.0.1:{c}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{cfg.kafka_port}",
        "controller.listener.names": "CONTROLLER", "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": cfg.stack_dir / "kafka" / "data", "num.partitions": 1, "default.replication.factor": 1,
        # One broker can never reach the default replication factor (3) of the internal topics.
        "offsets.topic.replication.factor": 1, "min.insync.replicas": 1,
        "transaction.state.log.replication.factor": 1, "transaction.state.log.min.isr": 1,
        "share.coordinator.state.topic.replication.factor": 1, "share.coordinator.state.topic.min.isr": 1,
        # One partition instead of 50 per internal topic: a quicker first start, less memory at rest.
        "offsets.topic.num.partitions": 1, "transaction.state.log.num.partitions": 1,
        "share.coordinator.state.topic.num.partitions": 1,
        # Tests and dev loops should not wait 3 s for every new consumer group to settle.
        "group.initial.rebalance.delay.ms": 0,
    }, "=")


def elasticsearch_yml(cfg: StackConfig, data_dir: Path, logs_dir: Path) -> str:
    # Core and x-pack security settings only: the integ-test zip lacks most modules (ml, geoip...)
    # and refuses to start on a setting it does not know.
    return _render({
        "cluster.name": "aduan-local", "node.name": "aduan-local-1",
        "path.data": str(data_dir), "path.logs": str(logs_dir),
        "network.host": "127.0.0.1", "http.port": cfg.es_port, "transport.port": cfg.es_transport_port,
        "discovery.type": "single-node", "xpack.security.enabled": False,
        # Dev disks are often nearly full; a read-only index block would look like a bug of the app.
        "cluster.routing.allocation.disk.threshold_enabled": False,
    }, ": ", json.dumps)  # JSON scalars are valid YAML and quote paths safely


def _proc_stat(pid: int) -> list[str]:
    # The fields after the parenthesised command name: state, ppid, pgrp, ...
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def pid_is_ours(pid: int, markers: Sequence[str]) -> bool:
    """Whether pid is a live process whose command line holds every marker: a stale pid file,
    its pid since reused by some other program, must never get that program killed."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        return _proc_stat(pid)[0] != "Z" and all(m in cmdline for m in markers)
    except (OSError, IndexError):
        return False


def read_pid(path: Path, markers: Sequence[str]) -> int | None:
    """The pid recorded in path if that process is still ours, else None."""
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid > 0 and pid_is_ours(pid, markers) else None


# ------------------------------------------------------------------ processes, ports, layout

def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            st = _proc_stat(int(entry))
        except (OSError, IndexError):
            continue
        if st[2] == str(pgid) and st[0] != "Z":
            members.append(int(entry))
    return members


def _rss_mb(pids: Sequence[int]) -> float:
    kb = 0
    for pid in pids:
        with contextlib.suppress(OSError, AttributeError):  # gone meanwhile
            kb += int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))
    return kb / 1024


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class _Layout:
    kafka_ver: str
    es_ver: str
    artifacts: Path
    kafka_home: Path  # libs/*.jar
    es_zip: Path
    es_home: Path     # the unpacked distribution
    es_root: Path     # ES's config/, data/, logs/, tmp/ and server.pid
    relocated: bool
    markers: dict[str, tuple[str, ...]]  # what the command line of each service's processes holds
    pid_files: dict[str, list[Path]]     # the first is the pid `up` started
    logs: dict[str, list[Path]]


def _layout(cfg: StackConfig) -> _Layout:
    try:
        versions = pom_versions(cfg.pom)
        kver, ever = versions["kafka.version"], versions["elasticsearch.version"]
    except (OSError, ET.ParseError, KeyError) as e:
        raise StackError(f"cannot read the engine versions from {cfg.pom}: {e}") from None
    art = cfg.stack_dir / "artifacts"
    es_home, es_root, relocated = art / f"elasticsearch-{ever}", cfg.stack_dir / "elasticsearch", False
    if os.geteuid() == 0 and art.is_dir():
        # ES runs as an unprivileged account, which must be able to walk down to its folders; a
        # clone under a 0700 folder (common in CI) does not allow it, so ES then lives elsewhere.
        try:
            account = pwd.getpwnam(ES_USER)
            uid, gid = account.pw_uid, account.pw_gid
        except KeyError:
            uid = gid = -1
        # Both chains matter when artifacts/ is a symlink (a shared cache): ES walks through it.
        for p in sorted({art.resolve(), *art.resolve().parents, art, *art.parents}):
            st = p.stat()
            bit = stat.S_IXUSR if st.st_uid == uid else stat.S_IXGRP if st.st_gid == gid else stat.S_IXOTH
            if not st.st_mode & bit:
                es_root = ES_RELOCATED / hashlib.sha256(str(cfg.stack_dir).encode()).hexdigest()[:12]
                es_home, relocated = es_root / f"elasticsearch-{ever}", True
                break
    kdir, run = cfg.stack_dir / "kafka", cfg.stack_dir / "run"
    return _Layout(
        kver, ever, art, art / f"kafka-{kver}", art / f"elasticsearch-{ever}.zip", es_home, es_root, relocated,
        # Paths unique to this stack_dir (installs may be shared through symlinks). es_root is in
        # the command line of all three stages of ES: the bin/elasticsearch script (-p), the
        # launcher JVM it execs (-Des.path.conf) and the server JVM that forks (-Djava.io.tmpdir).
        markers={"kafka": ("kafka.Kafka", str(kdir / "config" / "server.properties")),
                 "elasticsearch": ("elasticsearch", f"{es_root}/")},
        pid_files={"kafka": [run / "kafka.pid"], "elasticsearch": [run / "elasticsearch.pid", es_root / "server.pid"]},
        logs={"kafka": [kdir / "logs" / "kafka.out", kdir / "logs" / "server.log"],
              "elasticsearch": [es_root / "logs" / "elasticsearch.out", es_root / "logs" / "aduan-local.log"]})


# ------------------------------------------------------------------ java and artifacts

def find_java(java_home: str | None) -> tuple[str, int]:
    """(java executable, major version) from java_home, else $JAVA_HOME, else PATH."""
    home = java_home or os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not os.access(java, os.X_OK):
        raise StackError(f"Java not found {'at ' + str(java) if home else 'on PATH'}: {INSTALL_JAVA}.")
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise StackError(f"cannot run `{java} -version` ({e}): {INSTALL_JAVA}.") from None
    major = parse_java_version(out.stderr + out.stdout)
    if major is None or major < 17:
        raise StackError(f"{java} is Java {major or '(unknown)'}, and Kafka 4 and Elasticsearch 8 need "
                         f"Java 17 or newer: {INSTALL_JAVA}.")
    return java, major


def _mvn(cfg: StackConfig, what: str, *args: str) -> None:
    mvn = shutil.which("mvn")
    if not mvn:
        raise StackError(f"Maven (mvn) is needed to fetch {what}: install it (`apt-get install maven`).")
    cmd = [mvn, "-B", "-q", "-Dstyle.color=never", "-f", str(cfg.pom), "dependency:copy-dependencies", *args]
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=1800)
    except subprocess.TimeoutExpired:
        raise StackError(f"mvn took over 30 minutes to fetch {what}; check the network and retry.") from None
    if r.returncode:
        tail = "\n".join(re.sub(r"\x1b\[[0-9;]*m", "", r.stdout).splitlines()[-30:])
        raise StackError(f"mvn failed to fetch {what} (exit {r.returncode}); is Maven Central (or the mirror "
                         f"in ~/.m2/settings.xml) reachable? mvn said:\n{tail}")


def _fetch(cfg: StackConfig, lay: _Layout, services: Sequence[str], log: Log) -> None:
    # Each artifact is built in a .part folder and renamed when complete, so an interrupted
    # fetch or unzip is redone rather than mistaken for a finished one.
    if "kafka" in services and not lay.kafka_home.is_dir():
        log(f"fetching Kafka {lay.kafka_ver} with mvn…")
        part = lay.kafka_home.with_name(lay.kafka_home.name + ".part")
        shutil.rmtree(part, ignore_errors=True)
        _mvn(cfg, f"Kafka {lay.kafka_ver}", "-DexcludeTypes=zip", "-DincludeScope=runtime",
             f"-DoutputDirectory={part / 'libs'}")
        part.rename(lay.kafka_home)
    if "elasticsearch" not in services or lay.es_home.is_dir():
        return
    if not lay.es_zip.is_file():
        log(f"fetching Elasticsearch {lay.es_ver} with mvn…")
        part = lay.artifacts / "es-zip.part"
        shutil.rmtree(part, ignore_errors=True)
        _mvn(cfg, f"Elasticsearch {lay.es_ver}", "-DincludeTypes=zip", f"-DoutputDirectory={part}")
        (part / lay.es_zip.name).rename(lay.es_zip)
        shutil.rmtree(part)
    log(f"unpacking Elasticsearch {lay.es_ver}…")
    part = lay.es_home.with_name(lay.es_home.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    with zipfile.ZipFile(lay.es_zip) as zf:
        zf.extractall(part)
        # zipfile drops unix modes; the zip keeps them in external_attr (bin/* are 0755).
        for info in zf.infolist():
            mode = info.external_attr >> 16 & 0o777
            if not mode and "/bin/" in info.filename and not info.is_dir():
                mode = 0o755
            if mode:
                os.chmod(part / info.filename, mode | (0o700 if info.is_dir() else 0))
    (part / lay.es_home.name).rename(lay.es_home)
    shutil.rmtree(part)


# ------------------------------------------------------------------ starting and waiting

def _config_file(cfg: StackConfig, lay: _Layout, svc: str) -> tuple[Path, str]:
    if svc == "kafka":
        return cfg.stack_dir / "kafka" / "config" / "server.properties", kafka_server_properties(cfg)
    root = lay.es_root
    return root / "config" / "elasticsearch.yml", elasticsearch_yml(cfg, root / "data", root / "logs")


def _start_kafka(cfg: StackConfig, lay: _Layout, java: str, log: Log) -> subprocess.Popen:
    kdir = cfg.stack_dir / "kafka"
    for d in ("config", "data", "logs"):
        (kdir / d).mkdir(parents=True, exist_ok=True)
    props, text = _config_file(cfg, lay, "kafka")
    props.write_text(text)
    classpath = ["-cp", str(lay.kafka_home / "libs" / "*"), f"-Dkafka.logs.dir={kdir / 'logs'}",
                 f"-Dlog4j2.configurationFile={HERE / 'log4j2-kafka.properties'}"]
    if not (kdir / "data" / "meta.properties").exists():
        r = subprocess.run([java, *classpath, "kafka.tools.StorageTool", "format", "-t", new_cluster_id(),
                            "-c", str(props)], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        if r.returncode:
            raise StackError(f"formatting Kafka's storage failed:\n{(r.stdout + r.stderr).strip()[-3000:]}")
    log(f"starting Kafka on 127.0.0.1:{cfg.kafka_port}…")
    with open(kdir / "logs" / "kafka.out", "wb") as out:  # fresh, so a failure's tail is this run's
        return subprocess.Popen([java, f"-Xms{cfg.kafka_heap_mb}m", f"-Xmx{cfg.kafka_heap_mb}m", *KAFKA_JVM_FLAGS,
                                 *classpath, "kafka.Kafka", str(props)], cwd=kdir, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _start_es(cfg: StackConfig, lay: _Layout, java: str, log: Log) -> subprocess.Popen:
    root = lay.es_root
    conf, logs = root / "config", root / "logs"
    if not (conf / "jvm.options").exists():
        shutil.copytree(lay.es_home / "config", conf, dirs_exist_ok=True)
    for d in ("data", "logs", "tmp"):
        (root / d).mkdir(parents=True, exist_ok=True)
    yml, text = _config_file(cfg, lay, "elasticsearch")
    yml.write_text(text)
    out_path = logs / "elasticsearch.out"
    out_path.write_bytes(b"")  # fresh, so a failure's tail is this run's
    env = {**os.environ, "ES_JAVA_HOME": str(Path(os.path.realpath(java)).parents[1]),  # no bundled JDK
           "ES_PATH_CONF": str(conf), "ES_TMPDIR": str(root / "tmp"),
           "ES_JAVA_OPTS": f"-Xms{cfg.es_heap_mb}m -Xmx{cfg.es_heap_mb}m"}
    as_user = {}
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam(ES_USER)
        except KeyError:
            log(f"creating the system account {ES_USER} (Elasticsearch refuses to run as root)…")
            r = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ES_USER],
                               capture_output=True, text=True)
            if r.returncode:
                raise StackError(f"cannot create the account {ES_USER} to run Elasticsearch: "
                                 f"{r.stderr.strip()}") from None
            account = pwd.getpwnam(ES_USER)
        for dirpath, dirnames, filenames in (*os.walk(lay.es_home), *os.walk(root)):
            for p in (dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)):
                if os.lstat(p).st_uid != account.pw_uid:
                    os.lchown(p, account.pw_uid, account.pw_gid)
        as_user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        env.update(HOME=str(root), USER=ES_USER, LOGNAME=ES_USER)
    (root / "server.pid").unlink(missing_ok=True)
    log(f"starting Elasticsearch on 127.0.0.1:{cfg.es_port}…")
    with open(out_path, "ab") as out:
        # bin/elasticsearch runs a launcher JVM that forks the server JVM; -p records the latter.
        return subprocess.Popen([str(lay.es_home / "bin" / "elasticsearch"), "-p", str(root / "server.pid")],
                                cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, **as_user)


def _kafka_ready(port: int) -> bool:
    if not _port_open(port):
        return False
    from kafka import KafkaAdminClient
    quiet = logging.getLogger("kafka")
    level, quiet.level = quiet.level, logging.CRITICAL  # refused connections while it boots are expected
    try:
        admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=5000,
                                 client_id="aduan-stack-probe")
        try:
            return bool(admin.describe_cluster().get("brokers"))  # a real metadata round trip
        finally:
            admin.close()
    except Exception:  # noqa: BLE001 - any failure only means "not ready yet"
        return False
    finally:
        quiet.level = level


def _es_ready(port: int) -> bool:
    url = f"http://127.0.0.1:{port}/_cluster/health?wait_for_status=yellow&timeout=1s"
    try:
        with _HTTP.open(url, timeout=5) as r:
            return json.load(r).get("status") in ("green", "yellow")
    except (OSError, ValueError):
        return False


def _wait_ready(cfg: StackConfig, lay: _Layout, svc: str, proc: subprocess.Popen | int, log: Log) -> None:
    port, t0 = getattr(cfg, PORTS[svc][0][0]), time.monotonic()
    if isinstance(proc, subprocess.Popen):
        pid, alive = proc.pid, lambda: proc.poll() is None
    else:  # started by an earlier `up` and still booting
        pid, alive = proc, lambda: pid_is_ours(proc, lay.markers[svc])
    while not (_kafka_ready if svc == "kafka" else _es_ready)(port):
        failed = ""
        if not alive():
            failed = "exited during startup"
        elif time.monotonic() - t0 > cfg.ready_timeout_s:
            failed = f"was not ready after {cfg.ready_timeout_s:g} s"
        if failed:
            _stop(cfg, lay, svc, lambda _: None, also={pid})  # nothing half-started stays behind
            logs = [p for p in lay.logs[svc] if p.is_file() and p.stat().st_size]
            newest = max(logs, key=lambda p: p.stat().st_mtime, default=lay.logs[svc][0])
            tail = "\n".join(newest.read_text(errors="replace").splitlines()[-30:]) if logs else "(empty)"
            raise StackError(f"{LABEL[svc]} {failed}. Last lines of {newest}:\n{tail}")
        time.sleep(0.5)
    log(f"{LABEL[svc]} ready in {time.monotonic() - t0:.1f} s")


# ------------------------------------------------------------------ public API

def _services(services: Sequence[str]) -> list[str]:
    services = [services] if isinstance(services, str) else services
    unknown = set(services) - set(SERVICES)
    if unknown:
        raise StackError(f"unknown service {', '.join(sorted(unknown))}; choose from {', '.join(SERVICES)}")
    return [s for s in SERVICES if s in services]


def up(cfg: StackConfig, services: Sequence[str] = SERVICES, log: Log = print) -> None:
    services = _services(services)
    java, _ = find_java(cfg.java_home)
    if "kafka" in services:
        try:
            import kafka  # noqa: F401 - the readiness probe speaks Kafka's protocol through it
        except ImportError:
            raise StackError("kafka-python is needed to check that Kafka is ready: pip install kafka-python") from None
    (cfg.stack_dir / "artifacts").mkdir(parents=True, exist_ok=True)
    (cfg.stack_dir / "run").mkdir(exist_ok=True)
    lay = _layout(cfg)
    to_start, to_wait = [], {}
    for svc in services:
        port = getattr(cfg, PORTS[svc][0][0])
        pid = read_pid(lay.pid_files[svc][0], lay.markers[svc])
        path, text = _config_file(cfg, lay, svc)
        if pid and path.is_file() and path.read_text() != text:  # e.g. other ports: we would wait forever
            raise StackError(f"{LABEL[svc]} is already running (pid {pid}) with other settings than these "
                             f"(ports?); stop it first (down), then start it again.")
        if pid and _port_open(port):
            log(f"{LABEL[svc]} already running (pid {pid}) on 127.0.0.1:{port}")
        elif pid:
            log(f"{LABEL[svc]} is still starting (pid {pid}); waiting for it")
            to_wait[svc] = pid
        else:
            for field, what in PORTS[svc]:  # fail now, not when a JVM dies on bind a while later
                if _port_open(getattr(cfg, field)):
                    raise StackError(f"port {getattr(cfg, field)} on 127.0.0.1 ({what}) is already used by another "
                                     f"process; stop it, or choose a free port with {ENV_VARS[field]}=<port>.")
            to_start.append(svc)
    if lay.relocated and "elasticsearch" in to_start:
        log(f"{ES_USER} cannot reach {cfg.stack_dir} (a parent folder is private), so Elasticsearch's "
            f"install, config, data and logs live in {lay.es_root}")
        lay.es_root.mkdir(parents=True, exist_ok=True)
        os.chmod(ES_RELOCATED, 0o755)  # noqa: S103 - whatever the umask, the ES account must traverse it
    _fetch(cfg, lay, to_start, log)
    started: list[str] = []
    try:
        for svc in reversed(to_start):  # Elasticsearch, the slower one, first; then both are awaited together
            proc = (_start_kafka if svc == "kafka" else _start_es)(cfg, lay, java, log)
            lay.pid_files[svc][0].write_text(f"{proc.pid}\n")
            to_wait[svc] = proc
            started.append(svc)
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(_wait_ready, cfg, lay, svc, proc, log) for svc, proc in to_wait.items()]
        errors = [str(f.exception()) for f in futures if f.exception()]
        if errors:
            raise StackError("\n\n".join(errors))
    except BaseException:
        # A failed `up` leaves nothing of what it started behind (e.g. ES up, Kafka failed to format).
        for svc in started:
            with contextlib.suppress(StackError):
                _stop(cfg, lay, svc, log)
        raise


def _stop(cfg: StackConfig, lay: _Layout, svc: str, log: Log, also: Sequence[int] = ()) -> bool:
    """Stop the process groups of our recorded pids and of `also` (sessions this process just
    started); False if nothing of ours was running."""
    pids = [p for p in (read_pid(f, lay.markers[svc]) for f in lay.pid_files[svc]) if p]
    # Each service was started as a session leader, so the group of a verified pid holds exactly
    # that service's processes (ES: launcher and server JVM). Never signal our own group.
    groups = set(also)
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):  # exited meanwhile
            groups.add(int(_proc_stat(pid)[2]))
    groups.discard(os.getpgrp())
    if pids:
        log(f"stopping {LABEL[svc]} (pid {pids[0]})…")
    t0 = time.monotonic()
    for sig, wait_s in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, 10.0)):
        for g in groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(g, sig)
        deadline = time.monotonic() + wait_s
        while groups and time.monotonic() < deadline:
            for g in groups:  # reap those that are our children, so no zombie lingers
                with contextlib.suppress(ChildProcessError):
                    while os.waitpid(-g, os.WNOHANG)[0]:
                        pass
            groups = {g for g in groups if _group_members(g)}
            time.sleep(0.2)
        if not groups:
            break
    if groups:
        raise StackError(f"{LABEL[svc]} (process group {sorted(groups)}) survived SIGKILL")
    for f in lay.pid_files[svc]:
        f.unlink(missing_ok=True)
    if pids:
        log(f"{LABEL[svc]} stopped in {time.monotonic() - t0:.1f} s")
    return bool(pids)


def down(cfg: StackConfig, services: Sequence[str] = SERVICES, log: Log = print) -> None:
    lay = _layout(cfg)
    for svc in _services(services):
        if not _stop(cfg, lay, svc, log):
            log(f"{LABEL[svc]} is not running")


def status(cfg: StackConfig, services: Sequence[str] = SERVICES) -> list[ServiceStatus]:
    lay, result = _layout(cfg), []
    for svc in _services(services):
        port = getattr(cfg, PORTS[svc][0][0])
        pid = read_pid(lay.pid_files[svc][0], lay.markers[svc])
        if not pid:
            result.append(ServiceStatus(svc, False, None, port, "stopped"))
            continue
        members = _group_members(pid)
        rss = _rss_mb(members)
        state = "answering" if _port_open(port) else "not answering yet"
        detail = f"127.0.0.1:{port} {state}, RSS {rss:.0f} MB in {len(members)} process(es)"
        result.append(ServiceStatus(svc, True, pid, port, detail, rss))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m deploy.local.stack", description=(
        "Start, stop or report the local Kafka broker and Elasticsearch node (loopback only). Ports and "
        "heaps can be set with " + ", ".join(ENV_VARS.values()) + "."))
    ap.add_argument("command", choices=("up", "down", "status"))
    ap.add_argument("services", nargs="*", metavar="service", help="kafka and/or elasticsearch (default: both)")
    ap.add_argument("--stack-dir", type=Path, help="cache and state folder (default: $ADUAN_STACK_DIR or .stack)")
    args = ap.parse_args(argv)
    services = args.services or SERVICES
    try:
        cfg = StackConfig.from_env(args.stack_dir)
        if args.command == "status":
            for s in status(cfg, services):
                print(f"{s.name:<14} {'running' if s.running else 'stopped':<8} pid {s.pid or '-':<8} {s.detail}")
        else:
            (up if args.command == "up" else down)(cfg, services)
    except StackError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
