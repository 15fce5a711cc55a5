"""Maintenance windows as code: a monitor's or a component's, with times that carry their offset."""

from datetime import UTC, datetime

from config_code.apply import apply_loaded
from config_code.export import as_yaml, export
from config_code.loader import load
from config_code.models import ManagedObject
from config_code.plan import make_plan
from monitoring.models import MaintenanceWindow
from vigil.models import AuditEntry

from .conftest import EXAMPLE, loaded

WINDOWS = (
    EXAMPLE
    + """\
maintenance_windows:
  - key: db-upgrade
    monitor: checkout-health
    starts_at: 2026-03-01T22:00:00+01:00
    ends_at: 2026-03-02T02:00:00+01:00
    reason: Database upgrade
  - key: shop-freeze
    component: checkout-api
    starts_at: 2026-03-10T00:00:00Z
    ends_at: 2026-03-11T00:00:00Z
"""
)


def test_windows_are_planned_made_through_the_monitoring_actions_and_applied_once(db):
    plan = make_plan(loaded(WINDOWS))
    assert plan.errors == []
    windows = [(c.action, c.key, [d[0] for d in c.diffs]) for c in plan.changes if c.kind.name == "maintenance_windows"]
    fields = ["starts_at", "ends_at", "reason", "monitor", "component"]
    assert windows == [("create", "db-upgrade", fields), ("create", "shop-freeze", fields)]
    apply_loaded(loaded(WINDOWS))
    upgrade = MaintenanceWindow.objects.get(reason="Database upgrade")
    assert (upgrade.starts_at, upgrade.monitor.name) == (datetime(2026, 3, 1, 21, 0, tzinfo=UTC), "Checkout health")
    assert MaintenanceWindow.objects.get(reason="").component.name == "Checkout API"
    assert AuditEntry.objects.filter(action="maintenance.add", via="config").count() == 2
    assert make_plan(loaded(WINDOWS)).changes == []
    moved = WINDOWS.replace("02:00:00+01:00", "03:00:00+01:00")
    [change] = make_plan(loaded(moved)).changes
    assert [(d[0], d[2]) for d in change.diffs] == [("ends_at", datetime(2026, 3, 2, 2, 0, tzinfo=UTC))]
    apply_loaded(loaded(moved))
    assert MaintenanceWindow.objects.get(reason="Database upgrade").ends_at.hour == 2


def test_a_window_without_a_target_an_offset_or_a_valid_length_is_refused_in_place(db):
    text = WINDOWS.replace("    monitor: checkout-health\n", "").replace("2026-03-10T00:00:00Z", "2026-03-10 00:00")
    text = text.replace("2026-03-11T00:00:00Z", "2026-04-30T00:00:00Z")
    plan = make_plan(loaded(text))
    assert [(e.path, e.message) for e in plan.errors] == [
        ("maintenance_windows[1].starts_at", "Input should have timezone info"),
        ("maintenance_windows[0]", "Choose a monitor or a component."),
    ]


def test_windows_export_and_plan_back_to_no_change_with_keys_from_their_reason(db):
    apply_loaded(loaded(WINDOWS))
    MaintenanceWindow.objects.filter(reason="").update(reason="Shop freeze")
    ManagedObject.objects.all().delete()
    text = as_yaml(export())
    assert "- key: database-upgrade-2026-03-01\n" in text and "- key: shop-freeze-2026-03-10\n" in text
    assert make_plan(load([("export.yaml", text)])).changes == []
