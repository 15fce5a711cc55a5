"""Alerts posted to an integration's URL become alert rows and incidents."""

import logging
from dataclasses import replace
from datetime import datetime

import pytest

from incidents.integrations.parsers import parse
from incidents.integrations.services import dedup_key_for
from incidents.integrations.views import MAX_BODY_BYTES
from incidents.models import Alert, Component, Incident, IncidentEvent
from incidents.services import do_resolve
from vigil.audit import Actor
from vigil.models import AuditEntry

from .conftest import payload, post


def _firing(fingerprint="c8abf93e4616eadb", group="TestProbeDown", severity="critical", summary=None):
    """Alertmanager's firing fixture, for another alert or group if asked."""
    body = payload("alertmanager", "firing")
    alert = body["alerts"][0]
    alert["fingerprint"] = fingerprint
    alert["labels"]["severity"] = severity
    if summary:
        alert["annotations"]["summary"] = summary
    body["groupKey"] = f'{{}}:{{alertname="{group}"}}'
    return body


def _resolved(fingerprint="c8abf93e4616eadb", group="TestProbeDown"):
    body = _firing(fingerprint, group)
    body["status"] = body["alerts"][0]["status"] = "resolved"
    body["alerts"][0]["endsAt"] = "2026-11-26T14:10:00Z"
    return body


def test_a_firing_alert_opens_an_incident(alertmanager):
    api = Component.objects.create(name="API")
    alertmanager.components.set([api])
    response = post(alertmanager, payload("alertmanager", "firing"))
    assert response.status_code == 200, response.content
    incident = Incident.objects.get()
    assert response.json() == {
        "alerts": 1,
        "new": 1,
        "repeated": 0,
        "resolved": 0,
        "ignored": 0,
        "incidents": {"opened": [incident.pk], "joined": [], "resolved": []},
    }
    assert incident.title == "Probe failed for 127.0.0.1:8099"
    assert incident.severity == "sev1"
    assert incident.source == "alert"
    assert incident.summary == "test alert fired by amtool"
    assert incident.dedup_key == dedup_key_for(alertmanager, '{}:{alertname="TestProbeDown"}')
    assert list(incident.components.all()) == [api]
    alert = Alert.objects.get()
    assert (alert.fingerprint, alert.status, alert.incident, alert.received_count) == (
        "c8abf93e4616eadb",
        "firing",
        incident,
        1,
    )
    assert alert.labels["job"] == "blackbox"
    alertmanager.refresh_from_db()
    assert alertmanager.last_received_at is not None
    declared = incident.events.get(kind=IncidentEvent.Kind.DECLARED)
    assert declared.actor_label == "Prometheus"
    assert AuditEntry.objects.filter(action="incident.declare", via="webhook").count() == 1


def test_the_same_alert_again_is_counted_not_duplicated(alertmanager):
    first = post(alertmanager, payload("alertmanager", "firing")).json()
    again = post(alertmanager, payload("alertmanager", "firing")).json()
    assert again["repeated"] == 1 and again["new"] == 0
    assert again["incidents"] == {"opened": [], "joined": [], "resolved": []}
    assert Incident.objects.count() == 1
    alert = Alert.objects.get()
    assert alert.received_count == 2
    assert alert.incident_id == first["incidents"]["opened"][0]


def test_a_repeated_alert_costs_one_query(alertmanager, django_assert_max_num_queries):
    post(alertmanager, payload("alertmanager", "firing"))
    # One UPDATE checks the token and counts the firing row: nothing else.
    with django_assert_max_num_queries(1):
        response = post(alertmanager, payload("alertmanager", "firing"))
    assert response.json()["repeated"] == 1
    assert Alert.objects.get().received_count == 2


