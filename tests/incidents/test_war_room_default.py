"""The war room's bridge: none until configured, and an unguessable room name when it is (issue #15: the
default was a public Jitsi room named after the incident's title, open to anyone who guessed it)."""

import pytest

from incidents import services
from vigil import settings as vigil_settings
from vigil.audit import Actor


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user, via="web")


def test_by_default_an_incident_gets_no_public_bridge(actor, settings):
    # The default as vigil/settings/features.py declares it (the environment of the test run sets none).
    assert vigil_settings.VIGIL_BRIDGE_URL_TEMPLATE == ""
    settings.VIGIL_BRIDGE_URL_TEMPLATE = vigil_settings.VIGIL_BRIDGE_URL_TEMPLATE
    incident, _ = services.do_declare(actor, title="Payments down", severity="sev1")
    incident.refresh_from_db()
    assert incident.bridge_url == ""


def test_a_configured_bridge_gets_an_unguessable_name_per_incident(actor, settings):
    settings.VIGIL_BRIDGE_URL_TEMPLATE = "https://meet.example/vigil-{token}"
    first, _ = services.do_declare(actor, title="Payments down", severity="sev1")
    second, _ = services.do_declare(actor, title="Payments down", severity="sev1")
    names = [i.bridge_url.removeprefix("https://meet.example/vigil-") for i in (first, second)]
    assert names[0] != names[1]
    assert all(len(name) >= 20 and "payments" not in name.lower() and str(first.pk) != name for name in names)
    assert services.war_room_urls(first)[0] != first.bridge_url  # made anew each time, never derived


def test_id_and_slug_are_still_there_for_those_who_want_them(actor, settings):
    settings.VIGIL_BRIDGE_URL_TEMPLATE = "https://meet.example/{id}-{slug}-{token}"
    incident, _ = services.do_declare(actor, title="Payments down", severity="sev1")
    assert incident.bridge_url.startswith(f"https://meet.example/{incident.pk}-payments-down-")
