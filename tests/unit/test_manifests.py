"""The deployment files under deploy/ (Dockerfile, compose, Kubernetes, Grafana), checked without Docker or a
cluster: Kubernetes' own schemas for the core kinds, the known shape for the operators' kinds, and cross-checks
between the files and against the app (its settings, its command line, its metrics)."""

from __future__ import annotations

import enum
import fnmatch
import ipaddress
import json
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, get_args, get_origin
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import typer
import yaml
from pydantic import TypeAdapter
from starlette.routing import Mount
from typer.testing import CliRunner

from aduan.cli import cli
from api.app import create_app
from config.settings import Settings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose" / "compose.yaml"
NGINX_CONF = DEPLOY / "compose" / "nginx.conf"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
DASHBOARD = DEPLOY / "grafana" / "aduan-dashboard.json"


# The Prometheus series the app exports (api/metrics.py, stream_processors/metrics.py).
METRICS = frozenset({
    "aduan_http_requests_total",
    "aduan_http_request_duration_seconds_bucket",
    "aduan_submissions_total",
    "aduan_events_processed_total",
    "aduan_events_failed_total",
    "aduan_consumer_lag",
    "aduan_open_sla_clocks",
    "aduan_sla_alarms_fired_total",
    "aduan_dead_letters_total",
})

# Hosts a URL in deploy/ may name: loopback, the services of compose and the cluster, the placeholder public
# host, and XML namespaces. Anything else (a registry's host above all: images, packages and artifacts come from
# the operator's own registry settings) fails test_no_registry_host_names, which names no registry itself.
LOCAL_HOST = re.compile(r"^(localhost|127\.0\.0\.1|[a-z0-9_-]+|[a-z0-9.-]+\.svc(\.cluster\.local)?|"
                        r"[a-z0-9.-]*example\.org)$")
XML_NAMESPACES = ("http://maven.apache.org/pom/", "http://maven.apache.org/xsd/", "http://www.w3.org/")  # lower case

# Routes of the API the public must not reach, neither through the compose proxy nor through the Ingress
# (README, "Monitoring": Prometheus scrapes the API's /metrics directly).
NOT_PUBLIC = ("/metrics",)

# Kinds of the operators (Strimzi, ECK), which kubernetes-validate has no schemas for.
STRIMZI = "kafka.strimzi.io/v1beta2"
ECK = "elasticsearch.k8s.elastic.co/v1"
CUSTOM_KINDS = frozenset({(STRIMZI, "Kafka"), (STRIMZI, "KafkaNodePool"), (STRIMZI, "KafkaUser"),
                          (STRIMZI, "KafkaTopic"), (ECK, "Elasticsearch")})
# The oldest Kubernetes the manifests must suit, and the newest the installed kubernetes-validate knows.
K8S_VERSIONS = sorted({"1.31", ".".join(kubernetes_validate.latest_version().split(".")[:2])},
                      key=lambda v: tuple(map(int, v.split("."))))
# Secrets made by hand (kubectl), each documented in a comment of deploy/k8s with its keys.
HAND_MADE_SECRETS = frozenset({"aduan-app", "aduan-tls"})
SECRETISH = re.compile(r"PASSWORD|SECRET|KEY|TOKEN|CREDENTIAL", re.IGNORECASE)
WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"})
# The worker roles deployed apart (`aduan worker --role ...`); `all` (every role in one process) is for
# local development only.
WORKER_ROLES = ("cases", "projection", "sla")


# --- loading ---------------------------------------------------------------------------------------------


class StrictLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys without a word; Kubernetes and compose files must not have any."""

    def construct_mapping(self, node, deep=False):
        keys = [key.value for key, _ in node.value
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge"]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate keys {duplicates}", node.start_mark)
        return super().construct_mapping(node, deep=deep)


@cache
def k8s_docs() -> tuple[tuple[str, dict], ...]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs.extend((path.name, doc) for doc in yaml.load_all(path.read_text(), Loader=StrictLoader) if doc)
    return tuple(docs)


def of_kind(kind: str) -> list[dict]:
    return [doc for _, doc in k8s_docs() if doc["kind"] == kind]


def one(kind: str) -> dict:
    found = of_kind(kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


@cache
def compose() -> dict:
    return yaml.load(COMPOSE.read_text(), Loader=StrictLoader)


class Directive(NamedTuple):
    """One nginx directive: its name, its arguments (quotes removed) and its block, if it has one."""
    name: str
    args: tuple[str, ...]
    block: tuple[Directive, ...] | None


def nginx_parse(text: str) -> tuple[Directive, ...]:
    """The directives of an nginx configuration file: words, quoted strings, blocks; comments left out."""
    tokens: list[tuple[bool, str]] = []  # (is punctuation, text)
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char == "#":
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
        elif char in "{};":
            tokens.append((True, char))
            i += 1
        elif char in "'\"":
            end, value = i + 1, []
            while text[end] != char:
                value.append(text[end + 1] if text[end] == "\\" else text[end])
                end += 2 if text[end] == "\\" else 1
            tokens.append((False, "".join(value)))
            i = end + 1
        else:
            word = re.compile(r"[^\s{};'\"]+").match(text, i).group()
            tokens.append((False, word))
            i += len(word)

    def block(pos: int, nested: bool) -> tuple[list[Directive], int]:
        found, words = [], []
        while pos < len(tokens):
            punctuation, value = tokens[pos]
            pos += 1
            if not punctuation:
                words.append(value)
            elif value == ";":
                found.append(Directive(words[0], tuple(words[1:]), None))
                words = []
            elif value == "{":
                inner, pos = block(pos, nested=True)
                found.append(Directive(words[0], tuple(words[1:]), tuple(inner)))
                words = []
            else:
                assert nested and not words, "unbalanced } in nginx.conf"
                return found, pos
        assert not nested and not words, "unfinished block or directive in nginx.conf"
        return found, pos

    return tuple(block(0, nested=False)[0])


@cache
def nginx_conf() -> tuple[Directive, ...]:
    """The proxy's configuration, directives of nginx's http block (the image includes it from there)."""
    return nginx_parse(NGINX_CONF.read_text())


def named(block: tuple[Directive, ...], name: str) -> list[Directive]:
    return [d for d in block if d.name == name]


def nginx_server() -> Directive:
    servers = named(nginx_conf(), "server")
    assert len(servers) == 1, f"nginx.conf: expected one server, found {len(servers)}"
    return servers[0]


def nginx_location(path: str) -> Directive | None:
    """The location of the proxy's server nginx picks for a request path: an exact `=` match, else the
    longest prefix, unless it is not `^~` and a regular expression (in order) matches."""
    locations = named(nginx_server().block, "location")
    for location in locations:
        assert not named(location.block, "location"), "nested locations are not checked here"
        if location.args[0] == "=" and location.args[1] == path:
            return location
    prefixes = [loc for loc in locations if len(loc.args) == 1 or loc.args[0] == "^~"]
    matching = [loc for loc in prefixes if path.startswith(loc.args[-1])]
    longest = max(matching, key=lambda loc: len(loc.args[-1]), default=None)
    if longest is not None and longest.args[0] == "^~":
        return longest
    for location in locations:
        if location.args[0] in ("~", "~*") and re.search(
                location.args[1], path, re.IGNORECASE if location.args[0] == "~*" else 0):
            return location
    return longest


def nginx_effective(location: Directive, name: str) -> list[Directive]:
    """The `name` directives in force in a location of the server: nginx inherits a directive from the
    enclosing level only when the level has none of it."""
    for level in (location.block, nginx_server().block, nginx_conf()):
        if named(level, name):
            return named(level, name)
    return []


def nginx_size(value: str) -> int:
    """Bytes of an nginx size (25m, 512k, 1g, 1024)."""
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", value).groups()
    return int(number) * 1024 ** " kmg".index(unit.lower() or " ")


@cache
def app_routes() -> tuple[str, ...]:
    """A request path for every route of the API: a template's parameters filled in, a mount's insides."""
    def walk(routes):
        for route in routes:
            if isinstance(route, Mount):
                yield route.path.rstrip("/") + "/x"
            elif hasattr(route, "path"):
                yield re.sub(r"\{[^}]*\}", "x", route.path)
            else:  # a router included as a whole (FastAPI keeps it apart from the app's own routes)
                yield from walk(getattr(route, "original_router", route).routes)

    paths = tuple(sorted(set(walk(create_app(Settings(secret_key="x" * 48)).routes))))
    assert "/" in paths and set(NOT_PUBLIC) <= set(paths), paths
    return paths


def api_body_limit(max_photo_mb: str | None) -> int:
    """The largest request body the API takes (its BodyLimit middleware), for a value of ADUAN_MAX_PHOTO_MB."""
    settings = Settings(secret_key="x" * 48, **({"max_photo_mb": max_photo_mb} if max_photo_mb else {}))
    limits = [m.kwargs["max_bytes"] for m in create_app(settings).user_middleware if m.cls.__name__ == "BodyLimit"]
    assert len(limits) == 1, "the API has no BodyLimit middleware"
    return limits[0]


@cache
def dockerfile() -> tuple[tuple[str, str], ...]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments left out."""
    instructions, pending = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, rest = (pending + line).partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        pending = ""
    return tuple(instructions)


