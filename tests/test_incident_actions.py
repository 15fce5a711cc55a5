"""The first incident actions: declare, acknowledge, resolve, note; each writes its timeline and audit rows."""

import threading

import pytest
from django.db import connection

from incidents import services, signals
from incidents.models import TRANSITIONS, Incident, IncidentEvent, Status
from tests.conftest import need
from vigil.audit import Actor
from vigil.models import AuditEntry


@pytest.fixture
def actor(responder):
    return Actor(user=responder, ip="10.0.0.7", via="web")


def test_declare_writes_the_timeline_and_the_audit_log(actor):
    incident, created = services.do_declare(actor, title="Checkout errors", severity="sev1")
    assert created and incident.status == Status.TRIGGERED
    assert list(incident.events.values_list("kind", flat=True)) == [IncidentEvent.Kind.DECLARED]
    entry = AuditEntry.objects.get(action="incident.declare")
    assert (entry.actor, entry.ip, entry.target_id) == (actor.user, "10.0.0.7", str(incident.pk))


def test_acknowledge_then_resolve_derives_mtta_and_mttr(actor):
    incident, _ = services.do_declare(actor, title="API slow")
    incident = services.do_acknowledge(actor, incident)
    assert incident.status == Status.ACKNOWLEDGED and incident.acknowledged_by == actor.user
    incident = services.do_resolve(actor, incident)
    assert incident.status == Status.RESOLVED
    assert incident.time_to_acknowledge <= incident.time_to_resolve
    kinds = list(incident.events.values_list("kind", flat=True))
    assert kinds == ["declared", "acknowledged", "resolved"]


def test_a_resolved_incident_cannot_be_acknowledged_or_resolved_again(actor):
    incident, _ = services.do_declare(actor, title="DNS")
    services.do_resolve(actor, incident)
    with pytest.raises(services.ActionError, match="already resolved"):
        services.do_resolve(actor, incident)
    with pytest.raises(services.ActionError, match="only a triggered incident"):
        services.do_acknowledge(actor, incident)
    assert incident.events.count() == 2


def test_resolving_unacknowledged_sets_acknowledged_too(actor):
    incident, _ = services.do_declare(actor, title="Disk full")
    incident = services.do_resolve(actor, incident)
    assert incident.acknowledged_at == incident.resolved_at


@pytest.mark.parametrize(("start", "target"), [(s, t) for s in Status.values for t in Status.values if t != "resolved"])
def test_status_changes_follow_the_transition_table(actor, start, target):
    incident, _ = services.do_declare(actor, title="x")
    Incident.objects.filter(pk=incident.pk).update(status=start)
    if target in TRANSITIONS[start]:
        assert services.do_change_status(actor, incident, target).status == target
    else:
        with pytest.raises(services.ActionError):
            services.do_change_status(actor, incident, target)
        incident.refresh_from_db()
        assert incident.status == start


def test_a_dedup_key_joins_the_open_incident(actor):
    first, created = services.do_declare(actor, title="Probe failed", dedup_key="monitor:1")
    again, created_again = services.do_declare(actor, title="Probe failed", dedup_key="monitor:1")
    assert created and not created_again and again.pk == first.pk
    services.do_resolve(actor, first)
    third, created_third = services.do_declare(actor, title="Probe failed", dedup_key="monitor:1")
    assert created_third and third.pk != first.pk


@pytest.mark.django_db(transaction=True)
def test_two_identical_signals_at_once_open_one_incident(responder):
    """The partial unique constraint, not the lookup before it, keeps one open incident."""
    need("PostgreSQL", connection.vendor == "postgresql", "this race is tested on PostgreSQL (set DATABASE_URL)")
    actor = Actor(user=responder)
    barrier = threading.Barrier(4)
    results = []

    def declare():
        barrier.wait()
        try:
            results.append(services.do_declare(actor, title="Same alert", dedup_key="alert:abc"))
        finally:
            connection.close()

    threads = [threading.Thread(target=declare) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    assert Incident.objects.filter(dedup_key="alert:abc").count() == 1
    assert sum(created for _, created in results) == 1


def test_signals_are_sent_after_commit(actor, django_capture_on_commit_callbacks):
    seen = []

    def receiver(sender, incident, actor, **kwargs):
        seen.append(incident.pk)

    signals.incident_declared.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            incident, _ = services.do_declare(actor, title="Announced")
        assert seen == [incident.pk]
    finally:
        signals.incident_declared.disconnect(receiver)


def test_an_empty_note_is_refused(actor):
    incident, _ = services.do_declare(actor, title="x")
    with pytest.raises(services.ActionError):
        services.do_add_note(actor, incident, "   ")


def test_the_api_says_why_an_action_is_refused(api_clients, actor):
    incident, _ = services.do_declare(actor, title="x")
    services.do_resolve(actor, incident)
    response = api_clients["responder"].post(f"/api/v1/incidents/{incident.pk}/acknowledge/")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["attr"] == "non_field_errors" and "only a triggered incident" in error["detail"]


def test_the_web_form_shows_field_errors_and_stores_nothing(web_clients):
    response = web_clients["responder"].post("/incidents/declare/", {"title": "", "severity": "sev9"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "title" in errors and "severity" in errors
    assert Incident.objects.count() == 0
