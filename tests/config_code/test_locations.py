"""Monitors' locations and confirmation rule in config (issue #21 with #22): locations are named,
never defined, in the files (each is made in the admin, with its agent's token)."""

from config_code.apply import apply_loaded
from config_code.export import export
from config_code.plan import make_plan
from monitoring import locations
from monitoring.models import Monitor
from vigil.audit import Actor

from .conftest import loaded

FILE = """\
monitors:
  - key: checkout
    name: Checkout
    target: 'https://shop.example/checkout'
    locations: [paris, tokyo]
    confirm_locations: 2
    confirm_window_seconds: 300
"""


def test_a_monitor_s_locations_and_rule_are_applied_planned_and_exported(db):
    for name in ("paris", "tokyo"):
        locations.do_create_location(Actor(via="cli"), name)
    apply_loaded(loaded(FILE))
    monitor = Monitor.objects.get(name="Checkout")
    assert sorted(monitor.locations.values_list("name", flat=True)) == ["paris", "tokyo"]
    assert (monitor.confirm_locations, monitor.confirm_window_seconds) == (2, 300)
    assert make_plan(loaded(FILE.replace("[paris, tokyo]", "[tokyo, paris]"))).changes == []
    plan = make_plan(loaded(FILE.replace("[paris, tokyo]", "[paris]")))
    assert [(c.key, [d[0] for d in c.diffs]) for c in plan.changes] == [("checkout", ["locations"])]
    (exported,) = export()["monitors"]
    assert exported["locations"] == ["paris", "tokyo"] and exported["confirm_locations"] == 2


def test_a_location_that_does_not_exist_or_was_revoked_is_refused_at_its_place(db):
    paris, _ = locations.do_create_location(Actor(via="cli"), "paris")
    locations.do_revoke_location(Actor(via="cli"), paris)
    plan = make_plan(loaded(FILE))
    assert [(e.line, e.path, e.message) for e in plan.errors] == [
        (5, "monitors[0].locations[0]", "No active location is named 'paris'."),
        (5, "monitors[0].locations[1]", "No active location is named 'tokyo'."),
    ]