@cache
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def pod_templates() -> list[tuple[dict, dict]]:
    """(workload, pod template) of every workload in deploy/k8s."""
    found = []
    for _, doc in k8s_docs():
        if doc["kind"] in WORKLOADS:
            found.append((doc, doc["spec"]["template"]))
        elif doc["kind"] == "CronJob":
            found.append((doc, doc["spec"]["jobTemplate"]["spec"]["template"]))
    return found


def containers(pod: dict) -> list[dict]:
    return [*pod["spec"].get("initContainers", []), *pod["spec"]["containers"]]


def app_workload(subcommand: str) -> tuple[dict, dict, dict]:
    """(workload, pod template, container) running `aduan <subcommand>`."""
    found = [(w, pod, c) for w, pod in pod_templates() for c in pod["spec"]["containers"]
             if is_app_image(c["image"]) and c.get("args", [])[:1] == [subcommand]]
    assert len(found) == 1, f"expected one workload running `aduan {subcommand}`, found {len(found)}"
    return found[0]


def worker_role(command: list[str]) -> str | None:
    """The role of `aduan worker --role X` (also `--role=X`), "all" when not given; None for another command."""
    if command[:1] != ["worker"]:
        return None
    for i, word in enumerate(command):
        if word == "--role" and i + 1 < len(command):
            return command[i + 1]
        if word.startswith("--role="):
            return word.partition("=")[2]
    return "all"


def worker_workloads() -> dict[str, tuple[dict, dict, dict]]:
    """{role: (workload, pod template, container)} of the workloads running `aduan worker`, one per role."""
    found: dict[str, list[tuple[dict, dict, dict]]] = {}
    for workload, pod in pod_templates():
        for container in pod["spec"]["containers"]:
            role = worker_role(container.get("args", []))
            if is_app_image(container["image"]) and role is not None:
                found.setdefault(role, []).append((workload, pod, container))
    assert sorted(found) == sorted(WORKER_ROLES), f"worker roles deployed: {sorted(found)}"
    for role, workloads in found.items():
        assert len(workloads) == 1, f"expected one workload of role {role}, found {len(workloads)}"
    return {role: workloads[0] for role, workloads in found.items()}


def is_app_image(image: str) -> bool:
    return image.rsplit("/", 1)[-1].split(":")[0] == "aduan"


def configmaps() -> dict[str, dict[str, str]]:
    return {doc["metadata"]["name"]: doc.get("data", {}) for doc in of_kind("ConfigMap")}


def env_of(container: dict) -> dict[str, Any]:
    """The container's environment as the pod sees it: a literal string, or the valueFrom reference."""
    env: dict[str, Any] = {}
    maps = configmaps()
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(maps.get(source["configMapRef"]["name"], {}))
    for var in container.get("env", []):
        env[var["name"]] = var["valueFrom"] if "valueFrom" in var else var.get("value", "")
    return env


def refs(node: Any):
    """Every ("Secret"|"ConfigMap", name, key or None) a manifest refers to, wherever it appears."""
    if isinstance(node, list):
        for item in node:
            yield from refs(item)
        return
    if not isinstance(node, dict):
        return
    for name, value in node.items():
        if name in ("secretKeyRef", "configMapKeyRef"):
            yield ("Secret" if name == "secretKeyRef" else "ConfigMap"), value["name"], value["key"]
        elif name in ("secretRef", "configMapRef") and isinstance(value, dict) and "name" in value:
            yield ("Secret" if name == "secretRef" else "ConfigMap"), value["name"], None
        elif name == "tls" and isinstance(value, list):  # an Ingress's certificates
            for item in value:
                if isinstance(item, dict) and "secretName" in item:
                    yield "Secret", item["secretName"], None
        elif name in ("secret", "configMap") and isinstance(value, dict) and ("secretName" in value or "name" in value):
            kind = "Secret" if name == "secret" else "ConfigMap"
            target = value.get("secretName", value.get("name"))
            for key in [item["key"] for item in value.get("items", [])] or [None]:
                yield kind, target, key
        yield from refs(value)


def operator_secrets() -> dict[str, set[str]]:
    """Secrets Strimzi and ECK make for the resources in deploy/k8s, with their keys."""
    secrets: dict[str, set[str]] = {}
    for kafka in of_kind("Kafka"):
        secrets[f"{kafka['metadata']['name']}-cluster-ca-cert"] = {"ca.crt", "ca.p12", "ca.password"}
    for user in of_kind("KafkaUser"):
        if user["spec"]["authentication"]["type"].startswith("scram-sha"):
            secrets[user["metadata"]["name"]] = {"password", "sasl.jaas.config"}
    for es in of_kind("Elasticsearch"):
        secrets[f"{es['metadata']['name']}-es-http-certs-public"] = {"ca.crt", "tls.crt"}
        secrets[f"{es['metadata']['name']}-es-elastic-user"] = {"elastic"}
    return secrets


def documented_secret_keys(name: str) -> set[str]:
    """The keys of a hand-made Secret, from the `kubectl create secret generic|tls <name>` comment that
    documents it."""
    for path in sorted(K8S.glob("*.yaml")):
        lines = path.read_text().splitlines()
        starts = [i for i, line in enumerate(lines) if line.lstrip().startswith("#")
                  and re.search(rf"kubectl .*create secret (generic|tls) {re.escape(name)}\b", line)]
        if starts:
            end = starts[0]
            while lines[end].rstrip().endswith("\\") and end + 1 < len(lines):
                end += 1
            command = " ".join(lines[starts[0]:end + 1])
            if re.search(rf"create secret tls {re.escape(name)}\b", command):
                return {"tls.crt", "tls.key"} if "--cert=" in command and "--key=" in command else set()
            return set(re.findall(r"--from-(?:literal|file)=([\w.-]+)=", command))
    return set()


def cli_command(words: list[str]):
    """The click command `aduan <words...>` names (its subcommand words), or fail."""
    command = typer.main.get_command(cli)
    path = []
    for word in words:
        if word.startswith("-") or not hasattr(command, "commands"):
            break
        assert word in command.commands, f"`aduan {' '.join([*path, word])}`: no such command"
        command = command.commands[word]
        path.append(word)
    assert not hasattr(command, "commands"), f"`aduan {' '.join(path)}` needs a subcommand"
    return path, command


def assert_aduan_command(words: list[str]) -> None:
    """`aduan <words>` is a command of the app's command line, with options it has."""
    path, command = cli_command(words)
    params = {opt: param for param in command.params for opt in [*param.opts, *param.secondary_opts]}
    used = {word.split("=", 1)[0] for word in words[len(path):] if word.startswith("-")}
    assert used <= params.keys(), f"`aduan {' '.join(path)}` has no option {sorted(used - params.keys())}"
    rest = words[len(path):]
    for i, word in enumerate(rest):
        name, eq, value = word.partition("=")
        param = params.get(name) if word.startswith("-") else None
        choices = option_choices(param) if param is not None and not getattr(param, "is_flag", False) else None
        if choices is None:
            continue
        value = value if eq else (rest[i + 1] if i + 1 < len(rest) else "")
        assert value in choices, f"`aduan {' '.join(path)} {name}`: {value!r} is not one of {choices}"
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output


