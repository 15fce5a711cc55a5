"""PagerDuty's Events API v2 at /v2/enqueue: a sender wired to PagerDuty changes only the host and key.

Every event is answered as PagerDuty answers it (202 success with the dedup_key; 400 "invalid event"
naming what is wrong, with nothing stored), and goes through the one alert pipeline.
"""

import json

import pytest
from django.test import Client

from incidents.integrations.pagerduty import MAX_BODY_BYTES, fingerprint_of
from incidents.models import Alert, ChangeEvent, Incident, IncidentEvent, Integration
from vigil.models import AuditEntry

from .conftest import FIXTURES

ENQUEUE = "/v2/enqueue"
CHANGE = "/v2/change/enqueue"
PATHS = [ENQUEUE, "/integrations/pagerduty/v2/enqueue"]


def captured(name: str) -> dict:
    """The event body of a real Alertmanager request (fixtures/pagerduty/alertmanager/NAME.json)."""
    return json.loads((FIXTURES / "pagerduty" / "alertmanager" / f"{name}.json").read_text())["body"]


def send(body, path: str = ENQUEUE, routing_key: str | None = None):
    if isinstance(body, dict) and routing_key is not None:
        body = {**body, "routing_key": routing_key}
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return Client().post(path, data=data, content_type="application/json")


def trigger(key: str, dedup_key: str | None = "db-1/disk", **payload) -> dict:
    body = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "Disk almost full on db-1", "source": "db-1", "severity": "warning", **payload},
    }
    if dedup_key is not None:
        body["dedup_key"] = dedup_key
    return body


@pytest.fixture
def pagerduty(make_integration):
    return make_integration(Integration.Kind.PAGERDUTY, name="Alertmanager via PagerDuty")


def nothing_stored():
    return not (Alert.objects.exists() or Incident.objects.exists() or ChangeEvent.objects.exists())


@pytest.mark.parametrize("path", PATHS)
def test_the_captured_trigger_then_resolve_opens_and_resolves_an_incident(pagerduty, path):
    body = captured("trigger")
    response = send(body, path, routing_key=pagerduty.token)
    assert response.status_code == 202, response.content
    assert response.json() == {"status": "success", "message": "Event processed", "dedup_key": body["dedup_key"]}
    incident = Incident.objects.get()
    assert incident.title == "[FIRING:1] HighErrorRate (api-1:9100 checkout critical)"
    assert incident.severity == "sev2"  # Alertmanager sends "error" for its critical label
    assert incident.is_open and incident.source == "alert"
    assert "5xx rate above 5% on checkout" in incident.summary
    alert = Alert.objects.get()
    assert alert.fingerprint == body["dedup_key"]
    assert alert.labels == {"source": "Alertmanager", "severity": "error", "client": "Alertmanager"}
    assert alert.source_url == "http://alertmanager.example.com:9093/#/alerts?receiver=pd"

    response = send(captured("resolve"), path, routing_key=pagerduty.token)
    assert response.status_code == 202, response.content
    incident.refresh_from_db()
    alert.refresh_from_db()
    assert not incident.is_open
    assert alert.status == "resolved"


def test_without_auto_resolve_the_incident_stays_open(pagerduty):
    pagerduty.auto_resolve = False
    pagerduty.save()
    send(captured("trigger"), routing_key=pagerduty.token)
    assert send(captured("resolve"), routing_key=pagerduty.token).status_code == 202
    assert Alert.objects.get().status == "resolved"
    assert Incident.objects.get().is_open


def test_the_same_dedup_key_twice_is_one_alert_counted_twice(pagerduty):
    for _ in range(2):
        response = send(trigger(pagerduty.token))
        assert response.status_code == 202
        assert response.json()["dedup_key"] == "db-1/disk"
    alert = Alert.objects.get()
    assert alert.received_count == 2
    assert Incident.objects.count() == 1
    assert alert.incident.severity == "sev3"


def test_a_trigger_without_dedup_key_gets_one_and_it_names_the_alert(pagerduty):
    response = send(trigger(pagerduty.token, dedup_key=None))
    assert response.status_code == 202
    dedup_key = response.json()["dedup_key"]
    assert len(dedup_key) == 32
    assert send({"routing_key": pagerduty.token, "event_action": "resolve", "dedup_key": dedup_key}).status_code == 202
    assert Alert.objects.get(fingerprint=dedup_key).status == "resolved"
    assert not Incident.objects.get().is_open


