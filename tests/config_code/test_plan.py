"""vigil_plan's list of changes: creations with what the file sets, updates field by field,
deletions only with --prune and only of what config created."""

from decimal import Decimal

from config_code.apply import apply_loaded
from config_code.plan import make_plan
from config_code.text import render
from incidents.component_actions import do_update_component
from incidents.models import Component
from monitoring.models import Monitor
from vigil.audit import Actor

from .conftest import EXAMPLE, loaded


def changes(plan) -> list[tuple]:
    return [(c.action, c.kind.name, c.key, [(n, a, b) for n, a, b in c.diffs]) for c in plan.changes]


def test_a_plan_on_an_empty_install_creates_each_object_in_dependency_order(db, example):
    plan = make_plan(example)
    assert plan.errors == []
    assert [(c.action, c.kind.name, c.key) for c in plan.changes] == [
        ("create", "teams", "payments"),
        ("create", "component_groups", "shop"),
        ("create", "components", "checkout-api"),
        ("create", "monitors", "checkout-health"),
        ("create", "monitors", "nightly-backup"),
    ]
    text = render(plan)
    assert "+ monitors.checkout-health: create\n    name: 'Checkout health'" in text
    assert "interval_seconds: 30" in text and "component: 'checkout-api'" in text
    assert "s3cret" not in text and "{'Authorization': '(hidden)'}" in text
    assert text.endswith("Plan: 5 to create, 0 to update, 0 to delete, 0 to release; 0 unchanged.")
    assert not Monitor.objects.exists()  # a plan writes nothing


def test_a_changed_file_plans_updates_field_by_field_and_renames_keep_the_object(db):
    apply_loaded(loaded())
    edited = (
        EXAMPLE.replace("name: Checkout API", "name: Checkout")
        .replace("interval_seconds: 30", "interval_seconds: 120\n    severity: sev1")
        .replace("    team: payments\n    component: checkout-api", "    component: checkout-api")
    )
    plan = make_plan(loaded(edited))
    assert changes(plan) == [
        ("update", "components", "checkout-api", [("name", "Checkout API", "Checkout")]),
        (
            "update",
            "monitors",
            "checkout-health",
            [("interval_seconds", 30, 120), ("severity", "sev2", "sev1"), ("team", "payments", None)],
        ),
    ]
    assert plan.unchanged == 3
    assert "    interval_seconds: 30 -> 120" in render(plan)

    apply_loaded(loaded(edited))
    component = Component.objects.get()
    assert component.name == "Checkout" and Component.objects.count() == 1  # renamed, not recreated
    monitor = Monitor.objects.get(name="Checkout health")
    assert (monitor.interval_seconds, monitor.severity, monitor.team) == (120, "sev1", None)
    assert monitor.component == component
    assert make_plan(loaded(edited)).changes == []


def test_a_change_made_in_the_dashboard_shows_as_drift_to_undo(db, admin_user):
    apply_loaded(loaded())
    do_update_component(Actor(user=admin_user), Component.objects.get(), public=False, slo=Decimal("99.5"))
    plan = make_plan(loaded())
    assert changes(plan) == [
        ("update", "components", "checkout-api", [("public", False, True), ("slo", Decimal("99.5"), Decimal("99.9"))])
    ]


def test_objects_dropped_from_the_files_are_kept_without_prune_and_only_created_ones_deleted_with_it(db):
    apply_loaded(loaded())
    Component.objects.create(name="Made by hand")
    without_monitors = EXAMPLE.split("monitors:")[0]
    kept = make_plan(loaded(without_monitors))
    assert kept.changes == [] and kept.kept == [("monitors", "checkout-health"), ("monitors", "nightly-backup")]
    assert "--prune removes them" in render(kept)

    pruned = make_plan(loaded(without_monitors), prune=True)
    assert [(c.action, c.key) for c in pruned.changes] == [("delete", "checkout-health"), ("delete", "nightly-backup")]
    apply_loaded(loaded(without_monitors), prune=True)
    assert not Monitor.objects.exists()
    assert set(Component.objects.values_list("name", flat=True)) == {"Checkout API", "Made by hand"}
    assert make_plan(loaded(without_monitors), prune=True).changes == []


def test_prune_with_files_that_define_nothing_is_refused_rather_than_deleting_everything(db):
    apply_loaded(loaded())
    plan = make_plan(loaded("# nothing yet\n"), prune=True)
    assert [e.message for e in plan.errors] == [
        "The files define nothing: --prune would delete everything config manages. Refused."
    ]
    assert str(plan.errors[0]).startswith("The files define nothing") and Monitor.objects.count() == 2
