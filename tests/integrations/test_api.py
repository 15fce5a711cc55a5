"""The REST API: integrations (admins write, the token for admins only) and alerts (read-only)."""

from incidents.models import Alert, Incident, Integration
from vigil.models import AuditEntry

from .conftest import payload, post


def test_an_admin_creates_an_integration_and_gets_its_url(api_clients):
    response = api_clients["admin"].post(
        "/api/v1/integrations/", {"name": "Prometheus", "kind": "alertmanager", "severity": "sev1"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    integration = Integration.objects.get()
    assert body["token"] == integration.token
    assert body["ingest_url"] == integration.get_ingest_url()
    assert (body["severity"], body["auto_resolve"], body["enabled"], body["firing_alerts"]) == ("sev1", True, True, 0)
    assert AuditEntry.objects.filter(action="integration.create", via="api").count() == 1
    # The URL it returned takes alerts.
    assert post(integration, payload("alertmanager", "firing")).status_code == 200


def test_the_kind_and_the_token_cannot_be_written(api_clients, make_integration):
    integration = make_integration(name="Prometheus")
    token = integration.token
    response = api_clients["admin"].patch(
        f"/api/v1/integrations/{integration.pk}/",
        {"kind": "generic", "token": "chosen-by-me", "auto_resolve": False},
        format="json",
    )
    assert response.status_code == 200, response.content
    integration.refresh_from_db()
    assert (integration.kind, integration.token, integration.auto_resolve) == ("alertmanager", token, False)


def test_rotating_the_token_over_the_api(api_clients, make_integration):
    integration = make_integration()
    old = integration.token
    response = api_clients["admin"].post(f"/api/v1/integrations/{integration.pk}/rotate-token/")
    assert response.status_code == 200
    integration.refresh_from_db()
    assert response.json()["token"] == integration.token != old


def test_deleting_an_integration_keeps_its_incidents(api_clients, make_integration):
    integration = make_integration()
    post(integration, payload("alertmanager", "firing"))
    response = api_clients["admin"].delete(f"/api/v1/integrations/{integration.pk}/")
    assert response.status_code == 204
    assert not Integration.objects.exists() and not Alert.objects.exists()
    assert Incident.objects.count() == 1
    assert AuditEntry.objects.filter(action="integration.delete").count() == 1


def test_the_firing_count_counts_firing_alerts_only(api_clients, make_integration):
    integration = make_integration("grafana")
    post(integration, payload("grafana", "firing"))
    body = payload("grafana", "firing")
    body["alerts"] = body["alerts"][:1]
    body["alerts"][0]["status"] = "resolved"
    post(integration, body)
    listed = api_clients["viewer"].get("/api/v1/integrations/").json()["results"]
    assert [i["firing_alerts"] for i in listed] == [1]


def test_alerts_are_listed_and_filtered(api_clients, make_integration):
    grafana = make_integration("grafana", name="Grafana")
    prometheus = make_integration("alertmanager", name="Prometheus")
    post(grafana, payload("grafana", "firing"))
    post(prometheus, payload("alertmanager", "firing"))
    body = payload("grafana", "resolved")
    body["alerts"] = body["alerts"][:1]
    post(grafana, body)

    client = api_clients["viewer"]
    assert client.get("/api/v1/alerts/").json()["count"] == 3
    firing = client.get("/api/v1/alerts/", {"status": "firing"}).json()["results"]
    assert sorted(a["fingerprint"] for a in firing) == ["bc97ff14869b13e3", "c8abf93e4616eadb"]
    of_grafana = client.get("/api/v1/alerts/", {"integration": grafana.pk}).json()["results"]
    assert {a["integration"] for a in of_grafana} == {grafana.pk} and len(of_grafana) == 2
    one = client.get(f"/api/v1/alerts/{firing[0]['id']}/").json()
    assert one["labels"] and one["incident"] and one["received_count"] == 1


def test_a_bad_alert_filter_is_a_400_naming_it(api_clients):
    response = api_clients["viewer"].get("/api/v1/alerts/", {"status": "exploding"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "status"
    response = api_clients["viewer"].get("/api/v1/alerts/", {"integration": "99999999999999999999"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "integration"


def test_alerts_cannot_be_written_over_the_api(api_clients):
    assert api_clients["admin"].post("/api/v1/alerts/", {"title": "x"}, format="json").status_code == 405
