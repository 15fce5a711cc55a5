"""vigil_apply: through the apps' actions (audit via=config), idempotent, and one apply at a time."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from config_code.apply import CONFIG_ACTOR, apply_loaded, take_apply_lock
from config_code.models import ManagedObject
from config_code.plan import make_plan
from incidents.models import Component, Team
from monitoring.models import Monitor
from vigil.models import AuditEntry

from .conftest import loaded


def test_applying_writes_through_the_actions_and_the_audit_log_names_config(db):
    apply_loaded(loaded())
    monitor = Monitor.objects.get(name="Checkout health")
    assert monitor.headers == {"Authorization": "Bearer s3cret"}
    assert monitor.team == Team.objects.get(name="Payments") and monitor.component.group.name == "Shop"
    assert set(AuditEntry.objects.values_list("action", "via")) == {
        ("team.create", "config"),
        ("component_group.create", "config"),
        ("component.create", "config"),
        ("monitor.create", "config"),
    }
    assert set(ManagedObject.objects.values_list("kind", "key", "origin")) == {
        ("teams", "payments", "created"),
        ("component_groups", "shop", "created"),
        ("components", "checkout-api", "created"),
        ("monitors", "checkout-health", "created"),
        ("monitors", "nightly-backup", "created"),
    }


def test_applying_the_same_files_twice_changes_nothing_the_second_time(db):
    first = apply_loaded(loaded())
    audit_rows = AuditEntry.objects.count()
    second = apply_loaded(loaded())
    assert len(first.changes) == 5 and second.changes == [] and second.unchanged == 5
    assert AuditEntry.objects.count() == audit_rows


def test_an_object_deleted_in_the_dashboard_is_created_again(db):
    apply_loaded(loaded())
    Monitor.objects.get(name="Nightly backup").delete()
    plan = make_plan(loaded())
    assert [(c.action, c.key) for c in plan.changes] == [("create", "nightly-backup")]
    apply_loaded(loaded())
    assert ManagedObject.objects.get(key="nightly-backup").target.name == "Nightly backup"


def many_monitors(count: int) -> str:
    rows = [
        f"  - {{key: m{n}, name: Monitor {n}, target: 'https://s{n}.example', team: t{n % 3}, component: c{n % 4}}}"
        for n in range(count)
    ]
    teams = "\n".join(f"  - {{key: t{n}, name: Team {n}}}" for n in range(3))
    components = "\n".join(f"  - {{key: c{n}, name: C {n}, team: t{n % 3}}}" for n in range(4))
    return f"teams:\n{teams}\ncomponents:\n{components}\nmonitors:\n" + "\n".join(rows) + "\n"


def test_a_plan_with_nothing_to_do_costs_the_same_queries_for_ten_or_sixty_monitors(db):
    counts = []
    for size in (10, 60):
        for model in (ManagedObject, Monitor, Component, Team):
            model.objects.all().delete()
        apply_loaded(loaded(many_monitors(size)))
        files = loaded(many_monitors(size))
        with CaptureQueriesContext(connection) as queries:
            plan = make_plan(files)
        assert plan.changes == [] and plan.unchanged == size + 7
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 6, counts


@pytest.mark.django_db(transaction=True)
def test_a_second_apply_waits_for_the_first_and_then_finds_nothing_to_do():
    files = loaded()
    outcome = {}

    def second_apply():
        try:
            outcome["plan"] = apply_loaded(files)
        finally:
            connection.close()

    with transaction.atomic():
        take_apply_lock(CONFIG_ACTOR)
        first = make_plan(files)
        thread = threading.Thread(target=second_apply)
        thread.start()
        time.sleep(1.0)
        assert thread.is_alive(), "the second apply did not wait for the lock"
        apply_loaded(files)  # the first apply, inside the lock it holds
    thread.join(timeout=30)
    assert len(first.changes) == 5 and outcome["plan"].changes == []
    assert Monitor.objects.count() == 2 and ManagedObject.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_two_applies_at_once_make_each_object_once():
    files = loaded()
    barrier = threading.Barrier(2)
    plans = []

    def apply():
        barrier.wait()
        try:
            plans.append(apply_loaded(files))
        finally:
            connection.close()

    threads = [threading.Thread(target=apply) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(len(plan.changes) for plan in plans) == [0, 5]
    assert Monitor.objects.count() == 2 and Team.objects.count() == 1
