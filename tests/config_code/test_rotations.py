"""Schedules' rotations as code: layers top first, people by email in hand-off order."""

from datetime import UTC, datetime, time

import pytest

from config_code.apply import apply_loaded
from config_code.export import as_yaml, export
from config_code.loader import load
from config_code.plan import make_plan
from config_code.text import render
from incidents.models import Rotation, Schedule
from tests.conftest import make_user
from vigil.models import AuditEntry

from .conftest import loaded

SCHEDULES = """\
schedules:
  - key: primary
    name: Primary
    time_zone: Europe/Paris
    rotations:
      - name: Business hours
        starts_at: 2026-01-05 09:00
        shift_length: 1
        shift_unit: days
        active_from: "09:00"
        active_until: "18:00"
        days: [fri, mon, tue, wed, thu]
        members: [Bob@example.com, ann@example.com]
      - name: Weekly
        starts_at: 2026-01-05T08:00:00Z
        members: [ann@example.com]
"""


@pytest.fixture
def people(db):
    return make_user("ann", None), make_user("bob", None)


def layers() -> list[tuple]:
    return [
        (r.name, r.priority, r.starts_at, r.active_from, r.days, [m.user.username for m in r.members.all()])
        for r in Rotation.objects.order_by("-priority", "id")
    ]


def test_rotations_are_made_top_first_with_wall_clock_starts_in_the_schedules_zone(people):
    plan = make_plan(loaded(SCHEDULES))
    assert plan.errors == []
    [change] = plan.changes
    assert [name for name, _, _ in change.diffs] == ["name", "description", "time_zone", "team", "rotations"]
    apply_loaded(loaded(SCHEDULES))
    assert layers() == [
        ("Business hours", 1, datetime(2026, 1, 5, 8, 0, tzinfo=UTC), time(9, 0), 0b0011111, ["bob", "ann"]),
        ("Weekly", 0, datetime(2026, 1, 5, 8, 0, tzinfo=UTC), None, 0b1111111, ["ann"]),
    ]
    assert AuditEntry.objects.filter(action="oncall.rotation.create", via="config").count() == 2
    assert make_plan(loaded(SCHEDULES)).changes == []  # applied twice: nothing to do


def test_a_changed_layer_is_updated_in_place_and_a_dropped_one_deleted(people):
    apply_loaded(loaded(SCHEDULES))
    first = Rotation.objects.get(name="Business hours").pk
    edited = SCHEDULES.replace("[Bob@example.com, ann@example.com]", "[ann@example.com, bob@example.com]")
    edited = edited[: edited.index("      - name: Weekly")]
    plan = make_plan(loaded(edited))
    [change] = plan.changes
    assert (change.action, [d[0] for d in change.diffs]) == ("update", ["rotations"])
    assert "'members': ['bob@example.com', 'ann@example.com']" in render(plan)
    apply_loaded(loaded(edited))
    assert [(r.pk, r.priority) for r in Rotation.objects.all()] == [(first, 0)]
    assert [m.user.username for m in Rotation.objects.get().members.all()] == ["ann", "bob"]
    assert AuditEntry.objects.filter(action="oncall.rotation.delete", via="config").count() == 1
    assert make_plan(loaded(edited)).changes == []


def test_rotations_left_out_are_the_dashboards_and_an_empty_list_removes_them(people):
    apply_loaded(loaded(SCHEDULES))
    settings_only = SCHEDULES[: SCHEDULES.index("    rotations:")]
    assert make_plan(loaded(settings_only)).changes == []
    apply_loaded(loaded(settings_only))
    assert Rotation.objects.count() == 2
    [change] = make_plan(loaded(settings_only + "    rotations: []\n")).changes
    assert [d[0] for d in change.diffs] == ["rotations"]
    apply_loaded(loaded(settings_only + "    rotations: []\n"))
    assert not Rotation.objects.exists()


def test_rotations_export_in_the_schedules_zone_and_plan_back_to_no_change(people):
    apply_loaded(loaded(SCHEDULES))
    text = as_yaml(export())
    assert "starts_at: 2026-01-05 09:00:00+01:00" in text and "active_until: '18:00'" in text
    assert "days:" in text and text.count("days:") == 1  # every day is the default, left out
    assert make_plan(load([("export.yaml", text)])).changes == []


def test_a_bad_rotation_is_placed_and_an_unquoted_time_is_not_misread(people):
    text = SCHEDULES.replace('active_until: "18:00"', "active_until: 18:00").replace(
        "members: [ann@example.com]", "members: [carol@example.com]\n        shift_length: 400"
    )
    plan = make_plan(loaded(text))
    assert [(e.line, e.path) for e in plan.errors] == [
        (11, "schedules[0].rotations[0].active_until"),
        (14, "schedules[0].rotations[1]"),
    ]
    assert "in quotes" in plan.errors[0].message and "At most 366 days" not in plan.errors[1].message
    assert "shift_length: At most 53 weeks" in plan.errors[1].message
    assert not Schedule.objects.exists()
