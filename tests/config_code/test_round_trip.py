"""The demo install round trip: seed_demo (and one object of each kind it does not make), export,
apply the export to an install emptied of every kind, export again: the same files, and nothing
left to plan."""

import io
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from comms import services as comms
from comms.status.services import do_save_branding
from config_code.apply import apply_loaded
from config_code.export import as_yaml, export
from config_code.kinds import KINDS
from config_code.loader import load
from config_code.models import ManagedObject
from config_code.plan import make_plan
from dr_plans.models import PlanVersion
from incidents.integrations.services import do_create_integration
from incidents.models import Component, Integration
from incidents.oncall.services import do_create_team
from monitoring.models import Monitor
from monitoring.services import do_add_maintenance
from vigil.audit import Actor

SYSTEM = Actor(via="system")


def seed_the_other_kinds() -> None:
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    do_add_maintenance(SYSTEM, monitor=Monitor.objects.first(), starts_at=start, ends_at=start + timedelta(hours=2))
    comms.do_set_template(SYSTEM, event="update", part="sms", body="{{ title }}: {{ message }}")
    team = do_create_team(SYSTEM, name="Platform")
    do_create_integration(
        SYSTEM, name="Prometheus", kind="alertmanager", team=team, components=Component.objects.all()[:2]
    )
    do_save_branding(SYSTEM, name="Acme", support_contact="help@example.com")


def empty_install() -> None:
    ManagedObject.objects.all().delete()
    PlanVersion._base_manager.all().delete()  # approved versions are never deleted but here: a new install
    for kind in reversed(KINDS):
        kind.model.objects.all().delete()


def test_seed_demo_exported_and_applied_to_an_empty_install_exports_the_same(db):
    call_command("seed_demo", stdout=io.StringIO())
    seed_the_other_kinds()
    before = as_yaml(export())
    for kind in KINDS:
        assert f"\n{kind.name}:\n" in f"\n{before}", kind.name
    tokens = {"VIGIL_CONFIG_INTEGRATIONS_PROMETHEUS_TOKEN": Integration.objects.get().token}
    files = [("demo.yaml", before)]
    assert make_plan(load(files, environ=tokens)).changes == []
    empty_install()
    applied = make_plan(load(files, environ=tokens))
    assert applied.errors == [] and {c.kind.name for c in applied.changes} == {kind.name for kind in KINDS}
    apply_loaded(load(files, environ=tokens))
    assert make_plan(load(files, environ=tokens)).changes == []
    ManagedObject.objects.all().delete()
    assert as_yaml(export()) == before
    assert Integration.objects.get().token == tokens["VIGIL_CONFIG_INTEGRATIONS_PROMETHEUS_TOKEN"]
