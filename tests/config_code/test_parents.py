"""Monitors' parents by key: made parents first whatever the files' order, and a cycle refused."""

from config_code.apply import apply_loaded
from config_code.plan import make_plan
from monitoring.models import Monitor

from .conftest import loaded

CHAIN = """\
monitors:
  - {key: app, name: App, target: 'https://app.example', parents: [db, network]}
  - {key: db, name: Database, kind: tcp, target: db.example, port: 5432, parents: [network]}
  - {key: network, name: Network, kind: tcp, target: gw.example, port: 443}
"""


def parents(name: str) -> list[str]:
    return sorted(Monitor.objects.get(name=name).parents.values_list("name", flat=True))


def test_parents_are_made_before_the_monitors_that_depend_on_them(db):
    plan = make_plan(loaded(CHAIN))
    assert [c.key for c in plan.changes] == ["network", "db", "app"]
    apply_loaded(loaded(CHAIN))
    assert parents("App") == ["Database", "Network"] and parents("Database") == ["Network"]
    assert make_plan(loaded(CHAIN.replace("[db, network]", "[network, db]"))).changes == []


def test_reversing_a_dependency_reorders_the_updates_so_no_step_makes_a_cycle(db):
    apply_loaded(loaded(CHAIN))
    flipped = CHAIN.replace("port: 5432, parents: [network]", "port: 5432").replace(
        "port: 443}", "port: 443, parents: [db]}"
    )
    plan = make_plan(loaded(flipped))
    assert [(c.key, [d[0] for d in c.diffs]) for c in plan.changes] == [("db", ["parents"]), ("network", ["parents"])]
    apply_loaded(loaded(flipped))
    assert parents("Network") == ["Database"] and parents("Database") == []


def test_a_cycle_is_refused_once_at_the_first_monitor_on_it(db):
    cycle = CHAIN.replace("port: 443}", "port: 443, parents: [app]}")
    plan = make_plan(loaded(cycle))
    assert [(e.line, e.path, e.message) for e in plan.errors] == [
        (2, "monitors[0].parents", "It depends on itself: app -> db -> network -> app.")
    ]
    alone = make_plan(loaded("monitors:\n  - {key: m, name: M, target: 'https://m.example', parents: [m]}\n"))
    assert [e.message for e in alone.errors] == ["It depends on itself: m -> m."]
