"""Vigil's own backup and restore: back up a populated database, wipe it, restore it, lose nothing."""

import shutil

from django.core.management import call_command
from django.db import connection

from dr_plans.models import Drill, DRPlan, PlanVersion
from incidents.models import Incident, IncidentEvent
from incidents.services import do_declare
from tests.conftest import need
from vigil.audit import Actor
from vigil.models import AuditEntry

from .conftest import make_plan


def _contents():
    return {
        "plans": list(DRPlan.objects.values_list("name", "status")),
        "versions": list(PlanVersion.objects.values_list("plan__name", "number", "snapshot")),
        "incidents": list(Incident.objects.values_list("title", "severity")),
        "events": IncidentEvent.objects.count(),
        "audit": AuditEntry.objects.count(),
        "drills": list(Drill.objects.values_list("scenario", flat=True)),
    }


def test_backup_wipe_restore_loses_nothing(transactional_db, admin_user, tmp_path):
    if connection.vendor == "postgresql":
        need("pg_dump", bool(shutil.which("pg_dump") and shutil.which("pg_restore")), "postgresql-client missing")
    actor = Actor(user=admin_user, via="cli")
    plan = make_plan(actor)
    from dr_plans import services

    services.do_schedule_drill(actor, plan, scenario="Region down", scheduled_for=plan.created_at)
    do_declare(actor, title="Checkout is down", severity="sev1")
    before = _contents()
    assert before["versions"] and before["incidents"] and before["audit"]

    dump = tmp_path / "vigil.backup"
    call_command("backup", str(dump))
    assert dump.stat().st_size > 0

    Incident.objects.all().delete()
    Drill.objects.all().delete()
    AuditEntry.objects.all().delete()
    assert not Incident.objects.exists()

    call_command("restore", str(dump), "--yes")
    assert _contents() == before
