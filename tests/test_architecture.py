"""The layers hold, read from the source: no import circle among agentctl's modules (imports
inside functions included, since they only hide a circle), envs import nothing of ours, and
core imports neither envs nor plugins."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Source folder -> the import name it installs as (see pyproject's package-dir).
PACKAGES = {"core": "agentctl", "envs": "agentctl.envs", "plugins": "agentctl.plugins"}


def modules() -> dict[str, Path]:
    found = {}
    for folder, package in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """agentctl modules that ``path`` imports anywhere in its body (``from m import x`` counts
    as m.x when that is a module, else m)."""
    is_package = path.name == "__init__.py"
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        out.update(t for t in targets if t in known and t != name)
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(path, name, set(mods)) for name, path in mods.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_cycle_finder_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_imports_inside_functions_are_seen(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from agentctl.run import train\n    import agentctl.evaluate\n")
    assert imports_of(src, "agentctl.x", {"agentctl.run", "agentctl.evaluate", "agentctl.x"}) == {
        "agentctl.run", "agentctl.evaluate"}


def test_no_import_circle():
    edges = graph()
    assert "agentctl.run" in edges and "agentctl.assemble" in edges["agentctl.run"]
    cycle = find_cycle({k: {v for v in vs if v != "agentctl"} for k, vs in edges.items()})
    assert cycle is None, " -> ".join(cycle)


@pytest.mark.parametrize("layer,forbidden", [
    ("agentctl.envs", ("agentctl.",)),  # envs know nothing of ours (their own subpackages aside)
    ("agentctl.", ("agentctl.envs", "agentctl.plugins")),  # core: neither envs nor plugins
])
def test_layers(layer, forbidden):
    bad = []
    for mod, deps in graph().items():
        in_layer = mod.startswith(layer) and not (layer == "agentctl." and mod.startswith(
            ("agentctl.envs", "agentctl.plugins")))
        if not in_layer:
            continue
        for dep in deps:
            if layer == "agentctl.envs" and dep.startswith("agentctl.envs"):
                continue
            if dep.startswith(forbidden):
                bad.append(f"{mod} imports {dep}")
    assert not bad, bad
