"""The commands: vigil_plan's exit codes (as terraform -detailed-exitcode), vigil_apply,
vigil_export's round trip, and the committed JSON Schema kept current."""

import io

import pytest
from django.core.management import CommandError, call_command

from config_code.apply import apply_loaded
from config_code.export import as_yaml, export
from config_code.loader import load
from config_code.models import ManagedObject
from config_code.plan import make_plan
from config_code.schema import SCHEMA_PATH, json_schema_text
from incidents.component_actions import do_create_component, do_create_component_group
from incidents.models import Component, ComponentGroup, Team
from incidents.oncall.services import do_create_team
from monitoring.models import Monitor
from monitoring.services import do_create_monitor
from vigil.audit import Actor

from .conftest import EXAMPLE

ME = Actor(via="test")


def plan_exit(*args) -> tuple[int, str]:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("vigil_plan", *args, stdout=out)
    return exited.value.code, out.getvalue()


@pytest.fixture
def example_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CHECKOUT_TOKEN", "s3cret")
    path = tmp_path / "vigil.yaml"
    path.write_text(EXAMPLE)
    return path


def test_plan_exits_2_with_changes_0_without_and_1_on_an_error(db, example_file, tmp_path):
    code, out = plan_exit(str(example_file))
    assert code == 2 and "Plan: 5 to create" in out
    call_command("vigil_apply", str(example_file), stdout=io.StringIO())
    code, out = plan_exit(str(example_file))
    assert code == 0 and out.strip() == "No changes: 5 object(s) as the files say."
    bad = tmp_path / "bad.yaml"
    bad.write_text("teams:\n  - key: x\n    name: X\n    colour: blue\n")
    code, out = plan_exit(str(bad))
    assert code == 1 and f"{bad}:4: teams[0].colour: Extra inputs are not permitted" in out


def test_plan_reads_a_directory_of_files_as_one_configuration(db, tmp_path):
    (tmp_path / "teams.yaml").write_text("teams:\n  - key: payments\n    name: Payments\n")
    (tmp_path / "components.yml").write_text("components:\n  - key: api\n    name: API\n    team: payments\n")
    code, out = plan_exit(str(tmp_path))
    assert code == 2 and "+ components.api: create" in out and "+ teams.payments: create" in out


def test_apply_refuses_an_invalid_file_with_its_errors_and_writes_nothing(db, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("components:\n  - key: api\n    name: API\n    team: nobody\n")
    with pytest.raises(CommandError, match=r"bad.yaml:4: components\[0\].team: There is no teams"):
        call_command("vigil_apply", str(bad))
    assert not Component.objects.exists() and not ManagedObject.objects.exists()


def made_by_hand():
    """An install configured in the dashboard, with names that collide once slugified."""
    team = do_create_team(ME, name="Payments & Billing")
    group = do_create_component_group(ME, name="Shop", position=2)
    api = do_create_component(ME, name="API", group=group, public=False, owner_team=team)
    do_create_component(ME, name="Api!", description="The other one")
    for _ in range(2):  # monitor names need not be unique
        do_create_monitor(ME, name="Ping", target="https://shop.example", component=api, team=team)
    do_create_monitor(ME, name="Backup", kind="heartbeat", cron="0 3 * * *", cron_timezone="Europe/Paris")


def test_export_writes_keys_from_names_and_a_plan_of_it_on_the_same_install_changes_nothing(db):
    made_by_hand()
    sections = export()
    assert sections["teams"] == [{"key": "payments-billing", "name": "Payments & Billing"}]
    assert [c["key"] for c in sections["components"]] == ["api", "api-2"]
    assert sections["components"][0] == {
        "key": "api", "name": "API", "public": False, "group": "shop", "team": "payments-billing"
    }  # fmt: skip
    assert [m["key"] for m in sections["monitors"]] == ["ping", "ping-2", "backup"]
    plan = make_plan(load([("export.yaml", as_yaml(sections))]))
    assert plan.errors == [] and plan.changes == [] and plan.unchanged == 7
    assert export() == sections  # the same keys the second time


def test_exported_files_applied_to_an_empty_install_give_the_same_files_again(db, tmp_path):
    made_by_hand()
    call_command("vigil_export", "--out", str(tmp_path), stdout=io.StringIO())
    before = {path.name: path.read_text() for path in sorted(tmp_path.iterdir())}
    assert sorted(before) == ["component_groups.yaml", "components.yaml", "monitors.yaml", "teams.yaml"]
    for model in (ManagedObject, Monitor, Component, ComponentGroup, Team):
        model.objects.all().delete()
    call_command("vigil_apply", str(tmp_path), stdout=io.StringIO())
    assert Monitor.objects.count() == 3 and Component.objects.get(name="API").owner_team.name == "Payments & Billing"
    ManagedObject.objects.all().delete()  # forget the keys: the export derives them from the names again
    call_command("vigil_export", "--out", str(tmp_path), stdout=io.StringIO())
    assert {path.name: path.read_text() for path in sorted(tmp_path.iterdir())} == before


def test_prune_lets_adopted_objects_go_without_deleting_them(db):
    made_by_hand()
    sections = export()
    sections["monitors"] = [m for m in sections["monitors"] if m["key"] != "backup"]
    plan = make_plan(load([("export.yaml", as_yaml(sections))]), prune=True)
    assert [(c.action, c.key) for c in plan.changes] == [("release", "backup")]
    apply_loaded(load([("export.yaml", as_yaml(sections))]), prune=True)
    assert Monitor.objects.filter(name="Backup").exists()
    assert not ManagedObject.objects.filter(key="backup").exists()


def test_the_committed_json_schema_is_the_one_the_definitions_give():
    assert SCHEMA_PATH.read_text() == json_schema_text(), "run manage.py vigil_config_schema and commit it"
