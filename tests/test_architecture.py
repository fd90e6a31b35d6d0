"""The layering of docs/architecture.md holds: every import of every module points to a layer its row allows,
and the repository stands alone (nothing reads outside it)."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

from signins import PROJECT_ROOT

ARCHITECTURE = PROJECT_ROOT / "docs" / "architecture.md"


def layer_table() -> dict[str, set[str]]:
    """docs/architecture.md's table: layer -> the layers it may import (itself included)."""
    text = ARCHITECTURE.read_text(encoding="utf-8").split("## Layers and what each may import")[1].split("\n## ")[0]
    rows = re.findall(r"^\| `([\w.]+)` \|[^|]*\|([^|]*)\|$", text, re.M)
    layers = [name for name, _ in rows]
    allowed = {}
    for name, imports in rows:
        named = set(re.findall(r"`([\w.*]+)`", imports))
        expanded = {
            layer
            for layer in layers
            for pattern in named
            if layer == pattern or (pattern.endswith(".*") and layer.split(".")[0] == pattern[:-2])
        }
        allowed[name] = expanded | {name}
    return allowed


LAYERS = layer_table()
CODE = sorted({folder.split(".")[0] for folder in LAYERS})


def layer_of(module: str) -> str | None:
    """The layer a dotted module belongs to: the longest layer name that is the module or a package above it."""
    found = [layer for layer in LAYERS if module == layer or module.startswith(layer + ".")]
    return max(found, key=len) if found else None


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of every import in a file, relative ones resolved, `from a import b` as `a.b`."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def python_files() -> list[Path]:
    return sorted(p for folder in CODE for p in (PROJECT_ROOT / folder).rglob("*.py"))


def test_the_table_names_every_package_of_the_repository():
    packages = {p.parent.relative_to(PROJECT_ROOT).parts[0] for p in PROJECT_ROOT.glob("*/*.py")}
    assert packages - {".venv"} <= set(CODE), "a folder of Python code is missing from docs/architecture.md"
    subpackages = {module_name(p.parent / "__init__.py") for p in (PROJECT_ROOT / "signins").glob("*/__init__.py")}
    assert subpackages <= set(LAYERS), "each folder of signins/ is a layer of its own in docs/architecture.md"


def test_every_import_points_to_a_layer_its_row_allows():
    problems = []
    for path in python_files():
        source = layer_of(module_name(path))
        for line, target in imported_modules(path):
            layer = layer_of(target)
            if layer is not None and layer not in LAYERS[source]:
                problems.append(f"{path.relative_to(PROJECT_ROOT)}:{line}: {source} imports {target} ({layer})")
    assert not problems, "imports against docs/architecture.md:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("module", "target", "allowed"),
    [
        ("transforms.rules", "signins.errors", False),
        ("signins.ingest.load", "signins.analysis.tagging", False),
        ("signins.store.database", "signins.ingest.blobs", False),
        ("dashboards.site", "flows.steps", False),
        ("flows.steps", "cli.main", False),
        ("signins.graph.pull", "signins.ingest.load", True),
        ("cli.main", "flows.nightly", True),
    ],
)
def test_the_checker_tells_a_downward_import_from_an_upward_one(module, target, allowed):
    assert (layer_of(target) in LAYERS[layer_of(module)]) is allowed


def test_importing_the_flows_changes_no_environment_variable():
    """Libraries may set their own (polars sets its allocator's) when imported; the project's modules do not."""
    script = (
        "import os, polars, duckdb, prefect, great_expectations, plotly, msgraph; before = dict(os.environ); "
        "import flows, flows.steps, flows.nightly, flows.backfill, flows.deployment, cli.main; "
        "print(sorted(set(os.environ.items()) ^ set(before.items())))"
    )
    done = subprocess.run(
        [".venv/bin/python", "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_nothing_in_the_repository_reads_outside_it():
    """Code, scripts and configuration never name a folder beside the repository (a parent-relative path)."""
    tracked = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    code = [
        f
        for f in tracked
        if f.endswith((".py", ".sh", ".sql", ".toml", ".yaml", ".cfg")) or f.startswith(("scripts/", ".ci/"))
    ]
    outside = re.compile(r"(?<![.\w])\.\./|parents\[2\]|/shared/")
    offenders = [
        f"{name}:{n}"
        for name in code
        if (PROJECT_ROOT / name).is_file() and name != "tests/test_architecture.py"
        for n, line in enumerate((PROJECT_ROOT / name).read_text(errors="replace").splitlines(), 1)
        if outside.search(line)
    ]
    assert not offenders, offenders
