"""Vigil's own backup and restore: back up a populated database, wipe it, restore it, lose nothing.

Runs on whichever database the suite runs on: SQLite (the online backup API) or PostgreSQL
(pg_dump / pg_restore, which must be installed: the test fails under REQUIRE_SERVICES=1 otherwise).
"""

import shutil

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from comms.models import Stakeholder
from dr_plans import services
from dr_plans.models import CallTreeLevel, DRPlan, Vendor
from incidents.models import Incident
from incidents.services import do_declare
from postmortems.models import ActionItem
from tests.conftest import need
from vigil.audit import Actor


def everything() -> dict:
    """Every row of every table Django manages, in primary-key order."""
    rows = {}
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        rows[model._meta.label] = list(model._base_manager.order_by("pk").values_list())
    return rows


def populate(admin_user) -> None:
    """The demo data, plus a run drill, its findings filed, a plan flagged, an incident with a checklist."""
    call_command("seed_demo", stdout=None)
    actor = Actor(user=admin_user, via="cli")
    plan = DRPlan.objects.get(name="Primary database lost")
    person = Stakeholder.objects.create(name="Dana DBA", kind="engineer", phone="+14155550100")
    CallTreeLevel.objects.create(plan=plan, escalate_after_minutes=10).people.add(person)
    support = Stakeholder.objects.create(name="Support", organisation="CloudCo", kind="vendor")
    plan.vendors.add(Vendor.objects.create(stakeholder=support, account_number="AC-42"))
    drill = services.do_schedule_drill(actor, plan, scenario="Region down", scheduled_for=timezone.now())
    services.do_start_drill(actor, drill)
    for step in drill.steps.all():
        services.do_finish_step(actor, step, notes="ok")
    services.do_finish_drill(actor, drill, data_loss_minutes=2, findings="Lower the DNS TTL")
    item = services.do_file_finding(actor, drill, title="Lower the DNS TTL", updates_plan=True)
    services.do_request_review(actor, plan, key=f"postmortems.actionitem:{item.pk}", reason=item.title)
    incident, _ = do_declare(actor, title="Checkout is down", severity="sev1")
    checklist = services.do_attach_plan(actor, incident, plan)
    services.do_tick_item(actor, checklist.items.first())


@pytest.fixture
def postgres_tools():
    if connection.vendor == "postgresql":
        need("pg_dump", bool(shutil.which("pg_dump") and shutil.which("pg_restore")), "postgresql-client missing")


def test_backup_wipe_restore_loses_nothing(transactional_db, admin_user, tmp_path, postgres_tools):
    populate(admin_user)
    before = everything()
    assert before["dr_plans.PlanVersion"] and before["postmortems.ActionItem"] and before["vigil.AuditEntry"]
    assert before["dr_plans.ReviewRequest"] and before["dr_plans.DrillStep"] and before["incidents.IncidentEvent"]

    dump = tmp_path / "vigil.backup"
    call_command("backup", str(dump), stdout=None)
    assert dump.stat().st_size > 0

    # Wipe: every table emptied (flush then rebuilds content types, permissions and the role groups).
    call_command("flush", "--no-input")
    assert not Incident.objects.exists() and not ActionItem.objects.exists()

    call_command("restore", str(dump), "--yes", stdout=None)
    assert everything() == before
    # Sequences came back too: new rows do not collide with restored ones.
    incident, _ = do_declare(Actor(user=admin_user), title="After the restore")
    assert incident.pk > max(row[0] for row in before["incidents.Incident"])


def test_restoring_a_missing_file_changes_nothing(db, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("restore", str(tmp_path / "nope.backup"), "--yes")


def test_restore_asks_before_replacing_the_database(db, tmp_path, monkeypatch):
    dump = tmp_path / "vigil.backup"
    dump.write_bytes(b"x")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Cancelled"):
        call_command("restore", str(dump))
