"""The apps form a star around incidents (issue #16; DESIGN.md, direction of dependencies):

    monitoring, reputation  →  incidents  ←  comms, postmortems, dr_plans

and every app may use vigil/, which uses none. importers (issue #17) is a leaf outside the star: it
writes to several apps through their actions, so it may use every app, and no app may use it;
config_code (issue #22) is the same kind of leaf. An
app needing what another beside it owns asks through incidents (incidents.providers,
incidents.signals). Every module of every app is parsed (function-level imports and relative ones
included, migrations too) and each import of another app must be an edge listed here; a task
queued by name (vigil.queue.enqueue) must be the app's own.
"""

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from incidents import providers

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    "vigil",
    "incidents",
    "monitoring",
    "reputation",
    "comms",
    "postmortems",
    "dr_plans",
    "importers",
    "config_code",
]
ALLOWED = {
    "vigil": set(),
    "incidents": {"vigil"},
    "monitoring": {"incidents", "vigil"},
    "reputation": {"incidents", "vigil"},
    "comms": {"incidents", "vigil"},
    "postmortems": {"incidents", "vigil"},
    "dr_plans": {"incidents", "vigil"},
    "importers": {"vigil", "incidents", "monitoring", "reputation", "comms", "postmortems", "dr_plans"},
    "config_code": {"vigil", "incidents", "monitoring", "reputation", "comms", "postmortems", "dr_plans"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, dotted name) of everything SOURCE (the text of MODULE) imports, wherever in the file,
    relative imports resolved, and every task it queues by name (enqueue("app.tasks.x"))."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            if node.module:
                found.append((node.lineno, ".".join([*base, node.module])))
            else:  # from . import models
                found += [(node.lineno, ".".join([*base, alias.name])) for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "enqueue"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def wrong_edges() -> list[str]:
    wrong = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            module = module_name(path)
            for line, name in imported(path.read_text(), module, path.name == "__init__.py"):
                other = name.split(".")[0]
                if other in APPS and other != app and other not in ALLOWED[app]:
                    wrong.append(f"{path.relative_to(ROOT)}:{line}: {app} -> {name}")
    return wrong


def test_each_app_imports_only_incidents_and_vigil_and_vigil_imports_no_app():
    assert wrong_edges() == []


def test_the_parser_sees_imports_inside_functions_relative_ones_and_tasks_queued_by_name():
    source = """
from . import models
from ..comms import services

def send():
    from monitoring.uptime import component_seconds
    import postmortems.models
    enqueue("dr_plans.tasks.send_notice", 1)
    vigil.queue.enqueue("comms.tasks.kick")
"""
    names = sorted(name for _, name in imported(source, "reputation.api.views"))
    assert names == [
        "comms.tasks.kick",
        "dr_plans.tasks.send_notice",
        "monitoring.uptime",
        "postmortems.models",
        "reputation.api.models",
        "reputation.comms",
    ]
    assert [name for _, name in imported("from . import signals", "incidents", is_package=True)] == [
        "incidents.signals"
    ]


def test_a_wrong_edge_is_reported(tmp_path, monkeypatch):
    """Planted in a copy of one app: postmortems asking monitoring directly."""
    app = tmp_path / "postmortems"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "figures.py").write_text("def noisiest():\n    from monitoring.models import StateChange\n")
    for other in set(APPS) - {"postmortems"}:
        (tmp_path / other).mkdir()
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert wrong_edges() == ["postmortems/figures.py:2: postmortems -> monitoring.models"]


@pytest.mark.parametrize("provider", list(providers.registered()), ids=lambda p: p.name)
def test_every_provider_is_registered_by_the_app_that_owns_it(provider):
    assert provider.registered, f"{provider.name} has no implementation: its app must register one in ready()"


def test_an_unregistered_provider_answers_its_default_and_refuses_a_second_owner():
    provider = providers.Provider("example", lambda: "nothing")
    assert not provider.registered and provider() == "nothing"

    def first():
        return "first"

    provider.register(first)
    provider.register(first)  # the same function again (a ready() run twice) is harmless
    assert provider() == "first"
    with pytest.raises(ImproperlyConfigured, match="example is provided by"):
        provider.register(lambda: "second")