def test_last_received_is_kept_to_the_minute_on_the_hot_path(alertmanager, monkeypatch):
    from django.utils import timezone

    def at(moment: str):
        monkeypatch.setattr(timezone, "now", lambda: datetime.fromisoformat(moment))

    at("2026-11-26T12:00:00+00:00")
    post(alertmanager, payload("alertmanager", "firing"))
    at("2026-11-26T12:00:30+00:00")
    post(alertmanager, payload("alertmanager", "firing"))
    alertmanager.refresh_from_db()
    assert alertmanager.last_received_at.isoformat() == "2026-11-26T12:00:00+00:00"
    at("2026-11-26T12:01:30+00:00")
    post(alertmanager, payload("alertmanager", "firing"))
    alertmanager.refresh_from_db()
    assert alertmanager.last_received_at.isoformat() == "2026-11-26T12:01:30+00:00"
    alert = Alert.objects.get()
    assert alert.last_received_at.isoformat() == "2026-11-26T12:01:30+00:00"
    assert alert.received_count == 3


def test_alerts_of_one_group_share_an_incident_and_join_its_timeline(alertmanager):
    post(alertmanager, _firing("aaa", severity="warning"))
    response = post(alertmanager, _firing("bbb", summary="Probe failed for 127.0.0.1:8100")).json()
    incident = Incident.objects.get()
    assert response["incidents"]["joined"] == [incident.pk]
    assert Alert.objects.filter(incident=incident, status="firing").count() == 2
    joined = incident.events.get(kind=IncidentEvent.Kind.ALERT)
    assert joined.message == "Alert firing: Probe failed for 127.0.0.1:8100"
    assert joined.data["fingerprint"] == "bbb"


def test_another_group_opens_another_incident(alertmanager):
    post(alertmanager, _firing("aaa", group="ProbeDown"))
    post(alertmanager, _firing("bbb", group="DiskFull"))
    assert Incident.objects.count() == 2
    assert Alert.objects.values("incident").distinct().count() == 2


def test_the_same_group_key_of_two_integrations_opens_two_incidents(make_integration):
    one, two = make_integration(name="EU"), make_integration(name="US")
    post(one, _firing())
    post(two, _firing())
    assert Incident.objects.count() == 2


def test_without_a_severity_label_the_integrations_default_applies(make_integration):
    integration = make_integration(severity="sev4")
    body = _firing()
    del body["alerts"][0]["labels"]["severity"]
    post(integration, body)
    assert Incident.objects.get().severity == "sev4"


def test_a_resolved_alert_resolves_its_row_and_then_its_incident(alertmanager):
    post(alertmanager, _firing("aaa"))
    post(alertmanager, _firing("bbb"))
    incident = Incident.objects.get()

    response = post(alertmanager, _resolved("aaa")).json()
    assert response["resolved"] == 1 and response["incidents"]["resolved"] == []
    incident.refresh_from_db()
    assert incident.is_open  # bbb still fires
    aaa = Alert.objects.get(fingerprint="aaa")
    assert aaa.status == "resolved"
    assert aaa.ends_at.isoformat() == "2026-11-26T14:10:00+00:00"

    response = post(alertmanager, _resolved("bbb")).json()
    assert response["incidents"]["resolved"] == [incident.pk]
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.events.filter(kind=IncidentEvent.Kind.ALERT, message__startswith="Alert resolved").count() == 2
    assert incident.events.get(kind=IncidentEvent.Kind.RESOLVED).message == "Resolved: all its alerts resolved."


def test_with_auto_resolve_off_the_incident_stays_open(make_integration):
    integration = make_integration(auto_resolve=False)
    post(integration, _firing())
    response = post(integration, _resolved()).json()
    assert response["resolved"] == 1
    assert Alert.objects.get().status == "resolved"
    assert Incident.objects.get().is_open


def test_a_resolved_alert_never_seen_firing_is_ignored(alertmanager):
    response = post(alertmanager, payload("alertmanager", "resolved"))
    assert response.status_code == 200
    assert response.json()["ignored"] == 1
    assert not Alert.objects.exists()
    assert not Incident.objects.exists()


def test_an_alert_firing_again_after_it_resolved_opens_a_new_incident(alertmanager):
    post(alertmanager, _firing())
    post(alertmanager, _resolved())
    response = post(alertmanager, _firing()).json()
    assert response["new"] == 1 and len(response["incidents"]["opened"]) == 1
    assert Incident.objects.count() == 2
    assert Incident.objects.open().count() == 1
    assert Alert.objects.filter(status="firing").count() == 1


