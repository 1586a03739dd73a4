"""The layers of DESIGN.md's layout table, read from the code: which of our packages each package imports
(every `import` and `from ... import`, also those inside functions), and that no two packages import each
other, directly or round a longer loop."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
OURS = ("domain", "config", "producers", "search", "stream_processors", "api", "aduan")

# DESIGN.md's "may import" column (the settings layer is `config`, below the adapters).
MAY_IMPORT = {
    "domain": set(),
    "config": {"domain"},
    "producers": {"domain", "config"},
    "search": {"domain", "config"},
    "stream_processors": {"domain", "config", "producers", "search"},
    "api": {"domain", "config", "producers", "search"},
    "aduan": {"domain", "config", "producers", "search", "stream_processors", "api"},
}


def imported_packages(package: str) -> dict[str, set[str]]:
    """Our packages that `package` imports -> the files that import each."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in OURS and top != package:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


GRAPH = {package: imported_packages(package) for package in OURS}


@pytest.mark.parametrize("package", OURS)
def test_a_package_imports_only_the_layers_below_it(package):
    extra = {dep: sorted(files) for dep, files in GRAPH[package].items() if dep not in MAY_IMPORT[package]}
    assert not extra, f"{package} imports {extra}"


def test_no_package_level_import_cycle():
    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for dep in GRAPH[node]:
                if dep == start:
                    return [*path, dep]
                if dep not in path:
                    stack.append((dep, [*path, dep]))
        return None

    cycles = [c for c in (cycle_from(p) for p in OURS) if c]
    assert not cycles, " ; ".join(" -> ".join(c) for c in cycles)


def test_the_graph_is_read_from_the_code():
    """The check above is only as good as the reading: known edges must be found."""
    assert "domain" in GRAPH["api"] and "config" in GRAPH["stream_processors"]
    assert "stream_processors" in GRAPH["aduan"]
