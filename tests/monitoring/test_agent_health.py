"""A silent probe agent is an incident of its own (issue #21, monitoring.agent_health), and never
a reason to mark its monitors down."""

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from incidents.models import Incident
from monitoring import agent_health, locations, services
from monitoring.models import Location, Monitor
from vigil.audit import Actor


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user)


@pytest.fixture
def paris(actor):
    location, _ = locations.do_create_location(actor, "paris", region="eu-west")
    return location


def heard(location, ago):
    Location.objects.filter(pk=location.pk).update(last_seen_at=timezone.now() - ago)


def watch():
    with TestCase.captureOnCommitCallbacks(execute=True):
        return agent_health.watch()


@pytest.mark.usefixtures("roles")
def test_an_agent_silent_too_long_opens_one_sev4_incident_and_its_monitors_stay_as_they_were(actor, paris, settings):
    settings.VIGIL_AGENT_SILENT_AFTER_SECONDS = 180
    monitor = services.do_create_monitor(actor, name="Shop", target="https://shop.example.com/")
    locations.do_set_locations(actor, monitor, [paris])
    heard(paris, timedelta(seconds=100))
    assert watch() == {"silent": 0, "opened": 0, "resolved": 0}
    heard(paris, timedelta(seconds=200))
    assert watch() == {"silent": 1, "opened": 1, "resolved": 0}
    assert watch()["opened"] == 0  # beat runs it again: still one incident
    incident = Incident.objects.get()
    assert incident.title == "Probe agent paris is silent" and incident.severity == "sev4"
    assert incident.dedup_key == f"agent:{paris.pk}" and "eu-west" in incident.summary
    assert Monitor.objects.get(pk=monitor.pk).state == Monitor.State.PENDING


def test_an_agent_heard_again_resolves_its_incident(actor, paris):
    heard(paris, timedelta(hours=1))
    watch()
    heard(paris, timedelta(seconds=5))
    assert watch() == {"silent": 0, "opened": 0, "resolved": 1}
    incident = Incident.objects.get()
    assert incident.status == "resolved"
    assert incident.events.filter(message__contains="Probe agent paris reports again").exists()


def test_an_agent_never_heard_counts_from_its_location_s_creation(actor, paris):
    assert watch()["opened"] == 0  # just made: give it time to start
    Location.objects.filter(pk=paris.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert watch()["opened"] == 1
    assert "never heard" in Incident.objects.get().summary


def test_revoking_a_silent_agent_s_location_resolves_its_incident_and_stops_watching_it(actor, paris):
    heard(paris, timedelta(hours=1))
    watch()
    locations.do_revoke_location(actor, paris)
    assert watch()["resolved"] == 1
    assert "was revoked" in Incident.objects.get().events.last().message
    assert watch() == {"silent": 0, "opened": 0, "resolved": 0}


def test_the_central_install_is_not_an_agent(actor):
    central = locations.central_location()
    Location.objects.filter(pk=central.pk).update(created_at=timezone.now() - timedelta(days=1))
    assert watch()["silent"] == 0


def test_the_locations_page_tells_a_silent_agent_from_a_reporting_one(actor, paris, web_clients):
    tokyo, _ = locations.do_create_location(actor, "tokyo")
    heard(paris, timedelta(hours=2))
    heard(tokyo, timedelta(seconds=10))
    Location.objects.filter(pk=tokyo.pk).update(version="0.1.0")
    locations.central_location()
    page = web_clients["viewer"].get("/monitors/locations/")
    assert page.status_code == 200
    rows = {
        row.split("</th>")[0].rsplit(">", 1)[-1]: row
        for row in page.content.decode().split('<tr>\n    <th scope="row">')[1:]
    }
    assert "silent" in rows["paris"] and "reporting" in rows["tokyo"] and "0.1.0" in rows["tokyo"]
    assert "this install" in rows["central"]
    assert web_clients["anonymous"].get("/monitors/locations/").status_code == 302
