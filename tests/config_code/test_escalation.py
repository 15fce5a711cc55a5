"""Schedules and escalation policies as code: levels name people by email and schedules by key."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config_code.apply import apply_loaded
from config_code.export import as_yaml, export
from config_code.loader import load
from config_code.plan import make_plan
from config_code.text import render
from incidents.models import EscalationPolicy, Schedule
from monitoring.models import Monitor
from tests.conftest import make_user
from vigil.models import AuditEntry

from .conftest import loaded

POLICIES = """\
teams:
  - key: payments
    name: Payments
schedules:
  - key: payments-primary
    name: Payments primary
    time_zone: Europe/Paris
    team: payments
escalation_policies:
  - key: payments
    name: Payments
    team: payments
    repeat: 1
    levels:
      - users: [Ann@Example.com]
        schedules: [payments-primary]
        timeout_minutes: 10
      - users: [bob@example.com, ann@example.com]
monitors:
  - key: checkout
    name: Checkout
    target: https://checkout.example.com
    escalation_policy: payments
"""


@pytest.fixture
def people(db):
    return make_user("ann", None), make_user("bob", None)  # ann@example.com, bob@example.com


def levels(policy: EscalationPolicy) -> list[tuple]:
    return [
        (level.timeout_minutes, sorted(u.email for u in level.users.all()), [s.name for s in level.schedules.all()])
        for level in policy.levels.all()
    ]


def test_a_policy_is_made_with_its_levels_in_order_and_a_monitor_pages_it(people):
    plan = make_plan(loaded(POLICIES))
    assert plan.errors == []
    assert [(c.kind.name, c.key) for c in plan.changes] == [
        ("teams", "payments"),
        ("schedules", "payments-primary"),
        ("escalation_policies", "payments"),
        ("monitors", "checkout"),
    ]
    apply_loaded(loaded(POLICIES))
    policy = EscalationPolicy.objects.get()
    assert (policy.repeat, policy.team.name) == (1, "Payments")
    assert levels(policy) == [
        (10, ["ann@example.com"], ["Payments primary"]),
        (15, ["ann@example.com", "bob@example.com"], []),
    ]
    assert Monitor.objects.get().escalation_policy == policy
    assert Schedule.objects.get().time_zone == "Europe/Paris"
    assert make_plan(loaded(POLICIES)).changes == []  # the order of people in a level is not a change


def test_changing_a_level_plans_the_levels_before_and_after_and_applies_them(people):
    apply_loaded(loaded(POLICIES))
    edited = POLICIES.replace("timeout_minutes: 10", "timeout_minutes: 5")
    plan = make_plan(loaded(edited))
    [change] = plan.changes
    assert (change.key, [d[0] for d in change.diffs]) == ("payments", ["levels"])
    assert "'timeout_minutes': 10" in render(plan) and "'timeout_minutes': 5" in render(plan)
    apply_loaded(loaded(edited))
    assert levels(EscalationPolicy.objects.get())[0][0] == 5
    assert AuditEntry.objects.filter(action="escalation_policy.update", via="config").count() == 1


def test_an_unknown_person_or_schedule_is_placed_in_its_level(people):
    text = POLICIES.replace("[bob@example.com, ann@example.com]", "[carol@example.com]").replace(
        "schedules: [payments-primary]", "schedules: [payments-secondary]"
    )
    plan = make_plan(loaded(text))
    assert [(e.line, e.path, e.message) for e in plan.errors] == [
        (
            16,
            "escalation_policies[0].levels[0].schedules[0]",
            "There is no schedules with the key 'payments-secondary' in the files.",
        ),
        (18, "escalation_policies[0].levels[1].users[0]", "No active account has the email 'carol@example.com'."),
    ]


def test_a_schedule_dropped_with_the_level_that_paged_it_is_pruned_after_the_policy_changes(people):
    apply_loaded(loaded(POLICIES))
    without = POLICIES.replace("        schedules: [payments-primary]\n", "")
    without = without.replace(without[without.index("schedules:\n") : without.index("escalation_policies:")], "")
    plan = make_plan(loaded(without), prune=True)
    assert [(c.action, c.kind.name) for c in plan.changes] == [
        ("update", "escalation_policies"),
        ("delete", "schedules"),
    ]
    apply_loaded(loaded(without), prune=True)
    assert not Schedule.objects.exists() and levels(EscalationPolicy.objects.get())[0][2] == []


def test_policies_export_and_plan_back_to_no_change_at_a_fixed_query_count(people):
    apply_loaded(loaded(POLICIES))
    text = as_yaml(export())
    assert "- ann@example.com" in text and "escalation_policy: payments" in text
    files = load([("export.yaml", text)])
    with CaptureQueriesContext(connection) as queries:
        plan = make_plan(files)
    assert plan.errors == [] and plan.changes == []
    assert len(queries) <= 12, [q["sql"][:80] for q in queries]
