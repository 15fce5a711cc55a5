"""Opsgenie's Alert API v2 as a drop-in (incidents/integrations/opsgenie*.py): create, close, acknowledge, notes.

The requests Alertmanager really made (fixtures/opsgenie/alertmanager/) are replayed as sent, with the
integration's token as the GenieKey; then a real Alertmanager (Debian's prometheus-alertmanager) with
`opsgenie_configs` opens and closes an incident against the live test server.
"""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from incidents.integrations.views import MAX_BODY_BYTES
from incidents.models import Alert, Incident, IncidentEvent, Integration
from incidents.models.incidents import Status

from .conftest import FIXTURES
from .test_alertmanager_real import _request, _wait_for, alertmanager_binary, alertmanager_process

__all__ = ["alertmanager_binary"]  # a fixture, used below

ALIAS = "de9ff6a8efc1766a10aef069a694af107bdae0bab13785434b081ea92caaebba"


def captured(name: str) -> dict:
    return json.loads((FIXTURES / "opsgenie" / "alertmanager" / f"{name}.json").read_text())


def send(path: str, body, key: str | None, prefix: str = ""):
    """POST BODY (a dict, or raw bytes/str) to PATH as an Opsgenie client does: a GenieKey, no login."""
    headers = {} if key is None else {"HTTP_AUTHORIZATION": f"GenieKey {key}"}
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return Client().post(prefix + path, data=data, content_type="application/json", **headers)


def replay(name: str, integration: Integration, prefix: str = ""):
    request = captured(name)
    return send(request["path"], request["body"], integration.token, prefix)


def create(integration: Integration, key: str | None = None, **body):
    body.setdefault("message", "Disk almost full on db-1")
    return send("/v2/alerts", body, integration.token if key is None else key)


def act(integration: Integration, identifier: str, action: str, body=None, query: str = "?identifierType=alias"):
    return send(f"/v2/alerts/{identifier}/{action}{query}", {} if body is None else body, integration.token)


def assert_accepted(response) -> None:
    assert response.status_code == 202, response.content
    answer = response.json()
    assert answer["result"] == "Request will be processed"
    assert isinstance(answer["took"], float)
    uuid.UUID(answer["requestId"])


def assert_nothing_stored() -> None:
    assert not Alert.objects.exists()
    assert not Incident.objects.exists()


@pytest.fixture
def opsgenie(make_integration):
    return make_integration(Integration.Kind.OPSGENIE, name="Opsgenie senders", severity="sev2")


# --- Alertmanager's captured requests ---------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/integrations/opsgenie"])
def test_alertmanagers_create_then_close_open_and_resolve_an_incident(opsgenie, prefix):
    assert_accepted(replay("create", opsgenie, prefix))
    incident = Incident.objects.get()
    assert incident.title == "[FIRING:1] DiskFilling (db-1:9100 warning opsgenie)"
    assert incident.severity == "sev2"  # no priority: the integration's default
    assert incident.summary.startswith("Disk /var 91% full on db-1")
    assert incident.is_open
    alert = Alert.objects.get()
    assert alert.fingerprint == ALIAS and alert.status == "firing"
    assert alert.labels["instance"] == "db-1:9100"
    assert alert.source_url == "http://alertmanager.example.com:9093/#/alerts?receiver=og"

    assert_accepted(replay("close", opsgenie, prefix))
    incident.refresh_from_db()
    alert.refresh_from_db()
    assert alert.status == "resolved"
    assert incident.status == Status.RESOLVED


def test_close_resolves_the_alert_but_not_the_incident_without_auto_resolve(opsgenie):
    opsgenie.auto_resolve = False
    opsgenie.save()
    replay("create", opsgenie)
    assert_accepted(replay("close", opsgenie))
    assert Alert.objects.get().status == "resolved"
    assert Incident.objects.get().is_open


def test_a_repeated_alias_is_one_alert_and_one_incident(opsgenie, without_redis):
    for _ in range(3):
        assert_accepted(create(opsgenie, alias="db-1/disk"))
    alert = Alert.objects.get()
    assert alert.received_count == 3
    assert Incident.objects.count() == 1


def test_without_an_alias_the_message_stands_for_it(opsgenie):
    create(opsgenie, message="Backup failed")
    create(opsgenie, message="Backup failed")
    create(opsgenie, message="Backup late")
    assert sorted(Alert.objects.values_list("fingerprint", flat=True)) == ["Backup failed", "Backup late"]
    assert_accepted(act(opsgenie, "Backup failed", "close"))
    assert Alert.objects.get(fingerprint="Backup failed").status == "resolved"


