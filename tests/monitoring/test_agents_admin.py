"""Making and revoking probe agent locations (issue #21): the admin and `manage.py create_location`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from monitoring.models import Location
from vigil.models import AuditEntry


def test_an_admin_adding_a_location_sees_its_token_once(web_clients):
    response = web_clients["admin"].post(
        "/admin/monitoring/location/add/", {"name": "paris", "region": "eu-west"}, follow=True
    )
    location = Location.objects.get(name="paris")
    shown = [str(message) for message in response.context["messages"] if "agent token" in str(message)]
    token = shown[0].rsplit(" ", 1)[-1]
    assert token.startswith("vga_") and Location.hash_token(token) == location.token_hash
    assert AuditEntry.objects.filter(action="location.create", via="admin").exists()
    page = web_clients["admin"].get(f"/admin/monitoring/location/{location.pk}/change/").content.decode()
    assert token not in page and location.token_prefix in page


def test_the_admin_s_revoke_action_revokes_agent_locations_not_the_central_one(web_clients, admin_user):
    from monitoring.locations import central_location, do_create_location
    from vigil.audit import Actor

    agent, _ = do_create_location(Actor(user=admin_user), "tokyo")
    central = central_location()
    web_clients["admin"].post(
        "/admin/monitoring/location/",
        {"action": "revoke", "_selected_action": [agent.pk, central.pk]},
    )
    agent.refresh_from_db()
    central.refresh_from_db()
    assert agent.revoked_at is not None and central.revoked_at is None


def test_create_location_prints_a_working_token_and_refuses_a_taken_name(db):
    out = StringIO()
    call_command("create_location", "paris", "--region", "eu-west", stdout=out)
    token = out.getvalue().strip()
    location = Location.objects.get(name="paris")
    assert location.token_hash == Location.hash_token(token) and location.region == "eu-west"
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_location", "paris")
