"""The demo install round trip: seed_demo, export, apply the export to an install emptied of those
kinds, export again: the same files, and nothing left to plan."""

import io

from django.core.management import call_command

from config_code.apply import apply_loaded
from config_code.export import as_yaml, export
from config_code.kinds import KINDS
from config_code.loader import load
from config_code.models import ManagedObject
from config_code.plan import make_plan


def test_seed_demo_exported_and_applied_to_an_empty_install_exports_the_same(db):
    call_command("seed_demo", stdout=io.StringIO())
    before = as_yaml(export())
    for section in ("schedules:", "escalation_policies:", "component_groups:", "components:", "monitors:"):
        assert f"\n{section}\n- key: " in f"\n{before}", section
    assert make_plan(load([("demo.yaml", before)])).changes == []
    ManagedObject.objects.all().delete()
    for kind in reversed(KINDS):
        kind.model.objects.all().delete()
    applied = make_plan(load([("demo.yaml", before)]))
    assert applied.errors == [] and applied.changes
    apply_loaded(load([("demo.yaml", before)]))
    assert make_plan(load([("demo.yaml", before)])).changes == []
    ManagedObject.objects.all().delete()
    assert as_yaml(export()) == before