def test_a_long_alias_is_hashed_and_closes_by_the_same_alias(opsgenie):
    alias = "x" * 300
    create(opsgenie, alias=alias)
    assert Alert.objects.get().fingerprint.startswith("sha256:")
    assert_accepted(act(opsgenie, alias, "close"))
    assert Alert.objects.get().status == "resolved"


@pytest.mark.parametrize(
    "priority, severity",
    [("P1", "sev1"), ("P2", "sev2"), ("P3", "sev3"), ("P4", "sev4"), ("P5", "sev4"), (None, "sev2")],
)
def test_priority_maps_to_severity(opsgenie, priority, severity):
    body = {"priority": priority} if priority else {}
    assert_accepted(create(opsgenie, alias="a", **body))
    assert Incident.objects.get().severity == severity


def test_the_message_is_cut_to_130_characters_as_opsgenie_does(opsgenie):
    create(opsgenie, message="m" * 200, alias="long")
    assert Incident.objects.get().title == "m" * 130


def test_responders_visible_to_actions_and_tags_are_accepted(opsgenie):
    response = create(
        opsgenie,
        alias="full",
        description="Details here",
        responders=[{"type": "team", "name": "ops"}],
        visibleTo=[{"type": "user", "username": "a@example.com"}],
        actions=["Restart"],
        tags=["db", "disk"],
        details={"host": "db-1", "count": 3},
        entity="db-1",
        source="cron",
        user="Monitoring",
        note="First seen by cron",
    )
    assert_accepted(response)
    alert = Alert.objects.get()
    assert alert.labels == {"host": "db-1", "count": "3"}
    assert alert.annotations["tags"] == "db, disk" and alert.annotations["entity"] == "db-1"
    note = Incident.objects.get().events.get(kind=IncidentEvent.Kind.NOTE)
    assert note.message == "Monitoring: First seen by cron"


# --- Close, acknowledge, notes ------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?identifierType=id", "?identifierType=tiny", "?identifierType=alias"])
def test_every_identifier_type_names_the_alias(opsgenie, query):
    create(opsgenie, alias="db-1/disk")
    assert_accepted(act(opsgenie, "db-1/disk", "acknowledge", query=query))
    assert Incident.objects.get().status == Status.ACKNOWLEDGED


def test_acknowledge_acknowledges_the_incident_as_the_integration_with_its_note(opsgenie):
    create(opsgenie, alias="db-1/disk")
    assert_accepted(act(opsgenie, "db-1/disk", "acknowledge", {"user": "Ann", "note": "On it"}))
    incident = Incident.objects.get()
    assert incident.status == Status.ACKNOWLEDGED
    ack = incident.events.get(kind=IncidentEvent.Kind.ACKNOWLEDGED)
    assert ack.actor_label == "Opsgenie senders"
    assert incident.events.get(kind=IncidentEvent.Kind.NOTE).message == "Ann: On it"
    # Again: still accepted, nothing more happens.
    assert_accepted(act(opsgenie, "db-1/disk", "acknowledge"))
    assert incident.events.filter(kind=IncidentEvent.Kind.ACKNOWLEDGED).count() == 1


def test_notes_add_a_timeline_note(opsgenie):
    create(opsgenie, alias="db-1/disk")
    assert_accepted(act(opsgenie, "db-1/disk", "notes", {"note": "Rotated the logs", "source": "script"}))
    note = Incident.objects.get().events.get(kind=IncidentEvent.Kind.NOTE)
    assert note.message == "Rotated the logs"
    assert note.actor_label == "Opsgenie senders"


def test_a_close_note_lands_on_the_timeline(opsgenie):
    create(opsgenie, alias="db-1/disk")
    assert_accepted(act(opsgenie, "db-1/disk", "close", {"note": "Fixed by hand"}))
    assert Incident.objects.get().events.filter(kind=IncidentEvent.Kind.NOTE, message="Fixed by hand").exists()


@pytest.mark.parametrize("action", ["close", "acknowledge", "notes"])
def test_an_unknown_alias_is_accepted_and_changes_nothing(opsgenie, action):
    assert_accepted(act(opsgenie, "never-seen", action, {"note": "hello"}))
    assert_nothing_stored()


# --- Refused: nothing stored --------------------------------------------------------------------


def assert_refused(response, status: int) -> None:
    assert response.status_code == status, response.content
    answer = response.json()
    assert answer["message"] and isinstance(answer["took"], float)
    uuid.UUID(answer["requestId"])
    assert_nothing_stored()


def test_no_genie_key_is_401(opsgenie):
    assert_refused(send("/v2/alerts", {"message": "x"}, key=None), 401)
    response = Client().post(
        "/v2/alerts", data='{"message": "x"}', content_type="application/json", HTTP_AUTHORIZATION=opsgenie.token
    )
    assert_refused(response, 401)  # the key without its scheme