def test_pd_cef_fields_become_labels_and_group_groups(pagerduty):
    common = {"group": "prod-datapipe", "component": "postgres", "class": "deploy", "severity": "critical"}
    send(trigger(pagerduty.token, "a", **common, custom_details={"load avg": 0.75, "ping": "1500ms"}))
    send(trigger(pagerduty.token, "b", **common))
    incident = Incident.objects.get()
    assert incident.severity == "sev1"
    assert Alert.objects.filter(incident=incident).count() == 2
    alert = Alert.objects.get(fingerprint="a")
    assert alert.labels["group"] == "prod-datapipe" and alert.labels["class"] == "deploy"
    assert alert.annotations == {"load avg": "0.75", "ping": "1500ms"}


def test_a_dedup_key_longer_than_an_alert_fingerprint_is_hashed_consistently(pagerduty):
    key = "k" * 255
    send(trigger(pagerduty.token, key))
    send({"routing_key": pagerduty.token, "event_action": "resolve", "dedup_key": key})
    assert Alert.objects.get().fingerprint == fingerprint_of(key) != key
    assert Alert.objects.get().status == "resolved"


def test_acknowledge_acknowledges_the_incident_as_the_integration(pagerduty):
    send(trigger(pagerduty.token))
    response = send({"routing_key": pagerduty.token, "event_action": "acknowledge", "dedup_key": "db-1/disk"})
    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Event processed", "dedup_key": "db-1/disk"}
    incident = Incident.objects.get()
    assert incident.status == "acknowledged" and incident.acknowledged_at is not None
    event = incident.events.get(kind=IncidentEvent.Kind.ACKNOWLEDGED)
    assert event.message.startswith("Acknowledged by Alertmanager via PagerDuty")
    assert AuditEntry.objects.filter(action="incident.acknowledge", via="webhook").exists()
    # Again, or for an alert not firing: accepted, nothing changes (as PagerDuty drops it).
    again = send({"routing_key": pagerduty.token, "event_action": "acknowledge", "dedup_key": "db-1/disk"})
    unknown = send({"routing_key": pagerduty.token, "event_action": "acknowledge", "dedup_key": "nope"})
    assert again.status_code == unknown.status_code == 202
    assert incident.events.filter(kind=IncidentEvent.Kind.ACKNOWLEDGED).count() == 1


def invalid(response, *errors, status=400):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == "invalid event" and body["message"] == "Event object is invalid"
    for error in errors:
        assert any(error in e for e in body["errors"]), body
    assert nothing_stored()


@pytest.mark.parametrize("path", [ENQUEUE, CHANGE])
def test_a_missing_routing_key_is_an_invalid_event(pagerduty, path):
    body = trigger(pagerduty.token)
    del body["routing_key"]
    invalid(send(body, path), "'routing_key' is missing or blank")


@pytest.mark.parametrize("path", [ENQUEUE, CHANGE])
def test_an_unknown_routing_key_is_answered_as_pagerduty_does(pagerduty, path):
    body = trigger("not-a-key")
    invalid(send(body, path), "Invalid routing key")


def test_a_routing_key_of_another_kind_or_disabled_is_unknown(pagerduty, make_integration):
    generic = make_integration(Integration.Kind.GENERIC)
    invalid(send(trigger(generic.token)), "Invalid routing key")
    pagerduty.enabled = False
    pagerduty.save()
    invalid(send(trigger(pagerduty.token)), "Invalid routing key")
    ack = {"routing_key": pagerduty.token, "event_action": "acknowledge", "dedup_key": "x"}
    invalid(send(ack), "Invalid routing key")


def test_an_unknown_event_action_is_an_invalid_event(pagerduty):
    invalid(send({**trigger(pagerduty.token), "event_action": "escalate"}), "'event_action' is invalid")
    invalid(send({**trigger(pagerduty.token), "event_action": ""}), "'event_action' is missing or blank")


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("summary", None, "'payload.summary' is missing or blank"),
        ("summary", "x" * 1025, "'payload.summary' is longer than 1024"),
        ("source", None, "'payload.source' is missing or blank"),
        ("severity", None, "'payload.severity' is missing or blank"),
        ("severity", "sev1", "'payload.severity' is invalid"),
        ("timestamp", "yesterday", "'payload.timestamp' is invalid"),
    ],
)
def test_a_trigger_missing_payload_fields_is_an_invalid_event(pagerduty, field, value, error):
    body = trigger(pagerduty.token)
    body["payload"][field] = value
    if value is None:
        del body["payload"][field]
    invalid(send(body), error)


def test_every_problem_is_named_at_once_and_payload_is_required(pagerduty):
    invalid(send(trigger(pagerduty.token) | {"payload": {}}), "summary", "source", "severity")
    invalid(send({"routing_key": pagerduty.token, "event_action": "trigger"}), "'payload' is missing or blank")
    invalid(send({"routing_key": pagerduty.token, "event_action": "resolve"}), "'dedup_key' is missing or blank")


