"""A post-mortem is drafted from the incident's record: created once when a severe incident resolves."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.models import Alert, Component, ComponentStatus, Integration
from incidents.services import do_acknowledge, do_declare, do_post_update, do_reopen, do_resolve, do_set_components
from postmortems import services
from postmortems.models import PostMortem
from vigil.audit import Actor
from vigil.models import AuditEntry

T0 = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user, via="web")


def _at(minutes: float):
    return time_machine.travel(T0 + timedelta(minutes=minutes), tick=False)


def _scripted_outage(actor, severity="sev1"):
    """Alert fires at 09:56; declared 10:00; acknowledged 10:03; identified 10:10 (public update); resolved 10:45."""
    api = Component.objects.create(name="API")
    with _at(0):
        incident, _ = do_declare(
            actor, title="Checkout is down", severity=severity, components={api: ComponentStatus.MAJOR_OUTAGE}
        )
    integration = Integration.objects.create(name="am", kind=Integration.Kind.ALERTMANAGER)
    Alert.objects.create(
        integration=integration, fingerprint="f1", title="5xx", incident=incident, starts_at=T0 - timedelta(minutes=4)
    )
    with _at(3):
        do_acknowledge(actor, incident)
    with _at(10):
        do_post_update(actor, incident, "identified", "A bad deploy; rolling back.")
    return incident


def _resolve(actor, incident, capture, minutes=45):
    with _at(minutes), capture(execute=True):
        return do_resolve(actor, incident, "Rolled back to 1.4.2")


def test_a_sev1_resolving_drafts_its_postmortem_from_the_record(actor, django_capture_on_commit_callbacks):
    incident = _scripted_outage(actor)
    _resolve(actor, incident, django_capture_on_commit_callbacks)
    postmortem = PostMortem.objects.get(incident=incident)
    impact = postmortem.impact
    # By hand: 10:00 → 10:45 is 2,700 s; the alert fired 4 min before the declaration; ack at 3 min.
    assert impact["duration"] == 2700
    assert impact["time_to_detect"] == 240
    assert impact["time_to_acknowledge"] == 180
    assert impact["time_to_resolve"] == 2700
    assert impact["detection_source"] == "Manual"
    assert impact["components"] == [
        {"component": "API", "status": "major_outage", "status_label": "Major outage", "seconds": 2700}
    ]
    assert impact["components_note"] == ""
    assert postmortem.summary.startswith("SEV1 (critical impact): Checkout is down. Lasted 45m 00s")
    assert "affecting API." in postmortem.summary
    assert "Lasted 45m 00s, declared by a person" in postmortem.summary
    rows = [(e.at - T0, e.public) for e in postmortem.timeline.all()]
    minutes = timedelta(minutes=1)
    assert rows == [
        (0 * minutes, False),
        (3 * minutes, False),
        (10 * minutes, False),
        (10 * minutes, True),
        (45 * minutes, False),
    ]
    assert postmortem.timeline.last().text.startswith("Rolled back to 1.4.2")
    assert postmortem.resolution.startswith("Rolled back to 1.4.2")
    assert postmortem.trigger and postmortem.root_cause and postmortem.got_lucky
    assert len(postmortem.five_whys) == 5 and postmortem.five_whys[0]["why"] == "Why did “Checkout is down” happen?"
    assert postmortem.status == PostMortem.Status.DRAFT
    assert AuditEntry.objects.filter(action="postmortem.draft", target_id=str(postmortem.pk)).count() == 1


def test_it_is_created_once_however_often_the_incident_resolves(actor, django_capture_on_commit_callbacks):
    incident = _scripted_outage(actor, "sev2")
    _resolve(actor, incident, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        do_reopen(actor, incident)
    _resolve(actor, incident, django_capture_on_commit_callbacks, minutes=60)
    services.on_incident_resolved(sender=None, incident=incident, actor=actor)  # a repeated signal
    assert PostMortem.objects.filter(incident=incident).count() == 1


def test_a_sev3_resolving_drafts_nothing(actor, django_capture_on_commit_callbacks):
    incident = _scripted_outage(actor, "sev3")
    _resolve(actor, incident, django_capture_on_commit_callbacks)
    assert not PostMortem.objects.filter(incident=incident).exists()


def test_the_setting_chooses_the_severities(actor, settings, django_capture_on_commit_callbacks):
    settings.VIGIL_POSTMORTEM_AUTO_SEVERITIES = " SEV3 "
    incident = _scripted_outage(actor, "sev3")
    _resolve(actor, incident, django_capture_on_commit_callbacks)
    assert PostMortem.objects.filter(incident=incident).exists()


def test_drafting_on_demand_returns_the_existing_one(actor):
    incident, _ = do_declare(actor, title="Slow search", severity="sev4")
    first = services.do_draft_postmortem(actor, incident)
    assert services.do_draft_postmortem(actor, incident) == first
    assert first.title == "Post-mortem: Slow search"
    assert first.impact["duration"] is None and first.impact["time_to_resolve"] is None


def test_component_times_are_left_out_when_the_components_changed(actor):
    api, web = Component.objects.create(name="API"), Component.objects.create(name="Web")
    with _at(0):
        incident, _ = do_declare(actor, title="Partial", severity="sev2", components=[api])
    with _at(5):
        do_set_components(actor, incident, {api: ComponentStatus.DEGRADED, web: ComponentStatus.PARTIAL_OUTAGE})
    with _at(20):
        do_resolve(actor, incident)
    postmortem = services.do_draft_postmortem(actor, incident)
    assert postmortem.impact["duration"] == 1200
    assert postmortem.impact["components"] == []
    assert "left out" in postmortem.impact["components_note"]


def test_the_incident_page_offers_the_draft_button_then_links_to_it(web_clients, admin_user, actor):
    incident, _ = do_declare(actor, title="Checkout is down")
    page = web_clients["responder"].get(f"/incidents/{incident.pk}/")
    assert b"Draft post-mortem" in page.content
    response = web_clients["responder"].post(f"/postmortems/draft/{incident.pk}/")
    postmortem = PostMortem.objects.get(incident=incident)
    assert response.status_code == 302 and response["Location"] == postmortem.get_absolute_url()
    page = web_clients["viewer"].get(f"/incidents/{incident.pk}/")
    assert postmortem.get_absolute_url().encode() in page.content
    assert b"Draft post-mortem" not in page.content
