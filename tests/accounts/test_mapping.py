"""An identity provider's groups to Vigil's role and teams (accounts.mapping), as every sign-in door applies it."""

import pytest

from accounts.group_map import MapError, parse_group_map
from accounts.mapping import Grant, do_apply_grant, grant_for
from incidents.models import Team
from tests.conftest import make_user
from vigil.audit import Actor
from vigil.models import AuditEntry
from vigil.roles import Role, role_of

MAP = "vigil-admins=admin, payments-oncall=responder:Payments, search-oncall=responder:Search, staff=viewer"


def test_the_map_reads_pairs_and_refuses_what_it_cannot_read():
    assert parse_group_map(MAP)["payments-oncall"] == ("responder", "Payments")
    assert parse_group_map("") == {}
    for bad in ("vigil-admins", "x=boss", "=admin"):
        with pytest.raises(MapError):
            parse_group_map(bad)


def test_the_highest_role_and_every_team_of_the_groups(settings):
    settings.VIGIL_SSO_GROUP_MAP = MAP
    assert grant_for(["staff", "payments-oncall", "search-oncall", "unmapped"]) == Grant(
        Role.RESPONDER, frozenset({"Payments", "Search"})
    )
    assert grant_for(["staff", "vigil-admins"]).role == Role.ADMIN
    assert grant_for(["unmapped"]).role is None
    settings.VIGIL_SSO_DEFAULT_ROLE = "viewer"
    assert grant_for(["unmapped"]).role == Role.VIEWER


@pytest.mark.django_db
def test_applying_sets_the_role_and_the_mapped_teams_exactly_and_leaves_other_teams(settings, roles):
    settings.VIGIL_SSO_GROUP_MAP = MAP
    person = make_user("pat", Role.VIEWER)
    by_hand = Team.objects.create(name="Book club")
    by_hand.members.add(person)
    search = Team.objects.create(name="Search")
    search.members.add(person)
    do_apply_grant(Actor(via="oidc"), person, grant_for(["payments-oncall"]))
    assert role_of(person) == Role.RESPONDER
    assert set(person.teams.values_list("name", flat=True)) == {"Payments", "Book club"}  # Search left, by hand kept
    assert AuditEntry.objects.filter(action="user.sso_grant").count() == 1
    do_apply_grant(Actor(via="oidc"), person, grant_for(["payments-oncall"]))
    assert AuditEntry.objects.filter(action="user.sso_grant").count() == 1  # nothing changed, nothing written
    do_apply_grant(Actor(via="oidc"), person, grant_for(["unmapped"]))
    person.refresh_from_db()
    assert role_of(person) is None and person.is_active  # no role, never deactivated by a sign-in