def test_an_alert_still_firing_after_its_incident_was_resolved_by_hand_opens_a_new_one(alertmanager, admin_user):
    post(alertmanager, _firing())
    do_resolve(Actor(user=admin_user), Incident.objects.get())
    response = post(alertmanager, _firing()).json()
    assert response["incidents"]["opened"]
    new = Incident.objects.open().get()
    alert = Alert.objects.get()
    assert alert.incident == new
    assert alert.received_count == 2


def test_one_payload_with_firing_and_resolved_alerts_is_taken_whole(grafana):
    post(grafana, payload("grafana", "firing"))
    incident = Incident.objects.get()
    assert incident.alerts.filter(status="firing").count() == 2
    body = payload("grafana", "firing")
    body["alerts"][0]["status"] = "resolved"
    body["alerts"][0]["endsAt"] = "2021-10-12T10:00:00+02:00"
    response = post(grafana, body).json()
    assert (response["repeated"], response["resolved"]) == (1, 1)
    incident.refresh_from_db()
    assert incident.is_open
    post(grafana, payload("grafana", "resolved"))
    incident.refresh_from_db()
    assert incident.status == "resolved"


def test_a_generic_batch_groups_by_dedup_key(generic):
    response = post(generic, payload("generic", "batch")).json()
    assert response["new"] == 3
    assert len(response["incidents"]["opened"]) == 2
    checkout = Incident.objects.get(dedup_key=dedup_key_for(generic, "checkout-errors"))
    assert checkout.severity == "sev1"  # the worst of the group's alerts
    assert checkout.alerts.count() == 2


def test_a_generic_alert_and_its_resolution(generic):
    post(generic, payload("generic", "firing"))
    incident = Incident.objects.get()
    assert incident.title == "Disk almost full on db-1"
    post(generic, payload("generic", "resolved"))
    incident.refresh_from_db()
    assert incident.status == "resolved"


def test_a_long_group_key_still_makes_a_valid_dedup_key(alertmanager):
    body = _firing(group="x" * 400)
    post(alertmanager, body)
    key = Incident.objects.get().dedup_key
    assert len(key) <= 200
    assert key.startswith(f"integration:{alertmanager.pk}:sha256:")


# --- Refusals ------------------------------------------------------------------------


def _nothing_stored():
    return not Alert.objects.exists() and not Incident.objects.exists()


def test_an_unknown_token_is_a_404(alertmanager):
    response = post(alertmanager, payload("alertmanager", "firing"), path="/integrations/hooks/alertmanager/nope/")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert _nothing_stored()


def test_a_disabled_integration_is_a_404(make_integration):
    integration = make_integration(enabled=False)
    assert post(integration, payload("alertmanager", "firing")).status_code == 404
    assert _nothing_stored()


def test_a_known_alert_to_a_disabled_or_wrong_url_is_not_counted(alertmanager):
    post(alertmanager, payload("alertmanager", "firing"))
    wrong_kind = alertmanager.get_ingest_path().replace("/alertmanager/", "/generic/")
    body = payload("generic", "firing")
    body["dedup_key"] = "c8abf93e4616eadb"  # the known alert's fingerprint, in the generic format
    assert post(alertmanager, body, path=wrong_kind).status_code == 404
    assert (
        post(alertmanager, payload("alertmanager", "firing"), path="/integrations/hooks/alertmanager/x/").status_code
        == 404
    )
    alertmanager.enabled = False
    alertmanager.save()
    assert post(alertmanager, payload("alertmanager", "firing")).status_code == 404
    assert Alert.objects.get().received_count == 1


def test_the_right_token_under_the_wrong_kind_is_a_404(alertmanager):
    path = alertmanager.get_ingest_path().replace("/alertmanager/", "/grafana/")
    assert post(alertmanager, payload("alertmanager", "firing"), path=path).status_code == 404
    assert _nothing_stored()


def test_a_rotated_token_stops_working(alertmanager):
    from incidents.integrations.services import do_rotate_token

    old_path = alertmanager.get_ingest_path()
    do_rotate_token(Actor(via="cli"), alertmanager)
    assert post(alertmanager, payload("alertmanager", "firing"), path=old_path).status_code == 404
    assert post(alertmanager, payload("alertmanager", "firing")).status_code == 200


