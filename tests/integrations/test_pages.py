"""The dashboard pages: list, create, detail with recent alerts, settings and token rotation."""

from incidents.models import Alert, Component, Integration
from vigil.models import AuditEntry

from .conftest import payload, post


def test_the_list_shows_each_integrations_url_kind_firing_count_and_last_received(web_clients, make_integration):
    prometheus = make_integration("alertmanager", name="Prometheus")
    make_integration("generic", name="Cron jobs", enabled=False)
    post(prometheus, payload("alertmanager", "firing"))
    page = web_clients["admin"].get("/integrations/").content.decode()
    assert prometheus.get_ingest_url() in page
    assert "Prometheus Alertmanager" in page and "Generic JSON" in page
    assert '<span class="badge triggered">1</span>' in page
    assert "Disabled" in page
    assert "never" in page  # the cron integration has received nothing


def test_the_url_uses_vigil_base_url(settings, make_integration):
    settings.VIGIL_BASE_URL = "https://vigil.example.com"
    integration = make_integration()
    assert (
        integration.get_ingest_url()
        == f"https://vigil.example.com/integrations/hooks/alertmanager/{integration.token}/"
    )


def test_an_admin_creates_an_integration(web_clients):
    api = Component.objects.create(name="API")
    response = web_clients["admin"].post(
        "/integrations/new/",
        {"name": "Grafana prod", "kind": "grafana", "severity": "sev3", "components": [api.pk], "auto_resolve": "on"},
    )
    integration = Integration.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/integrations/{integration.pk}/"
    assert (integration.name, integration.kind, integration.severity, integration.auto_resolve) == (
        "Grafana prod",
        "grafana",
        "sev3",
        True,
    )
    assert list(integration.components.all()) == [api]
    assert integration.created_by.username == "alice-admin"
    entry = AuditEntry.objects.get(action="integration.create")
    assert integration.token not in str(entry.details)


def test_the_create_form_shows_field_errors(web_clients):
    response = web_clients["admin"].post("/integrations/new/", {"name": "", "kind": "nagios", "severity": "sev9"})
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count('class="errorlist') >= 3
    assert "nagios is not one of the available choices" in page
    assert not Integration.objects.exists()


def test_the_detail_page_lists_recent_alerts_and_links_their_incident(web_clients, make_integration):
    integration = make_integration("grafana", name="Grafana")
    post(integration, payload("grafana", "firing"))
    incident = Alert.objects.first().incident
    page = web_clients["viewer"].get(f"/integrations/{integration.pk}/").content.decode()
    assert "This alert was triggered for zone us-1" in page
    assert "This alert was triggered for zone eu-1" in page
    assert f'href="/incidents/{incident.pk}/"' in page
    assert "Rotate token" not in page  # a viewer reads only
    assert "Settings" not in page


def test_rotating_the_token_changes_the_url(web_clients, make_integration):
    integration = make_integration()
    old = integration.token
    response = web_clients["admin"].post(f"/integrations/{integration.pk}/rotate-token/")
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.token != old and len(integration.token) >= 32
    assert AuditEntry.objects.filter(action="integration.rotate_token").count() == 1
    page = web_clients["admin"].get(response["Location"]).content.decode()
    assert integration.token in page and old not in page


def test_an_admin_disables_an_integration_and_its_url_stops_answering(web_clients, make_integration):
    integration = make_integration()
    response = web_clients["admin"].post(
        f"/integrations/{integration.pk}/edit/", {"name": "Prometheus (old)", "severity": "sev4"}
    )
    assert response.status_code == 302
    integration.refresh_from_db()
    assert (integration.name, integration.severity, integration.enabled, integration.auto_resolve) == (
        "Prometheus (old)",
        "sev4",
        False,
        False,
    )
    assert post(integration, payload("alertmanager", "firing")).status_code == 404


def test_the_settings_form_shows_errors_and_changes_nothing(web_clients, make_integration):
    integration = make_integration(name="Prometheus")
    response = web_clients["admin"].post(f"/integrations/{integration.pk}/edit/", {"name": "", "severity": "sev1"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    integration.refresh_from_db()
    assert (integration.name, integration.severity) == ("Prometheus", "sev2")


def test_get_on_an_action_url_is_refused(web_clients, make_integration):
    integration = make_integration()
    assert web_clients["admin"].get(f"/integrations/{integration.pk}/rotate-token/").status_code == 405


def _fixture_body(path: str) -> dict:
    import json
    from pathlib import Path

    captured = json.loads((Path(__file__).resolve().parents[2] / "incidents/integrations/fixtures" / path).read_text())
    return captured.get("body", captured)


def test_a_pagerduty_integrations_page_gives_the_url_and_routing_key_that_work(web_clients, make_integration):
    """What the page tells the sender (the enqueue URL and the routing key) is what opens an incident."""
    integration = make_integration("pagerduty", name="From PagerDuty")
    page = web_clients["admin"].get(f"/integrations/{integration.pk}/").content.decode()
    url = f"{integration.get_ingest_url()}"
    assert url.endswith("/v2/enqueue") and url in page
    assert "routing_key" in page and integration.token in page
    assert "/integrations/hooks/" not in page
    body = {**_fixture_body("pagerduty/alertmanager/trigger.json"), "routing_key": integration.token}
    answer = web_clients["anonymous"].post(url.removeprefix(settings_base()), body, content_type="application/json")
    assert answer.status_code == 202, answer.content
    assert Alert.objects.filter(integration=integration, status="firing").count() == 1
    # Others see neither the key nor a URL holding it.
    hidden = web_clients["viewer"].get(f"/integrations/{integration.pk}/").content.decode()
    assert integration.token not in hidden


def test_an_opsgenie_integrations_page_gives_the_api_url_and_key_that_work(web_clients, make_integration):
    integration = make_integration("opsgenie", name="From Opsgenie")
    page = web_clients["admin"].get(f"/integrations/{integration.pk}/").content.decode()
    assert "api_url" in page and integration.get_ingest_url() in page and integration.token in page
    body = _fixture_body("opsgenie/alertmanager/create.json")
    answer = web_clients["anonymous"].post(
        integration.get_ingest_path() + "v2/alerts",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"GenieKey {integration.token}",
    )
    assert answer.status_code == 202, answer.content
    assert Alert.objects.filter(integration=integration, status="firing").count() == 1
    assert integration.token not in web_clients["viewer"].get(f"/integrations/{integration.pk}/").content.decode()


def settings_base() -> str:
    from django.conf import settings

    return settings.VIGIL_BASE_URL