def test_an_unknown_disabled_or_other_kinds_key_is_401(opsgenie, alertmanager):
    assert_refused(create(opsgenie, key="not-a-key"), 401)
    assert_refused(create(opsgenie, key=alertmanager.token), 401)
    opsgenie.enabled = False
    opsgenie.save()
    assert_refused(create(opsgenie), 401)


def test_a_bad_key_is_401_before_the_body_is_judged(opsgenie):
    assert_refused(send("/v2/alerts", "not json", key="not-a-key"), 401)
    assert_refused(send("/v2/alerts/a/notes", {}, key="not-a-key"), 401)


@pytest.mark.parametrize("action", ["close", "acknowledge", "notes"])
def test_actions_with_a_bad_key_are_401(opsgenie, action):
    create(opsgenie, alias="a")
    response = send(f"/v2/alerts/a/{action}", {"note": "x"}, key="not-a-key")
    assert response.status_code == 401
    incident = Incident.objects.get()
    assert incident.status == Status.TRIGGERED and not incident.events.filter(kind=IncidentEvent.Kind.NOTE).exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"message": ""}, {"message": "   "}, {"message": 5}, {"message": "x", "priority": "P9"}, [1, 2]],
)
def test_a_body_opsgenie_would_refuse_is_422(opsgenie, body):
    assert_refused(send("/v2/alerts", body, opsgenie.token), 422)


def test_a_body_that_is_not_json_is_400(opsgenie):
    assert_refused(send("/v2/alerts", "{not json", opsgenie.token), 400)


def test_a_body_over_the_limit_is_413(opsgenie):
    body = json.dumps({"message": "x", "description": "d" * MAX_BODY_BYTES})
    assert_refused(send("/v2/alerts", body, opsgenie.token), 413)


def test_notes_without_a_note_and_a_bad_identifier_type_are_422(opsgenie):
    create(opsgenie, alias="a")
    assert act(opsgenie, "a", "notes", {"user": "Ann"}).status_code == 422
    assert act(opsgenie, "a", "acknowledge", query="?identifierType=name").status_code == 422
    incident = Incident.objects.get()
    assert incident.status == Status.TRIGGERED and not incident.events.filter(kind=IncidentEvent.Kind.NOTE).exists()


def test_only_post_is_allowed(opsgenie):
    assert Client().get("/v2/alerts", HTTP_AUTHORIZATION=f"GenieKey {opsgenie.token}").status_code == 405


# --- A real Alertmanager ----------------------------------------------------------------------------


def _opsgenie_config(api_url: str, api_key: str) -> str:
    # JSON is YAML: Alertmanager reads this as its configuration file.
    return json.dumps(
        {
            "global": {"resolve_timeout": "5s"},
            "route": {
                "receiver": "vigil",
                "group_by": ["alertname"],
                "group_wait": "1s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [{"name": "vigil", "opsgenie_configs": [{"api_key": api_key, "api_url": api_url}]}],
        }
    )


@pytest.fixture
def alertmanager_to_opsgenie_api(alertmanager_binary, live_server, transactional_db, tmp_path):
    """Alertmanager on a free loopback port, its Opsgenie receiver pointed at the live server."""
    integration = Integration.objects.create(name="Alertmanager via Opsgenie", kind=Integration.Kind.OPSGENIE)
    config = _opsgenie_config(f"{live_server.url}/", integration.token)
    with alertmanager_process(alertmanager_binary, config, tmp_path) as (base, log_path):
        yield base, integration, log_path


def test_a_real_alertmanager_opens_and_closes_an_incident_through_the_opsgenie_api(alertmanager_to_opsgenie_api):
    base, integration, log_path = alertmanager_to_opsgenie_api
    alert = {
        "labels": {"alertname": "VigilOpsgenieTest", "instance": "db-1:9100", "severity": "critical"},
        "annotations": {"summary": "db-1 is down"},
        "startsAt": (datetime.now(UTC) - timedelta(seconds=5)).isoformat(),
    }
    assert _request(f"{base}/api/v2/alerts", [alert]) == 200

    _wait_for(Incident.objects.exists, "no incident was opened", log_path)
    incident = Incident.objects.get()
    assert incident.title.startswith("[FIRING:1] VigilOpsgenieTest")
    assert incident.is_open
    row = Alert.objects.get()
    assert row.integration == integration and row.labels["instance"] == "db-1:9100"

    alert["endsAt"] = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    assert _request(f"{base}/api/v2/alerts", [alert]) == 200

    def resolved():
        incident.refresh_from_db()
        return not incident.is_open

    _wait_for(resolved, "the incident was not resolved", log_path)
    row.refresh_from_db()
    assert row.status == "resolved"
    assert Incident.objects.count() == 1
