"""requirements.lock against pyproject.toml: every dependency that pyproject names (runtime and the dev
extra) is pinned, at a version its specifier allows; the advisory floors hold; the lock names no index
or other URL and every pin has its hashes; every entry of audit-exceptions.txt gives a reason."""

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
# The lock is made for this platform (make lock: --python-version 3.11 --python-platform x86_64 Linux).
TARGET = {**default_environment(), "python_version": "3.11", "python_full_version": "3.11.0",
          "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64",
          "implementation_name": "cpython", "platform_python_implementation": "CPython"}
FLOORS = {"starlette": "0.49.1", "python-multipart": "0.0.18"}  # above CVE-2025-62727, CVE-2024-53981
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s\\;]+)")


def parse_lock(text):
    """{canonical name: Version} of a pip-style lock's pins."""
    pins = {}
    for line in text.splitlines():
        if m := PIN.match(line):
            name = canonicalize_name(m[1])
            assert name not in pins, f"{name} pinned twice"
            pins[name] = Version(m[2])
    return pins


def declared(pyproject):
    """pyproject's runtime dependencies and its dev extra, as Requirements that apply on the target."""
    project = pyproject["project"]
    reqs = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]
    return [r for r in reqs if r.marker is None or r.marker.evaluate({**TARGET, "extra": ""})]


def problems(reqs, pins):
    """What is wrong with pins for reqs: a name not pinned, or a pin outside its specifier."""
    out = []
    for req in reqs:
        name = canonicalize_name(req.name)
        if name not in pins:
            out.append(f"{req} is not pinned in requirements.lock")
        elif not req.specifier.contains(pins[name], prereleases=True):
            out.append(f"{name}=={pins[name]} in requirements.lock violates {req}")
    return out


@pytest.fixture(scope="module")
def pins():
    return parse_lock(LOCK.read_text())


@pytest.fixture(scope="module")
def reqs():
    return declared(tomllib.loads((ROOT / "pyproject.toml").read_text()))


def test_every_declared_dependency_is_pinned_within_its_specifier(reqs, pins):
    assert len(reqs) > 30 and len(pins) >= len(reqs)
    assert problems(reqs, pins) == []


def test_the_check_catches_a_missing_pin_and_a_pin_outside_the_specifier():
    pins = parse_lock("starlette==0.49.0 \\\n    --hash=sha256:00\nfastapi==0.115.0\n")
    found = problems([Requirement("starlette>=0.49.1"), Requirement("FastAPI>=0.115,<1"),
                      Requirement("python_multipart>=0.0.18")], pins)
    assert found == ["starlette==0.49.0 in requirements.lock violates starlette>=0.49.1",
                     "python_multipart>=0.0.18 is not pinned in requirements.lock"]


@pytest.mark.parametrize("name,floor", FLOORS.items())
def test_advisory_floors_hold_in_pyproject_and_in_the_lock(name, floor, reqs, pins):
    (req,) = [r for r in reqs if canonicalize_name(r.name) == name]
    assert req.specifier.contains(floor) and not req.specifier.contains(_below(floor), prereleases=True), str(req)
    assert pins[name] >= Version(floor)


def _below(version):
    """The release just under a floor, as the advisory's last affected one is: 0.49.1 -> 0.49.0."""
    release = list(Version(version).release)
    release[-1] -= 1
    return Version(".".join(map(str, release)))


def test_extras_that_pyproject_asks_for_are_pinned_too(reqs, pins):
    """uvicorn[standard], elasticsearch[async]: what those extras add, read from the installed metadata
    (make installs the lock, so each is at its pin; a package at another version is not judged)."""
    missing = []
    for req in (r for r in reqs if r.extras):
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            continue
        if Version(dist.version) != pins[canonicalize_name(req.name)]:
            continue
        for extra in req.extras:
            added = [Requirement(r) for r in dist.requires or ()]
            added = [r for r in added if r.marker and "extra" in str(r.marker)
                     and r.marker.evaluate({**TARGET, "extra": extra})]
            assert added, f"{req.name}[{extra}] adds nothing"
            missing += problems(added, pins)
    assert missing == []


def test_the_lock_names_no_index_or_url_and_hashes_every_pin():
    text = LOCK.read_text()
    assert not re.search(r"--(index-url|extra-index-url|find-links|trusted-host)|://", text)
    entries = [e for e in re.split(r"\n(?=\S)", text) if e.strip() and not e.startswith("#")]
    assert [e.split()[0] for e in entries if not PIN.match(e)] == []  # only pins, no options
    assert [e.split()[0] for e in entries if "--hash=sha256:" not in e] == []


def test_every_accepted_audit_exception_gives_a_reason():
    for line in (ROOT / "audit-exceptions.txt").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            vuln, _, reason = line.strip().partition(" ")
            assert re.fullmatch(r"(PYSEC|GHSA|CVE|OSV)-[\w-]+", vuln), line
            assert len(reason.strip()) > 20, f"{vuln}: say why it is accepted"


def test_the_images_runtime_lock_is_the_test_locks_pins_and_hashed():
    """requirements-runtime.lock (the Dockerfile installs it): the runtime dependencies and the postgres extra,
    each at the pin requirements.lock has (which the tests run on), every pin hashed, no URL."""
    runtime_text = (ROOT / "requirements-runtime.lock").read_text()
    runtime, tested = parse_lock(runtime_text), parse_lock(LOCK.read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["postgres"]]
    assert problems([r for r in wanted if r.marker is None or r.marker.evaluate({**TARGET, "extra": ""})],
                    runtime) == []
    assert {n: v for n, v in runtime.items() if n in tested and tested[n] != v} == {}
    assert not re.search(r"--(index-url|extra-index-url|find-links|trusted-host)|://", runtime_text)
    entries = [e for e in re.split(r"\n(?=\S)", runtime_text) if e.strip() and not e.startswith("#")]
    assert entries and [e.split()[0] for e in entries if "--hash=sha256:" not in e] == []
    assert "requirements-runtime.lock" in (ROOT / "deploy" / "docker" / "Dockerfile").read_text()
