"""POST /api/v1/config/plan and /apply with a team's service key (issue #22, item 3): any key plans; a
write key applies only what it could do by the API (its kinds, its team's objects), else a 403 listing
every refusal and nothing applied."""

import pytest

from accounts.services import do_create_service_key
from config_code.apply import apply_files
from incidents.models import ComponentGroup, Team
from monitoring.models import Monitor
from tests.accounts.test_service_keys import bearer
from vigil.audit import Actor
from vigil.models import AuditEntry

from .conftest import files

TEAMS = """\
teams:
  - key: payments
    name: Payments
  - key: search
    name: Search
"""
MONITORS = """\
monitors:
  - key: checkout
    name: Checkout
    kind: heartbeat
    interval_seconds: 60
"""


@pytest.fixture
def teams(admin_user):
    """Payments and Search, made by an admin's apply so config manages them (files may name them)."""
    apply_files(files(TEAMS), Actor(user=admin_user))
    return {team.name.lower(): team for team in Team.objects.all()}


def key_client(admin_user, team, scope="write", kinds=("monitoring.monitor",)):
    kinds = list(kinds) if scope == "write" else []
    key, raw = do_create_service_key(Actor(user=admin_user), team, "ci", scope=scope, kinds=kinds)
    return key, bearer(raw)


def post(client, action: str, body: str, query: str = ""):
    return client.post(f"/api/v1/config/{action}{query}", data=body, content_type="application/yaml")


def test_a_read_key_plans_but_may_not_apply(admin_user, teams):
    _, client = key_client(admin_user, teams["payments"], scope="read")
    plan = post(client, "plan", MONITORS)
    assert plan.status_code == 200, plan.content
    assert [change["key"] for change in plan.json()["changes"]] == ["checkout"]
    refused = post(client, "apply", MONITORS)
    assert refused.status_code == 403
    assert "read-only service key may plan, not apply" in refused.json()["errors"][0]["detail"]
    assert not Monitor.objects.exists()


def test_a_write_key_for_monitors_applies_them_as_its_teams_and_again_changes_nothing(admin_user, teams):
    key, client = key_client(admin_user, teams["payments"])
    applied = post(client, "apply", MONITORS)
    assert applied.status_code == 200, applied.content
    assert Monitor.objects.get().team == teams["payments"]
    entry = AuditEntry.objects.get(action="monitor.create")
    assert (entry.actor_id, entry.via) == (key.user_id, "config")
    # Naming no team means the key's: the next plan sees nothing to do.
    assert post(client, "plan", MONITORS).json()["changes"] == []
    renamed = post(client, "apply", MONITORS.replace("name: Checkout", "name: Checkout API"))
    assert renamed.status_code == 200, renamed.content
    assert Monitor.objects.get().name == "Checkout API"


def test_a_write_key_may_name_its_own_team_when_the_files_leave_the_team_as_it_is(admin_user, teams):
    _, client = key_client(admin_user, teams["payments"])
    body = TEAMS + MONITORS + "    team: payments\n"
    applied = post(client, "apply", body)
    assert applied.status_code == 200, applied.content
    assert Monitor.objects.get().team == teams["payments"]


REFUSED = {
    "a new team": (
        MONITORS + "teams:\n  - key: payments\n    name: Payments\n  - key: search\n    name: Search\n"
        "  - key: growth\n    name: Growth\n",
        "Only a Vigil admin may apply teams",
    ),
    "a component group": (
        MONITORS + "component_groups:\n  - key: shop\n    name: Shop\n",
        "Only a Vigil admin may apply component_groups",
    ),
    "a monitor of another team": (TEAMS + MONITORS + "    team: search\n", "It names the team Search"),
    "a kind the key lacks": (
        TEAMS + MONITORS + "schedules:\n  - key: primary\n    name: Primary\n    team: payments\n",
        "This key may not write schedules: it lacks the kind incidents.schedule",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_write_key_for_monitors_is_refused_an_apply_touching_what_it_may_not_and_nothing_is_applied(
    admin_user, teams, case
):
    body, message = REFUSED[case]
    _, client = key_client(admin_user, teams["payments"])
    planned = post(client, "plan", body)  # told on the pull request, before the merge applies
    assert planned.status_code == 403 and planned.json()["changes"] == []
    refused = post(client, "apply", body)
    assert refused.status_code == 403, refused.content
    assert refused.json()["errors"] == planned.json()["errors"]
    assert any(message in error["message"] for error in refused.json()["errors"]), refused.json()
    assert not Monitor.objects.exists()
    assert not ComponentGroup.objects.exists()
    assert Team.objects.count() == 2


def test_every_refusal_is_listed_at_once(admin_user, teams):
    _, client = key_client(admin_user, teams["payments"])
    body = TEAMS + "  - key: growth\n    name: Growth\n" + MONITORS + "    team: search\n"
    body += "component_groups:\n  - key: shop\n    name: Shop\n"
    errors = post(client, "apply", body).json()["errors"]
    assert [error["path"] for error in errors] == ["teams[2]", "component_groups[0]", "monitors[0].team"]


def test_a_key_may_not_change_nor_prune_another_teams_monitor_config_manages(admin_user, teams):
    apply_files(files(TEAMS + MONITORS + "    team: search\n"), Actor(user=admin_user))
    _, client = key_client(admin_user, teams["payments"])
    changed = post(client, "apply", MONITORS.replace("name: Checkout", "name: Taken"))
    assert changed.status_code == 403
    assert "belongs to team Search" in changed.json()["errors"][0]["message"]
    pruned = post(client, "apply", TEAMS, "?prune=true")
    assert pruned.status_code == 403
    assert Monitor.objects.get().name == "Checkout"


def test_a_key_never_deletes_even_its_own_teams_monitor(admin_user, teams):
    _, client = key_client(admin_user, teams["payments"])
    assert post(client, "apply", MONITORS).status_code == 200
    pruned = post(client, "apply", TEAMS, "?prune=true")
    assert pruned.status_code == 403
    assert "never deletes" in pruned.json()["errors"][0]["message"]
    assert Monitor.objects.exists()


def test_an_admin_still_applies_teams_groups_and_monitors_and_a_monitor_naming_no_team_stays_shared(api_clients):
    body = "teams:\n  - key: growth\n    name: Growth\ncomponent_groups:\n  - key: shop\n    name: Shop\n" + MONITORS
    applied = post(api_clients["admin"], "apply", body)
    assert applied.status_code == 200, applied.content
    assert Team.objects.filter(name="Growth").exists() and ComponentGroup.objects.exists()
    assert Monitor.objects.get().team is None