@pytest.mark.parametrize("path", [ENQUEUE, CHANGE])
def test_a_body_that_is_not_json_is_an_invalid_event(pagerduty, path):
    invalid(send(b"{not json", path), "not valid JSON")
    invalid(send("[1, 2]", path), "JSON object")


@pytest.mark.parametrize("path", [ENQUEUE, CHANGE])
def test_a_body_over_512_kb_is_refused_with_nothing_stored(pagerduty, path):
    body = trigger(pagerduty.token, custom_details={"blob": "x" * (600 * 1024)})
    if path == CHANGE:
        body = {"routing_key": pagerduty.token, "payload": body["payload"]}
    assert len(json.dumps(body)) > MAX_BODY_BYTES
    invalid(send(body, path), "over 512 KB", status=413)


def test_a_get_is_not_allowed(pagerduty):
    assert Client().get(ENQUEUE).status_code == 405


@pytest.mark.parametrize("path", [CHANGE, "/integrations/pagerduty/v2/change/enqueue"])
def test_a_change_event_is_stored_for_its_integration(pagerduty, path):
    body = {
        "routing_key": pagerduty.token,
        "payload": {
            "summary": "Deployed checkout v42",
            "timestamp": "2026-12-05T08:00:00.000+0000",
            "source": "ci",
            "custom_details": {"build": 42},
        },
        "links": [{"href": "https://ci.example.com/42", "text": "Build"}, {"href": "javascript:alert(1)"}],
    }
    response = send(body, path)
    assert response.status_code == 202, response.content
    assert response.json() == {"status": "success", "message": "Change event processed"}
    change = ChangeEvent.objects.get()
    assert (change.integration, change.summary, change.source) == (pagerduty, "Deployed checkout v42", "ci")
    assert change.timestamp.isoformat() == "2026-12-05T08:00:00+00:00"
    assert change.custom_details == {"build": 42}
    assert change.links == [{"href": "https://ci.example.com/42", "text": "Build"}]
    assert not Alert.objects.exists() and not Incident.objects.exists()


def test_a_change_event_needs_a_summary(pagerduty):
    invalid(send({"routing_key": pagerduty.token, "payload": {"source": "ci"}}, CHANGE), "'payload.summary'")


def test_a_triggers_images_show_as_links_with_their_alt_text_never_embedded(pagerduty, web_clients):
    images = [
        {
            "src": "https://grafana.example.com/render/cpu.png",
            "href": "https://grafana.example.com/d/cpu",
            "alt": "CPU",
        },
        {"src": "https://grafana.example.com/render/mem.png", "alt": "Memory"},
        {"src": "javascript:alert(1)", "alt": "Evil source"},
        {"src": "https://grafana.example.com/render/io.png", "href": "javascript:alert(2)", "alt": "Disk <b>IO</b>"},
    ]
    assert send({**trigger(pagerduty.token), "images": images}).status_code == 202
    html = web_clients["viewer"].get(Incident.objects.get().get_absolute_url()).content.decode()
    assert (
        '<a href="https://grafana.example.com/d/cpu" rel="noopener noreferrer" data-testid="alert-image">CPU</a>'
        in html
    )
    assert (
        'href="https://grafana.example.com/render/mem.png" rel="noopener noreferrer" data-testid="alert-image">Memory'
        in html
    )
    # A javascript: href falls back to the image's own address; a javascript: src drops the image.
    assert 'href="https://grafana.example.com/render/io.png"' in html and "Disk &lt;b&gt;IO&lt;/b&gt;" in html
    assert "javascript:" not in html and "Evil source" not in html
    assert 'src="https://grafana.example.com' not in html


def test_a_trigger_keeps_at_most_ten_http_images(pagerduty):
    images = [{"src": f"https://img.example.com/{n}.png", "alt": f"Graph {n}"} for n in range(15)]
    assert send({**trigger(pagerduty.token), "images": [{"src": "ftp://x/y.png"}, *images]}).status_code == 202
    alert = Alert.objects.get()
    assert [image["text"] for image in alert.images] == [f"Graph {n}" for n in range(10)]
    assert json.loads(alert.annotations["images"])[0] == {
        "src": "https://img.example.com/0.png",
        "href": "",
        "alt": "Graph 0",
    }


def test_a_triggers_links_show_on_the_incident_page(pagerduty, web_clients):
    links = [
        {"href": "https://runbooks.example.com/disk", "text": "Runbook"},
        {"href": "javascript:alert(1)", "text": "x"},
    ]
    assert send({**trigger(pagerduty.token), "links": links}).status_code == 202
    html = web_clients["responder"].get(Incident.objects.get().get_absolute_url()).content.decode()
    assert (
        'href="https://runbooks.example.com/disk" rel="noopener noreferrer" data-testid="alert-link">Runbook</a>'
        in html
    )
    assert "javascript:" not in html
