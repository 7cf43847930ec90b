"""The modules of `alerts` and `contacts` import each other in one direction (README: Architecture).

Every import counts, at module level or inside a function: an import hidden in a function is a
cycle all the same, only found later. `contacts` uses `alerts` only through its access gate."""

import ast
from pathlib import Path

from django.conf import settings

PACKAGES = ("alerts", "contacts")
# What `contacts` may import from `alerts`.
CONTACTS_MAY_USE = {"alerts.access"}


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of PACKAGES (packages by their __init__.py)."""
    root = Path(settings.BASE_DIR)
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


MODULES = module_files()


def imported(module: str, path: Path) -> set[str]:
    """The modules of MODULES that `module` imports anywhere in its file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, *([base] if base else [])])
            # `from package import name` imports the submodule `name` when there is one.
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names)
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: imported(module, path) for module, path in MODULES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One path for each import cycle found by a depth-first walk (empty when there is none)."""
    found, done, path = [], set(), []

    def walk(module: str) -> None:
        path.append(module)
        for target in sorted(graph[module]):
            if target in path:
                found.append([*path[path.index(target) :], target])
            elif target not in done:
                walk(target)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            walk(module)
    return found


def test_the_graph_sees_imports_at_every_level():
    """The walk finds module-level and function-level imports and relative ones (it would find
    nothing if it did not, and the cycle test would pass for the wrong reason)."""
    assert "alerts.models" in GRAPH["alerts.intake"]
    assert "alerts.access" in GRAPH["contacts.views"]
    assert "alerts.sign_in" in GRAPH["alerts.apps"]  # imported inside AppConfig.ready()
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_module_of_alerts_or_contacts_imports_itself_round_a_cycle():
    assert cycles(GRAPH) == []


def test_contacts_uses_alerts_only_through_the_access_gate():
    used = {
        (module, target)
        for module, targets in GRAPH.items()
        if module.startswith("contacts")
        for target in targets
        if target.startswith("alerts") and target not in CONTACTS_MAY_USE
    }
    assert used == set()


def test_intake_routing_dispatch_and_tasks_point_one_way():
    """intake -> routing, tasks (wake-ups) -> dispatch -> routing: sending never reaches back to
    the task queue, the queue reaches sending."""
    assert "alerts.routing" in GRAPH["alerts.intake"] and "alerts.tasks" in GRAPH["alerts.intake"]
    assert "alerts.dispatch" in GRAPH["alerts.tasks"] and "alerts.routing" in GRAPH["alerts.dispatch"]
    assert not {"alerts.tasks", "alerts.intake"} & GRAPH["alerts.dispatch"]
    assert not {"alerts.tasks", "alerts.intake", "alerts.dispatch"} & GRAPH["alerts.routing"]