def option_choices(param) -> list[str] | None:
    """The values an option of choices (an Enum or a Literal) takes, or None for any other option."""
    if getattr(getattr(param, "type", None), "choices", None) is not None:  # click's Choice
        return [str(choice) for choice in param.type.choices]
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)  # typer's own click
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(member.value) for member in annotation]
    if get_origin(annotation) is Literal:
        return [str(choice) for choice in get_args(annotation)]
    return None


def known_settings() -> set[str]:
    return {f"ADUAN_{name.upper()}" for name in Settings.model_fields}


def check_setting_value(name: str, value: str) -> None:
    """A literal value must be valid for its settings field (types and bounds; the cross-field checks need
    the files and services of a real deployment)."""
    field = Settings.model_fields.get(name.removeprefix("ADUAN_").lower())
    if field is None or "${" in value:
        return
    annotation = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    TypeAdapter(annotation).validate_python(value)


def pyproject_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


# --- Kubernetes: schemas and shapes ------------------------------------------------------------------------


def test_k8s_manifests_parse_and_are_all_listed_in_the_kustomization():
    files = sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    assert files, "no manifests in deploy/k8s"
    assert not list(K8S.glob("*.yml")), "use the .yaml suffix"
    kustomization = yaml.load((K8S / "kustomization.yaml").read_text(), Loader=StrictLoader)
    assert kustomization["kind"] == "Kustomization"
    assert sorted(kustomization["resources"]) == files
    assert kustomization.get("namespace") == "aduan"
    for _, doc in k8s_docs():
        assert {"apiVersion", "kind", "metadata"} <= doc.keys(), doc
        assert doc["metadata"].get("name"), doc


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_core_k8s_resources_validate_against_the_kubernetes_schemas(version):
    validated = 0
    for path, doc in k8s_docs():
        if (doc["apiVersion"], doc["kind"]) in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{path}: {doc['kind']} {doc['metadata']['name']} is not valid for Kubernetes {version}: "
                        f"{exc.message} at {'.'.join(map(str, exc.absolute_path))}")
        except kubernetes_validate.SchemaNotFoundError:
            pytest.fail(f"{path}: {doc['apiVersion']} {doc['kind']} is neither a Kubernetes {version} kind nor "
                        "one of the known operator kinds")
        validated += 1
    assert validated >= 8


def test_everything_lives_in_the_aduan_namespace():
    assert [ns["metadata"]["name"] for ns in of_kind("Namespace")] == ["aduan"]
    for path, doc in k8s_docs():
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "aduan", f"{path}: {doc['kind']} {doc['metadata']['name']}"


def test_strimzi_kafka_is_a_kraft_cluster_with_scram_over_tls_and_three_replicas():
    kafka = one("Kafka")
    assert kafka["apiVersion"] == STRIMZI
    spec = kafka["spec"]["kafka"]
    assert str(spec["version"]).startswith("4.1.")
    assert "zookeeper" not in kafka["spec"]
    tls = [listener for listener in spec["listeners"] if listener["name"] == "tls"]
    assert len(tls) == 1
    assert tls[0]["port"] == 9093 and tls[0]["tls"] is True and tls[0]["type"] == "internal"
    assert tls[0]["authentication"]["type"] == "scram-sha-512"
    assert int(spec["config"]["default.replication.factor"]) == 3
    assert int(spec["config"]["min.insync.replicas"]) == 2
    assert int(spec["config"]["offsets.topic.replication.factor"]) == 3
    assert "userOperator" in kafka["spec"]["entityOperator"], "the User Operator makes the KafkaUser's Secret"

    pools = of_kind("KafkaNodePool")
    assert pools
    for pool in pools:
        assert pool["apiVersion"] == STRIMZI
        assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        assert set(pool["spec"]["roles"]) <= {"controller", "broker"}
        assert pool["spec"]["storage"]
    assert sum(p["spec"]["replicas"] for p in pools if "controller" in p["spec"]["roles"]) >= 3
    assert sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"]) >= 3


def test_the_app_has_a_scram_kafka_user():
    user = one("KafkaUser")
    assert user["apiVersion"] == STRIMZI
    assert user["metadata"]["name"] == "aduan"
    assert user["metadata"]["labels"]["strimzi.io/cluster"] == one("Kafka")["metadata"]["name"]
    assert user["spec"]["authentication"] == {"type": "scram-sha-512"}


def test_eck_elasticsearch_has_three_nodes_of_8_19():
    es = one("Elasticsearch")
    assert es["apiVersion"] == ECK
    assert re.fullmatch(r"8\.19\.\d+", str(es["spec"]["version"]))
    node_sets = es["spec"]["nodeSets"]
    assert sum(node_set["count"] for node_set in node_sets) >= 3
    for node_set in node_sets:
        es_containers = [c for c in node_set["podTemplate"]["spec"]["containers"] if c["name"] == "elasticsearch"]
        assert es_containers and {"requests", "limits"} <= es_containers[0]["resources"].keys()
        assert es.get("spec", {}).get("http", {}).get("tls", {}).get("selfSignedCertificate", {}).get(
            "disabled") is not True, "the app reaches Elasticsearch over https"


# --- Kubernetes: secrets and references --------------------------------------------------------------------


def test_every_secret_and_configmap_reference_resolves():
    maps = configmaps()
    defined = {doc["metadata"]["name"]: set(doc.get("data", {})) | set(doc.get("stringData", {}))
               for doc in of_kind("Secret")}
    generated = operator_secrets()
    hand_made = {name: documented_secret_keys(name) for name in HAND_MADE_SECRETS}
    for name, keys in hand_made.items():
        assert keys, f"Secret {name}: no `kubectl create secret generic|tls {name}` comment documents it"
    found = set()
    for path, doc in k8s_docs():
        for kind, name, key in refs(doc):
            found.add((kind, name))
            where = f"{path}: {doc['kind']} {doc['metadata']['name']} refers to {kind} {name}"
            if kind == "ConfigMap":
                assert name in maps, f"{where}, which is not defined"
                assert key is None or key in maps[name], f"{where} key {key}, which it has not"
                continue
            keys = defined.get(name, generated.get(name, hand_made.get(name)))
            assert keys is not None, f"{where}, which is neither defined, made by an operator nor documented"
            assert key is None or key in keys, f"{where} key {key}, which it has not ({sorted(keys)})"
    kafka, es = one("Kafka")["metadata"]["name"], one("Elasticsearch")["metadata"]["name"]
    for expected in ["aduan-app", "aduan-tls", "aduan", f"{kafka}-cluster-ca-cert", f"{es}-es-http-certs-public",
                     f"{es}-es-elastic-user"]:
        assert ("Secret", expected) in found, f"nothing uses Secret {expected}"


def test_no_manifest_holds_a_secret_value():
    for secret in of_kind("Secret"):
        assert not secret.get("data") and not secret.get("stringData"), f"Secret {secret['metadata']['name']}"
    for name, data in configmaps().items():
        assert not [k for k in data if SECRETISH.search(k)], f"ConfigMap {name} holds a secret-like setting"
    for path, doc in k8s_docs():
        for pod in [p for w, p in pod_templates() if w is doc]:
            for container in containers(pod):
                for var in container.get("env", []):
                    if SECRETISH.search(var["name"]):
                        assert "value" not in var, f"{path}: {var['name']} has a literal value"
                        assert "secretKeyRef" in var["valueFrom"], f"{path}: {var['name']} not from a Secret"
    for path in DEPLOY.rglob("*"):
        if path.is_file() and path.suffix in {".yaml", ".yml", ".json", ""}:
            assert "PRIVATE KEY-----" not in path.read_text(errors="ignore"), path


