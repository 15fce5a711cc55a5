"""Stakeholder groups (their settings, never their people) and notification templates as code."""

from comms.models import MessageTemplate, Stakeholder, StakeholderGroup
from config_code.apply import apply_loaded
from config_code.export import as_yaml, export
from config_code.loader import load
from config_code.models import ManagedObject
from config_code.plan import make_plan
from incidents.models import Team
from vigil.models import AuditEntry

from .conftest import loaded

COMMS = """\
teams:
  - key: payments
    name: Payments
stakeholder_groups:
  - key: merchants
    name: Merchants
    description: Shops taking payments through us
    team: payments
notification_templates:
  - key: update-sms
    event: update
    part: sms
    body: |
      {{ title }}: {{ message }}
"""


def test_groups_and_templates_are_made_through_comms_actions_and_applied_once(db):
    plan = make_plan(loaded(COMMS))
    assert plan.errors == []
    assert [(c.kind.name, c.key, [d[0] for d in c.diffs]) for c in plan.changes][1:] == [
        ("stakeholder_groups", "merchants", ["name", "description", "team"]),
        ("notification_templates", "update-sms", ["event", "part", "body"]),
    ]
    apply_loaded(loaded(COMMS))
    group = StakeholderGroup.objects.get()
    assert (group.name, group.team) == ("Merchants", Team.objects.get())
    assert MessageTemplate.objects.get(event="update", part="sms").body == "{{ title }}: {{ message }}"
    assert {"comms.group.create", "comms.templates"} <= set(AuditEntry.objects.values_list("action", flat=True))
    assert make_plan(loaded(COMMS)).changes == []


def test_a_group_keeps_its_people_and_a_moved_template_leaves_the_old_part_to_its_default(db):
    apply_loaded(loaded(COMMS))
    Stakeholder.objects.create(name="Ann").groups.add(StakeholderGroup.objects.get())
    edited = COMMS.replace("name: Merchants", "name: Shops").replace("part: sms", "part: voice")
    plan = make_plan(loaded(edited))
    assert [(c.key, [(d[0], d[2]) for d in c.diffs]) for c in plan.changes] == [
        ("merchants", [("name", "Shops")]),
        ("update-sms", [("part", "voice")]),
    ]
    apply_loaded(loaded(edited))
    assert StakeholderGroup.objects.get().members.get().name == "Ann"
    assert list(MessageTemplate.objects.values_list("part", flat=True)) == ["voice"]
    apply_loaded(loaded(edited.split("notification_templates:")[0]), prune=True)
    assert not MessageTemplate.objects.exists() and StakeholderGroup.objects.exists()


def test_a_template_twice_or_at_its_default_or_broken_is_refused(db):
    twice = COMMS + "  - key: again\n    event: update\n    part: sms\n    body: Hi\n"
    [error] = make_plan(loaded(twice)).errors
    assert (error.path, error.message) == (
        "notification_templates[1].event",
        "notification_templates 'update-sms' has the same event and part already.",
    )
    default = COMMS.replace("{{ title }}: {{ message }}", "{{ title }} - {{ status }}: {{ message }} {{ status_url }}")
    plan = make_plan(loaded(default))
    assert plan.errors == []
    broken = COMMS.replace("{{ message }}", "{% if %}")
    for text, expected in ((default, "This is the built-in text"), (broken, "body")):
        try:
            apply_loaded(loaded(text))
        except Exception as exc:  # ConfigInvalid, placed at the template
            assert expected in str(exc) and "notification_templates[0]" in str(exc)
        else:
            raise AssertionError("applied")
    assert not MessageTemplate.objects.exists() and not StakeholderGroup.objects.exists()


def test_groups_and_templates_export_and_plan_back_to_no_change(db):
    apply_loaded(loaded(COMMS))
    ManagedObject.objects.all().delete()
    text = as_yaml(export())
    assert "- key: update-sms\n  event: update\n  part: sms\n" in text and "team: payments" in text
    assert make_plan(load([("export.yaml", text)])).changes == []