def test_only_post_is_allowed(alertmanager, client):
    assert client.get(alertmanager.get_ingest_path()).status_code == 405


def test_an_unknown_kind_is_a_404(alertmanager):
    path = alertmanager.get_ingest_path().replace("/alertmanager/", "/nagios/")
    assert post(alertmanager, payload("alertmanager", "firing"), path=path).status_code == 404


def test_a_malformed_payload_to_an_unknown_url_is_a_404_and_not_logged(alertmanager, caplog):
    with caplog.at_level(logging.WARNING, logger="incidents.integrations.views"):
        response = post(alertmanager, b"{not json", path="/integrations/hooks/alertmanager/nope/")
    assert response.status_code == 404
    assert not [r for r in caplog.records if r.name == "incidents.integrations.views"]


def test_a_body_over_the_cap_is_a_413(alertmanager):
    body = payload("alertmanager", "firing")
    body["padding"] = "x" * MAX_BODY_BYTES
    response = post(alertmanager, body)
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert _nothing_stored()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "the body is not JSON"),
        (b"{not json", "the body is not JSON"),
        (b"\xff\xfe", "the body is not JSON"),
        (b"[1, 2]", "payload: expected a JSON object"),
        (b'{"version": "4", "groupKey": "{}", "alerts": [{"status": "firing", "labels": {}}]}', "fingerprint: missing"),
        (b'{"version": "3", "groupKey": "{}", "alerts": []}', "version: expected '4'"),
    ],
)
def test_a_malformed_payload_is_a_400_naming_the_reason_and_is_logged(alertmanager, caplog, body, reason):
    with caplog.at_level(logging.WARNING, logger="incidents.integrations.views"):
        response = post(alertmanager, body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_payload"
    assert reason in response.json()["detail"]
    assert any(reason in r.getMessage() and "refused a payload" in r.getMessage() for r in caplog.records)
    assert _nothing_stored()


def test_a_payload_with_one_bad_alert_stores_none_of_it(alertmanager):
    body = payload("grafana", "firing")
    body["version"] = "4"
    body["alerts"][1]["startsAt"] = "not a time"
    response = post(alertmanager, body)
    assert response.status_code == 400
    assert "alerts[1].startsAt" in response.json()["detail"]
    assert _nothing_stored()


def test_a_failure_midway_rolls_the_whole_payload_back(grafana, monkeypatch):
    from incidents.integrations.paths import general

    real_take_new = general._take_new
    groups = []

    def fail_on_the_second_group(*args, **kwargs):
        groups.append(args[1])
        if len(groups) == 2:
            raise RuntimeError("the database went away")
        return real_take_new(*args, **kwargs)

    monkeypatch.setattr(general, "_take_new", fail_on_the_second_group)
    first, second = parse("grafana", payload("grafana", "firing"))
    with pytest.raises(RuntimeError):
        general.do_ingest(grafana, [first, replace(second, group_key="another group")])
    assert len(groups) == 2  # the first group had its incident before the failure
    assert _nothing_stored()
    grafana.refresh_from_db()
    assert grafana.last_received_at is None


def test_the_integrations_escalation_policy_follows_the_incident(make_integration):
    from incidents.models import EscalationPolicy

    policy = EscalationPolicy.objects.create(name="Platform")
    integration = make_integration(escalation_policy=policy)
    post(integration, _firing())
    assert Incident.objects.get().escalation_policy == policy


def test_an_alert_is_answered_before_the_session_and_login_middleware_and_as_the_url_conf_would(
    make_integration,
):
    from django.test import Client

    from .conftest import payload, post

    integration = make_integration()
    response = post(integration, payload("alertmanager", "firing"))
    assert response.status_code == 200, response.content
    assert "Vary" not in response and not response.cookies  # no session, no CSRF: the stack below was skipped
    assert response["X-Frame-Options"] == "DENY"
    assert Alert.objects.filter(integration=integration).exists() and Incident.objects.exists()
    assert Client().get(integration.get_ingest_path()).status_code == 405  # not a POST: the URL conf answers