def test_secret_settings_come_from_secrets():
    for _, pod in pod_templates():
        for container in pod["spec"]["containers"]:
            if not is_app_image(container["image"]):
                continue
            env = env_of(container)
            for name in ("ADUAN_SECRET_KEY", "ADUAN_DATABASE_URL", "ADUAN_KAFKA_SASL_PASSWORD", "ADUAN_ES_PASSWORD"):
                assert "secretKeyRef" in env.get(name, {}), f"{container['name']}: {name} not from a Secret"


# --- Kubernetes: the app's workloads -----------------------------------------------------------------------


def test_app_connects_to_the_operators_clusters():
    kafka, user, es = one("Kafka"), one("KafkaUser"), one("Elasticsearch")
    listener = next(item for item in kafka["spec"]["kafka"]["listeners"]
                    if item.get("authentication", {}).get("type") == "scram-sha-512")
    kafka_name, es_name = kafka["metadata"]["name"], es["metadata"]["name"]
    brokers = sum(p["spec"]["replicas"] for p in of_kind("KafkaNodePool") if "broker" in p["spec"]["roles"])
    es_nodes = sum(node_set["count"] for node_set in es["spec"]["nodeSets"])
    for workload, pod in pod_templates():
        for container in pod["spec"]["containers"]:
            if not is_app_image(container["image"]):
                continue
            where = f"{workload['metadata']['name']}/{container['name']}"
            env = env_of(container)
            host, _, port = env["ADUAN_KAFKA_BOOTSTRAP"].partition(":")
            assert host.split(".")[0] == f"{kafka_name}-kafka-bootstrap" and int(port) == listener["port"], where
            assert env["ADUAN_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL", where
            assert env["ADUAN_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512", where
            assert env["ADUAN_KAFKA_SASL_USERNAME"] == user["metadata"]["name"], where
            assert env["ADUAN_KAFKA_SASL_PASSWORD"]["secretKeyRef"] == {"name": user["metadata"]["name"],
                                                                        "key": "password"}, where
            assert re.fullmatch(rf"https://{es_name}-es-http(\.[a-z0-9.-]+)?:9200", env["ADUAN_ES_URL"]), where
            assert env["ADUAN_ES_USERNAME"] == "elastic", where
            assert env["ADUAN_ES_PASSWORD"]["secretKeyRef"] == {"name": f"{es_name}-es-elastic-user",
                                                                "key": "elastic"}, where
            assert int(env["ADUAN_REPLICATION_FACTOR"]) == 3 <= brokers, where
            assert int(env["ADUAN_MIN_INSYNC_REPLICAS"]) == 2, where
            assert int(env["ADUAN_PARTITIONS"]) == 12, where
            assert int(env["ADUAN_INDEX_SHARDS"]) == 3, where
            assert int(env["ADUAN_INDEX_REPLICAS"]) == 1 < es_nodes, where
            assert env["ADUAN_LOG_FORMAT"] == "json", where
            assert env["ADUAN_API_HOST"] == "0.0.0.0", where
            assert env["ADUAN_COOKIE_SECURE"] == "true", where
            for setting, secret in (("ADUAN_KAFKA_CA_FILE", f"{kafka_name}-cluster-ca-cert"),
                                    ("ADUAN_ES_CA_FILE", f"{es_name}-es-http-certs-public")):
                assert_file_mounted_from_secret(pod, container, env[setting], secret, "ca.crt")


def assert_file_mounted_from_secret(pod: dict, container: dict, file: str, secret: str, key: str) -> None:
    volumes = {v["name"]: v for v in pod["spec"].get("volumes", [])}
    folder, name = file.rsplit("/", 1)
    mounts = [m for m in container.get("volumeMounts", []) if m["mountPath"].rstrip("/") == folder]
    assert mounts, f"{container['name']}: nothing mounted at {folder} for {file}"
    source = volumes[mounts[0]["name"]].get("secret", {})
    assert source.get("secretName") == secret, f"{container['name']}: {file} is not from Secret {secret}"
    items = {item["key"]: item["path"] for item in source.get("items", [])} or {key: key}
    assert items.get(key) == name, f"{container['name']}: {file} is not key {key} of Secret {secret}"
    assert mounts[0].get("readOnly") is True


def test_api_probes_resources_and_autoscaling():
    deployment, pod, container = app_workload("api")
    assert_aduan_command(container["args"])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert 8000 in ports.values()
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = container[probe]["httpGet"]
        assert get["path"] == path
        assert ports.get(get["port"], get["port"]) == 8000
    assert_resources(container)
    name = deployment["metadata"]["name"]
    hpas = [h for h in of_kind("HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"]["name"] == name]
    assert len(hpas) == 1 and hpas[0]["apiVersion"] == "autoscaling/v2"
    assert hpas[0]["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    assert any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in hpas[0]["spec"]["metrics"])
    assert 2 <= hpas[0]["spec"]["minReplicas"] <= hpas[0]["spec"]["maxReplicas"]
    labels = pod["metadata"]["labels"]
    services = [s for s in of_kind("Service") if s["spec"]["selector"].items() <= labels.items()]
    assert services, "no Service selects the API pods"
    for port in services[0]["spec"]["ports"]:
        assert ports.get(port["targetPort"], port["targetPort"]) == 8000


def ingress_backend(ingress: dict, host: str, path: str) -> dict | None:
    """The backend an Ingress sends a request for host and path to, by Kubernetes' rules (Exact: the same
    path; Prefix: the same leading path elements; the longest path wins, Exact before Prefix), or None when
    no rule matches (the controller's default backend: 404)."""
    best, backend = None, ingress["spec"].get("defaultBackend")
    elements = [e for e in path.split("/") if e]
    for rule in ingress["spec"]["rules"]:
        if rule.get("host", host) != host:
            continue
        for item in rule["http"]["paths"]:
            kind, rule_path = item["pathType"], item["path"]
            assert kind in ("Exact", "Prefix"), f"Ingress {rule_path}: {kind} matching is up to the controller"
            prefix = [e for e in rule_path.split("/") if e]
            if (path == rule_path) if kind == "Exact" else (elements[:len(prefix)] == prefix):
                rank = (len(rule_path.rstrip("/")), kind == "Exact")
                if best is None or rank > best:
                    best, backend = rank, item["backend"]
    return backend


def test_the_ingress_publishes_the_api_at_the_public_url_over_tls():
    ingress = one("Ingress")
    assert ingress["apiVersion"] == "networking.k8s.io/v1"
    assert ingress["spec"]["ingressClassName"] == "nginx"
    public = urlsplit(configmaps()["aduan-config"]["ADUAN_PUBLIC_URL"])
    assert public.scheme == "https" and public.hostname
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == [public.hostname]
    tls = [item for item in ingress["spec"]["tls"] if public.hostname in item["hosts"]]
    assert len(tls) == 1 and tls[0]["secretName"] in HAND_MADE_SECRETS, ingress["spec"]["tls"]
    # Every path goes to the API's Service, at a port it has.
    _, pod, _ = app_workload("api")
    service = next(s for s in of_kind("Service") if s["spec"]["selector"].items() <= pod["metadata"]["labels"].items())
    ports = {p.get("name") for p in service["spec"]["ports"]} | {p["port"] for p in service["spec"]["ports"]}
    for rule in ingress["spec"]["rules"]:
        for item in rule["http"]["paths"]:
            target = item["backend"]["service"]
            assert target["name"] == service["metadata"]["name"], f"Ingress {item['path']} -> {target['name']}"
            assert target["port"].get("name", target["port"].get("number")) in ports, f"Ingress {item['path']}"
    # ingress-nginx's defaults are enough: no snippets (off by default), nothing that changes path matching.
    annotations = ingress["metadata"].get("annotations") or {}
    for name in annotations:
        assert not name.endswith("-snippet"), name
        assert name.rpartition("/")[2] not in ("use-regex", "rewrite-target", "proxy-request-buffering"), name
    # Every body the API takes gets through (ingress-nginx's default is 1m).
    limit = api_body_limit(configmaps()["aduan-config"].get("ADUAN_MAX_PHOTO_MB"))
    size = nginx_size(annotations.get("nginx.ingress.kubernetes.io/proxy-body-size", "1m"))
    assert limit <= size <= limit + 1024 * 1024, f"proxy-body-size {size}, the API takes {limit}"


def test_the_ingress_routes_every_route_of_the_app_but_metrics():
    ingress = one("Ingress")
    host = urlsplit(configmaps()["aduan-config"]["ADUAN_PUBLIC_URL"]).hostname
    for path in app_routes():
        if path not in NOT_PUBLIC:
            assert ingress_backend(ingress, host, path) is not None, f"the Ingress has no path for {path}"
    for path in NOT_PUBLIC:
        for asked in (path, path + "/", path + "/x"):
            assert ingress_backend(ingress, host, asked) is None, f"the Ingress routes {asked}"


def test_the_api_believes_forwarded_headers_from_the_ingress_controller_only():
    config = [doc for path, doc in k8s_docs() if path == "config.yaml" and doc["kind"] == "ConfigMap"]
    assert [doc["metadata"]["name"] for doc in config] == ["aduan-config"]
    proxies = config[0]["data"].get("ADUAN_TRUSTED_PROXIES", "")
    assert proxies.strip(), "config.yaml: set ADUAN_TRUSTED_PROXIES to the ingress controller's pods"
    for entry in proxies.split(","):
        network = ipaddress.ip_network(entry.strip())
        assert network.prefixlen > 0, f"ADUAN_TRUSTED_PROXIES {entry}: every address could claim any client's"
    _, _, container = app_workload("api")
    assert env_of(container)["ADUAN_TRUSTED_PROXIES"] == proxies


def test_api_stores_photos_on_a_shared_volume():
    _, pod, container = app_workload("api")
    media = env_of(container)["ADUAN_MEDIA_DIR"]
    mount = next(m for m in container["volumeMounts"] if m["mountPath"].rstrip("/") == media.rstrip("/"))
    volume = next(v for v in pod["spec"]["volumes"] if v["name"] == mount["name"])
    claim = next(c for c in of_kind("PersistentVolumeClaim")
                 if c["metadata"]["name"] == volume["persistentVolumeClaim"]["claimName"])
    assert "ReadWriteMany" in claim["spec"]["accessModes"]


def test_workers_run_each_role_apart_and_never_outnumber_the_partitions():
    workers = worker_workloads()
    partitions = int(env_of(workers["cases"][2])["ADUAN_PARTITIONS"])
    for role, (workload, _, container) in workers.items():
        assert_aduan_command(container["args"])
        # The cases workers leave the SLA timer to the sla worker (a second timer would only ask twice).
        expected = ["worker", "--role", role] + (["--no-sla-timer"] if role == "cases" else [])
        assert container["args"] == expected, f"{role}: {container['args']}"
        assert_resources(container)
        replicas = workload["spec"].get("replicas", 1)
        if role == "sla":
            # One timer is enough (a second is harmless): not scaled with the partitions.
            assert replicas == 1, f"sla: {replicas} replicas"
            continue
        # At most one active consumer per partition: pods beyond the partition count sit idle.
        assert 2 <= replicas <= partitions, role
        surge = workload["spec"].get("strategy", {}).get("rollingUpdate", {}).get("maxSurge", 0)
        if isinstance(surge, int):
            assert replicas + surge <= partitions, role
        for hpa in of_kind("HorizontalPodAutoscaler"):
            if hpa["spec"]["scaleTargetRef"]["name"] == workload["metadata"]["name"]:
                assert hpa["spec"]["maxReplicas"] <= partitions, role
    # Every pod reads the same settings, so the count the topics are made with is the one checked here.
    for _, pod in pod_templates():
        for other in pod["spec"]["containers"]:
            if is_app_image(other["image"]):
                assert int(env_of(other)["ADUAN_PARTITIONS"]) == partitions


def assert_data_dir_on_a_claim(role: str) -> None:
    """The role's ADUAN_WORKER_DATA_DIR is a volume claim template of its StatefulSet, writable by the app's
    user, with the governing headless Service the StatefulSet names."""
    statefulset, pod, container = worker_workloads()[role]
    assert statefulset["kind"] == "StatefulSet", role
    data_dir = env_of(container)["ADUAN_WORKER_DATA_DIR"].rstrip("/")
    mounts = [m for m in container["volumeMounts"] if m["mountPath"].rstrip("/") == data_dir]
    assert len(mounts) == 1, f"{role}: nothing (or more than one volume) mounted at ADUAN_WORKER_DATA_DIR {data_dir}"
    assert not mounts[0].get("readOnly") and not mounts[0].get("subPath")
    templates = {t["metadata"]["name"]: t for t in statefulset["spec"].get("volumeClaimTemplates", [])}
    assert mounts[0]["name"] in templates, f"{role}: the data dir is not a volume claim template of the StatefulSet"
    assert mounts[0]["name"] not in {v["name"] for v in pod["spec"].get("volumes", [])}
    claim = templates[mounts[0]["name"]]["spec"]
    assert "ReadWriteOnce" in claim["accessModes"] and claim["resources"]["requests"]["storage"]
    # The pod's user can write the claimed volume.
    assert pod["spec"]["securityContext"].get("fsGroup") == dockerfile_uid()
    service = next((s for s in of_kind("Service") if s["metadata"]["name"] == statefulset["spec"]["serviceName"]),
                   None)
    assert service is not None, f"no Service {statefulset['spec']['serviceName']} for the StatefulSet"
    assert service["spec"].get("clusterIP") == "None"
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()


def test_case_workers_keep_their_tables_on_a_claimed_volume():
    assert_data_dir_on_a_claim("cases")
    statefulset, pod, container = worker_workloads()["cases"]
    env = env_of(container)
    assert env["ADUAN_WORKER_STORE"] == "rocksdb"
    # Standby copies of each table partition need other pods to live on.
    standbys = int(env.get("ADUAN_WORKER_STANDBY_REPLICAS", Settings.model_fields["worker_standby_replicas"].default))
    assert statefulset["spec"]["replicas"] >= standbys + 1
    assert any(pdb["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
               for pdb in of_kind("PodDisruptionBudget")), "no PodDisruptionBudget for the case workers"


def test_the_sla_worker_keeps_its_copy_of_the_deadline_index_on_a_claimed_volume():
    """A restarted sla worker loads its copy and reads the changelog's tail; on an emptyDir every new pod
    would read the whole changelog first (minutes at a million clocks, every alarm late meanwhile)."""
    assert_data_dir_on_a_claim("sla")


def test_projection_workers_are_a_stateless_deployment():
    workload, pod, container = worker_workloads()["projection"]
    assert workload["kind"] == "Deployment"
    volumes = {v["name"]: v for v in pod["spec"].get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        claim = volumes[mount["name"]].get("persistentVolumeClaim")
        # The one volume it mounts is the photos' shared one, for the retention job's erasures: no state of its own.
        assert claim is None or (claim["claimName"] == "aduan-media"
                                 and mount["mountPath"] == "/var/lib/aduan/media"), "projection: state on a volume"
    assert "ADUAN_WORKER_DATA_DIR" not in env_of(container), "projection has no tables"


def test_bootstrap_runs_as_a_job():
    job, pod, container = app_workload("bootstrap")
    assert job["kind"] == "Job"
    assert_aduan_command(container["args"])
    assert pod["spec"]["restartPolicy"] in {"OnFailure", "Never"}
    assert_resources(container)


def test_metrics_are_scraped_from_api_and_workers():
    workers = worker_workloads()
    for name, (_, pod, container) in [("api", app_workload("api")), *workers.items()]:
        annotations = pod["metadata"].get("annotations", {})
        assert annotations.get("prometheus.io/scrape") == "true", name
        assert annotations.get("prometheus.io/path") == "/metrics", name
        ports = {p["containerPort"]: p.get("name") for p in container["ports"]}
        assert int(annotations["prometheus.io/port"]) in ports, name
    for role, (_, pod, container) in workers.items():
        port = int(env_of(container)["ADUAN_WORKER_METRICS_PORT"])
        assert port == int(pod["metadata"]["annotations"]["prometheus.io/port"]) == 9464, role
        assert {"containerPort": port, "name": "metrics"}.items() <= next(
            p for p in container["ports"] if p["containerPort"] == port).items(), role


def assert_resources(container: dict) -> None:
    resources = container.get("resources", {})
    for part in ("requests", "limits"):
        assert {"cpu", "memory"} <= resources.get(part, {}).keys(), f"{container['name']}: {part}"


def test_every_container_runs_as_non_root_with_limits():
    uid = dockerfile_uid()
    assert pod_templates()
    for workload, pod in pod_templates():
        pod_context = pod["spec"].get("securityContext", {})
        assert pod["spec"].get("automountServiceAccountToken") is False, workload["metadata"]["name"]
        for container in containers(pod):
            where = f"{workload['metadata']['name']}/{container['name']}"
            context = {**pod_context, **container.get("securityContext", {})}
            assert context.get("runAsNonRoot") is True, where
            assert context.get("runAsUser", uid) not in (0, None), where
            assert context.get("allowPrivilegeEscalation") is False, where
            assert context.get("readOnlyRootFilesystem") is True, where
            assert "ALL" in context.get("capabilities", {}).get("drop", []), where
            assert_resources(container)
            if is_app_image(container["image"]):
                assert context.get("runAsUser", uid) == uid, f"{where}: not the image's user {uid}"


def test_app_image_is_the_project_version_built_from_the_dockerfile():
    images = {c["image"] for _, pod in pod_templates() for c in containers(pod)}
    assert images == {f"aduan:{pyproject_version()}"}
    for path in sorted(K8S.glob("*.yaml")):
        text = path.read_text()
        if "image: aduan:" in text:
            assert "deploy/docker/Dockerfile" in text, f"{path.name}: say where the image comes from"


def test_selectors_match_their_pods():
    pods = [pod["metadata"].get("labels", {}) for _, pod in pod_templates()]
    for workload, pod in pod_templates():
        selector = workload["spec"].get("selector", {}).get("matchLabels", {})
        assert selector.items() <= pod["metadata"]["labels"].items(), workload["metadata"]["name"]
    for pdb in of_kind("PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]["matchLabels"]
        assert any(selector.items() <= labels.items() for labels in pods), pdb["metadata"]["name"]
    names = {(w["kind"], w["metadata"]["name"]) for w, _ in pod_templates()}
    for hpa in of_kind("HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) in names


# --- settings names, in compose and Kubernetes -------------------------------------------------------------


def compose_env() -> list[tuple[str, str, str]]:
    return [(service, name, str(value)) for service, spec in compose()["services"].items()
            for name, value in (spec.get("environment") or {}).items()]


def k8s_env() -> list[tuple[str, str, Any]]:
    found = [(f"ConfigMap {name}", key, value) for name, data in configmaps().items() for key, value in data.items()]
    for workload, pod in pod_templates():
        for container in containers(pod):
            found += [(workload["metadata"]["name"], var["name"], var.get("value", var.get("valueFrom")))
                      for var in container.get("env", [])]
    return found


def test_every_aduan_variable_is_a_setting_with_a_valid_value():
    known = known_settings()
    used = [*compose_env(), *k8s_env()]
    assert len({name for _, name, _ in used if name.startswith("ADUAN_")}) >= 15
    for where, name, value in used:
        if not name.startswith("ADUAN_"):
            continue
        assert name in known, f"{where}: {name} is not a setting of config.settings.Settings"
        if isinstance(value, str):
            check_setting_value(name, value)


# --- compose -----------------------------------------------------------------------------------------------


def test_compose_services_have_images_or_buildable_dockerfiles():
    services = compose()["services"]
    assert {"kafka", "elasticsearch", "postgres", "bootstrap", "api"} <= services.keys()
    for name, spec in services.items():
        assert "image" in spec or "build" in spec, name
        if "image" in spec:
            image = spec["image"]
            assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), f"{name}: pin {image}"
        if "build" in spec:
            build = spec["build"]
            context = (COMPOSE.parent / build["context"]).resolve()
            assert context == ROOT, name
            assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name
    assert services["kafka"]["image"] == "apache/kafka:4.1.1"
    assert re.fullmatch(r"elasticsearch:8\.19\.\d+", services["elasticsearch"]["image"])
    assert services["postgres"]["image"].split(":")[1].split(".")[0] == "17"


def test_compose_ports_volumes_and_dependencies_are_consistent():
    spec = compose()
    services, declared = spec["services"], set(spec.get("volumes") or {})
    used_volumes = set()
    for name, service in services.items():
        for port in service.get("ports", []):
            assert isinstance(port, str) and re.fullmatch(r"\d+:\d+", port), f"{name}: port {port!r}"
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else volume.split(":", 1)[0]
            if isinstance(volume, dict) and volume.get("type") != "volume":
                continue
            if not source.startswith((".", "/", "~", "$")):
                used_volumes.add(source)
                assert source in declared, f"{name}: volume {source} is not declared"
        depends = service.get("depends_on", {})
        for target, condition in (depends.items() if isinstance(depends, dict) else ((t, {}) for t in depends)):
            assert target in services, f"{name} depends on unknown {target}"
            condition = (condition or {}).get("condition", "service_started")
            assert condition in {"service_started", "service_healthy", "service_completed_successfully"}
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}'s health, which has none"
            if condition == "service_completed_successfully":
                assert services[target].get("restart", "no") == "no", f"{target} must run once"
    assert {"kafka-data", "es-data", "postgres-data", "media", "worker-cases-data"} <= used_volumes
    for infra in ("kafka", "elasticsearch", "postgres"):
        assert "healthcheck" in services[infra], infra
    assert "ports" not in services["api"], "the API is reached through the proxy alone"
    assert services["api"]["depends_on"]["bootstrap"]["condition"] == "service_completed_successfully"
    assert services["bootstrap"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["bootstrap"]["depends_on"]["elasticsearch"]["condition"] == "service_healthy"


def compose_app_services() -> dict[str, dict]:
    return {name: spec for name, spec in compose()["services"].items()
            if "build" in spec or is_app_image(spec.get("image", ""))}


def test_compose_app_services_run_aduan_commands():
    services = compose_app_services()
    commands = {name: spec["command"] for name, spec in services.items()}
    for command in commands.values():
        assert isinstance(command, list)
        assert_aduan_command(command)
    assert commands["bootstrap"] == ["bootstrap"]
    assert commands["api"] == ["api", "--host", "0.0.0.0", "--port", "8000"]
    workers = [spec for spec in services.values() if spec["command"][:1] == ["worker"]]
    assert sum(spec.get("deploy", {}).get("replicas", 1) for spec in workers) >= 2
    for spec in services.values():
        assert spec["image"] == f"aduan:{pyproject_version()}"
        env = spec["environment"]
        assert env["ADUAN_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["ADUAN_LOG_FORMAT"] == "json" and env["ADUAN_API_HOST"] == "0.0.0.0"
        assert env["ADUAN_PARTITIONS"] == "6" and env["ADUAN_PUBLIC_URL"]
        assert env["ADUAN_KAFKA_BOOTSTRAP"].split(":")[0] in compose()["services"]
        assert env["ADUAN_ES_URL"].split("/")[2].split(":")[0] in compose()["services"]
    for spec in workers:
        assert spec["environment"]["ADUAN_WORKER_METRICS_PORT"] == "9464"
        assert spec.get("deploy", {}).get("replicas", 1) <= int(spec["environment"]["ADUAN_PARTITIONS"])
    media = services["api"]["environment"]["ADUAN_MEDIA_DIR"]
    assert f"media:{media}" in services["api"]["volumes"]


def test_compose_runs_each_worker_role_as_a_service_of_its_own():
    services = compose_app_services()
    roles = {name: worker_role(spec["command"]) for name, spec in services.items()
             if worker_role(spec["command"]) is not None}
    assert sorted(roles.values()) == sorted(WORKER_ROLES), f"worker roles in compose: {roles}"
    for name, role in roles.items():
        assert name == f"worker-{role}"
        assert services[name]["command"] == ["worker", "--role", role] + (["--no-sla-timer"] if role == "cases" else [])
        assert services[name]["depends_on"]["bootstrap"]["condition"] == "service_completed_successfully"
    assert services["worker-sla"].get("deploy", {}).get("replicas", 1) == 1
    # The case worker's tables and the sla worker's copy of the deadline index on named volumes, at or above
    # ADUAN_WORKER_DATA_DIR. Replicas of a service share its volumes, and two workers must not open the same
    # files: one replica, one volume each.
    for name in ("worker-cases", "worker-sla"):
        spec = services[name]
        data_dir = spec["environment"]["ADUAN_WORKER_DATA_DIR"].rstrip("/")
        named = [volume.split(":") for volume in spec.get("volumes", []) if isinstance(volume, str)]
        holding = [(source, target) for source, target, *_ in named
                   if data_dir == target.rstrip("/") or data_dir.startswith(target.rstrip("/") + "/")]
        assert len(holding) == 1, f"{name}: no named volume holds ADUAN_WORKER_DATA_DIR {data_dir}"
        source = holding[0][0]
        assert source in (compose().get("volumes") or {}) and not source.startswith((".", "/", "~", "$"))
        assert spec.get("deploy", {}).get("replicas", 1) == 1
        users = [other for other, other_spec in compose()["services"].items()
                 if any(str(v).split(":")[0] == source for v in other_spec.get("volumes", []))]
        assert users == [name], f"volume {source} is shared by {users}"
    assert services["worker-cases"]["environment"]["ADUAN_WORKER_STORE"] == "rocksdb"
    assert "ADUAN_WORKER_DATA_DIR" not in services["worker-projection"]["environment"], "projection has no tables"


def test_compose_takes_secrets_from_the_environment():
    for service, name, value in compose_env():
        if SECRETISH.search(name):
            # ${X}, ${X:?message}, or ${X:-} (empty when unset): never a value written here
            assert re.fullmatch(r"\$\{\w+(:?\?[^}]*|:-)?\}", value), f"{service}: {name} must come from the environment"
        password = re.search(r"://[^:/@]+:([^@]*)@", value)
        if password:
            assert password.group(1).startswith("${"), f"{service}: {name} holds a password"


# --- compose: the reverse proxy ----------------------------------------------------------------------------


def compose_proxy() -> tuple[str, dict]:
    """(name, spec) of the compose service running nginx in front of the API."""
    found = [(name, spec) for name, spec in compose()["services"].items()
             if spec.get("image", "").split(":")[0] == "nginx"]
    assert len(found) == 1, f"expected one nginx service in compose, found {[name for name, _ in found]}"
    return found[0]


def service_networks(spec: dict) -> dict[str, dict]:
    """{network: the service's settings on it} of a compose service; compose's `default` when it names none."""
    networks = spec.get("networks", ["default"])
    if isinstance(networks, list):
        return {network: {} for network in networks}
    return {network: settings or {} for network, settings in networks.items()}


def compose_api_port() -> int:
    command = compose()["services"]["api"]["command"]
    return int(command[command.index("--port") + 1])


def test_compose_publishes_the_proxy_alone_on_the_public_urls_port():
    name, proxy = compose_proxy()
    published = [other for other, spec in compose()["services"].items() if spec.get("ports")]
    assert published == [name], f"only the proxy publishes a port, not {sorted(set(published) - {name})}"
    assert re.fullmatch(r"nginx:\d+\.\d+(\.\d+)?(-alpine)?", proxy["image"]), f"{name}: pin the official image"
    public_url = compose()["services"]["api"]["environment"]["ADUAN_PUBLIC_URL"]
    public = re.fullmatch(r"\$\{ADUAN_PUBLIC_URL:-([^}]+)\}", public_url)
    assert public, "ADUAN_PUBLIC_URL: from .env, with a default"
    listen = [d.args[0] for d in named(nginx_server().block, "listen")]
    assert len(listen) == 1 and listen[0].isdigit(), f"nginx.conf: listen {listen}"
    assert proxy["ports"] == [f"{urlsplit(public.group(1)).port or 80}:{listen[0]}"]
    # The configuration is this folder's nginx.conf, read-only, where the image's nginx.conf includes it.
    mounts = [volume.split(":") for volume in proxy.get("volumes", [])]
    conf = [m for m in mounts if (COMPOSE.parent / m[0]).resolve() == NGINX_CONF]
    assert len(conf) == 1, f"{name}: nginx.conf is not mounted"
    assert re.fullmatch(r"/etc/nginx/conf\.d/[\w.-]+\.conf", conf[0][1]) and conf[0][2:] == ["ro"], conf[0]
    assert "api" in proxy.get("depends_on", {})


def test_compose_api_believes_forwarded_headers_from_the_proxy_alone():
    name, proxy = compose_proxy()
    services, networks = compose()["services"], compose().get("networks") or {}
    proxy_networks = service_networks(proxy)
    assert len(proxy_networks) == 1, f"{name}: on one network of its own with the API, not {sorted(proxy_networks)}"
    (edge, settings), = proxy_networks.items()
    assert settings.get("ipv4_address"), f"{name}: a fixed address on {edge}"
    address = ipaddress.ip_address(settings["ipv4_address"])
    # Inside the network's fixed subnet, outside the range Docker hands out: no other container gets it.
    pools = networks[edge]["ipam"]["config"]
    assert any(address in ipaddress.ip_network(pool["subnet"]) and "ip_range" in pool
               and address not in ipaddress.ip_network(pool["ip_range"]) for pool in pools), pools
    assert services["api"]["environment"]["ADUAN_TRUSTED_PROXIES"] == str(address)
    members = sorted(other for other, spec in services.items() if edge in service_networks(spec))
    assert members == sorted([name, "api"]), f"network {edge}: {members}"


def test_compose_services_share_a_network_with_what_they_talk_to():
    services = compose()["services"]
    for name, spec in compose_app_services().items():
        env = spec["environment"]
        hosts = {env["ADUAN_KAFKA_BOOTSTRAP"].split(":")[0], env["ADUAN_ES_URL"].split("/")[2].split(":")[0],
                 env["ADUAN_DATABASE_URL"].rsplit("@", 1)[1].split("/")[0].split(":")[0]}
        for host in hosts:
            shared = service_networks(spec).keys() & service_networks(services[host]).keys()
            assert shared, f"{name} cannot reach {host}"
    name, proxy = compose_proxy()
    assert service_networks(proxy).keys() & service_networks(services["api"]).keys(), f"{name} cannot reach the API"
    for infra in ("kafka", "elasticsearch", "postgres"):
        assert not service_networks(proxy).keys() & service_networks(services[infra]).keys(), f"{name} reaches {infra}"


def test_compose_proxy_sets_the_client_address_and_keeps_metrics_out():
    assert "$proxy_add_x_forwarded_for" not in NGINX_CONF.read_text(), \
        "X-Forwarded-For is set to the client's address, never appended to what the client sent"
    upstreams = {d.args[0]: d.block for d in named(nginx_conf(), "upstream")}
    limit = api_body_limit(compose()["services"]["api"]["environment"].get("ADUAN_MAX_PHOTO_MB"))
    for path in app_routes():
        if path in NOT_PUBLIC:
            continue
        location = nginx_location(path)
        passes = named(location.block, "proxy_pass") if location else []
        assert passes, f"nginx.conf: {path} is not passed to the API"
        target = urlsplit(passes[0].args[0])
        servers = ([d.args[0] for d in named(upstreams[target.netloc], "server")] if target.netloc in upstreams
                   else [target.netloc])
        assert target.scheme == "http" and servers == [f"api:{compose_api_port()}"], f"{path}: passed to {servers}"
        headers = {d.args[0].lower(): d.args[1] for d in nginx_effective(location, "proxy_set_header")}
        assert headers.get("x-forwarded-for") == "$remote_addr", f"{path}: X-Forwarded-For {headers}"
        assert headers.get("x-forwarded-proto") == "$scheme", path
        # nginx would send its upstream's name, which is none of ADUAN_ALLOWED_HOSTS (400).
        assert headers.get("host") in ("$host", "$http_host"), f"{path}: Host {headers.get('host')}"
        # Every body the API takes gets through; the API needs them whole, with their Content-Length.
        sizes = nginx_effective(location, "client_max_body_size")
        assert sizes and limit <= nginx_size(sizes[-1].args[0]) <= limit + 1024 * 1024, f"{path}: {sizes}, API {limit}"
        assert [d.args for d in nginx_effective(location, "proxy_request_buffering")] in ([], [("on",)]), path
    for path in NOT_PUBLIC:
        for asked in (path, path + "/", path + "/x"):
            location = nginx_location(asked)
            assert location is not None and not named(location.block, "proxy_pass"), f"nginx.conf passes {asked} on"
            assert [d.args[0] for d in named(location.block, "return")][:1] == ["404"], f"nginx.conf: {asked}"


def test_compose_proxy_logs_no_query_strings():
    """A tracking link carries the citizen's case secret in its query string (README, "Monitoring")."""
    formats = {d.args[0]: " ".join(d.args[1:]) for d in named(nginx_conf(), "log_format")}
    logs = [d for d in nginx_effective(nginx_location("/"), "access_log") if d.args[0] != "off"]
    assert logs, "nginx.conf: name the access log and its format (the default one logs the query string)"
    for log in logs:
        assert len(log.args) > 1 and log.args[1] in formats, f"nginx.conf: access_log {log.args} logs $request"
        assert not re.search(r"\$(request|request_uri|args|query_string|arg_\w+)\b", formats[log.args[1]]), log.args


# --- Dockerfile --------------------------------------------------------------------------------------------


def dockerfile_uid() -> int:
    users = [args for keyword, args in final_stage() if keyword == "USER"]
    assert users, "the image must not run as root"
    return int(users[-1].split(":")[0])


def final_stage() -> list[tuple[str, str]]:
    instructions = list(dockerfile())
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def test_dockerfile_base_is_pinned_and_multi_stage():
    args = {}
    stages, bases = [], []
    for keyword, rest in dockerfile():
        if keyword == "ARG" and "=" in rest and not stages:
            name, _, default = rest.partition("=")
            args[name.strip()] = default.strip()
        if keyword == "FROM":
            parts = [p for p in rest.split() if not p.startswith("--")]
            image = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args[m.group(1) or m.group(2)], parts[0])
            if image not in stages:
                name, _, tag = image.partition(":")
                assert tag and tag != "latest", f"pin the base image {image}"
                assert "/" not in name or "." not in name.split("/")[0], f"{image}: no registry host"
                bases.append(image)
            if len(parts) == 3 and parts[1].upper() == "AS":
                stages.append(parts[2])
    assert len([k for k, _ in dockerfile() if k == "FROM"]) >= 2, "build and runtime stages"
    assert set(bases) == {"python:3.11-slim-bookworm"}
    installs = " ".join(rest for keyword, rest in dockerfile() if keyword == "RUN" and "pip install" in rest)
    assert re.search(r"pip install (\S+ )*\.( |$)", installs), "install the project from pyproject.toml"
    # The locked runtime set, hashed (tests/unit/test_lock.py checks the lock), with the PostgreSQL driver in it.
    assert "--require-hashes -r requirements-runtime.lock" in installs and "--no-deps ." in installs
    assert re.search(r"^psycopg-binary==", (ROOT / "requirements-runtime.lock").read_text(), re.M)
    assert any(k == "COPY" and "--from=" in rest for k, rest in final_stage()), "the runtime copies the venv"


def test_dockerfile_runs_aduan_as_a_non_root_user():
    uid = dockerfile_uid()
    assert uid == 10001
    user = next(args for keyword, args in reversed(final_stage()) if keyword == "USER")
    assert user.split(":")[0] not in {"root", "0"}
    entrypoint = [json.loads(rest) for keyword, rest in dockerfile() if keyword == "ENTRYPOINT"]
    assert entrypoint[-1] == ["aduan"]
    command = [json.loads(rest) for keyword, rest in dockerfile() if keyword == "CMD"]
    assert command[-1] == ["api", "--host", "0.0.0.0", "--port", "8000"]
    assert_aduan_command(command[-1])
    assert not [k for k, _ in dockerfile() if k == "HEALTHCHECK"]


def test_dockerignore_keeps_local_state_out_and_the_project_in():
    patterns = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for required in (".venv", ".stack", "var", "test-artifacts", ".git", "**/__pycache__", ".pytest_cache"):
        assert required in patterns, required
    needed = ["pyproject.toml", "README.md", "domain", "producers", "stream_processors", "search", "api", "aduan",
              "config", "config/jurisdictions", "api/templates", "deploy", "deploy/local", "deploy/__init__.py"]
    for pattern in patterns:
        if not pattern.startswith("!"):
            assert not [p for p in needed if fnmatch.fnmatch(p, pattern)], f"{pattern} excludes what the build needs"


# --- Grafana -----------------------------------------------------------------------------------------------


def dashboard_panels() -> list[dict]:
    return [p for p in dashboard()["panels"] if p["type"] != "row"]


def test_dashboard_loads_with_panels_over_a_prometheus_variable():
    board = dashboard()
    assert board["schemaVersion"] >= 36 and board["title"] and board["uid"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource" and variables["DS_PROMETHEUS"]["query"] == "prometheus"
    panels = dashboard_panels()
    assert len(panels) >= 8
    assert len({p["id"] for p in board["panels"]}) == len(board["panels"])
    for panel in panels:
        assert panel["type"] in {"timeseries", "stat"}, panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}, panel["title"]
        assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]


def test_dashboard_queries_only_the_apps_metrics_and_all_of_them():
    used = set()
    for panel in dashboard_panels():
        for target in panel["targets"]:
            expr = target["expr"]
            for opening, closing in ("()", "{}", "[]"):
                assert expr.count(opening) == expr.count(closing), expr
            names = set(re.findall(r"\baduan_[a-z0-9_]+", expr))
            assert names, expr
            assert names <= METRICS, f"{panel['title']}: unknown series {sorted(names - METRICS)}"
            used |= names
    assert used == METRICS
    exprs = [t["expr"] for p in dashboard_panels() for t in p["targets"]]
    assert any(re.search(r"histogram_quantile\(0\.95, *sum by \((le, *route|route, *le)\)", e) for e in exprs)
    assert any("by (route)" in e and "aduan_http_requests_total" in e for e in exprs)
    assert any("by (outcome)" in e for e in exprs)
    assert any("topic" in e and "partition" in e and "aduan_consumer_lag" in e for e in exprs)


# --- everything under deploy/ ------------------------------------------------------------------------------


def test_no_registry_host_names():
    """No image names a registry (its first part would be a host: a dot, a port or localhost), and no URL names a
    host outside the deployment."""
    paths = [DOCKERIGNORE, *sorted(p for p in DEPLOY.rglob("*") if p.is_file() and "__pycache__" not in p.parts)]
    for path in paths:
        try:
            text = path.read_text().lower()
        except UnicodeDecodeError:
            continue
        images = re.findall(r"(?:image:|from|_image=)\s*[\"']?([a-z0-9][^\s\"']*)", text)
        hosted = [i for i in images if "/" in i and re.search(r"[.:]|^localhost$", i.split("/")[0])]
        assert not hosted, f"{path.relative_to(ROOT)}: {hosted} name a registry: use the operator's own settings"
        for url in re.findall(r"https?://[^\s\"'<>);,]+", text):
            if url.startswith(XML_NAMESPACES):
                continue
            host = re.sub(r"^https?://", "", url).split("/")[0].split(":")[0]
            assert LOCAL_HOST.match(host) or host.startswith("$"), f"{path.relative_to(ROOT)} names {url}"
