"""Admins manage integrations; responders and viewers read them; anonymous visitors get nothing."""

import pytest

from incidents.models import Component, Integration
from tests.conftest import assert_api_outcome, assert_web_outcome

from .conftest import payload, post

ROLES = ["admin", "responder", "viewer", "anonymous"]
READERS = {"admin", "responder", "viewer"}
ADMINS = {"admin"}


@pytest.fixture
def integration(db):
    integration = Integration.objects.create(name="Prometheus", kind="alertmanager")
    post(integration, payload("alertmanager", "firing"))
    return integration


@pytest.fixture
def component(db):
    return Component.objects.create(name="API")


def _fill(value, integration, component):
    if isinstance(value, str):
        return value.format(integration=integration.pk, component=component.pk, alert=integration.alerts.get().pk)
    if isinstance(value, dict):
        return {k: _fill(v, integration, component) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, integration, component) for v in value]
    return value


API_MATRIX = [
    ("get", "/api/v1/integrations/", None, READERS),
    ("get", "/api/v1/integrations/{integration}/", None, READERS),
    ("post", "/api/v1/integrations/", {"name": "Grafana", "kind": "grafana"}, ADMINS),
    ("patch", "/api/v1/integrations/{integration}/", {"enabled": False}, ADMINS),
    ("put", "/api/v1/integrations/{integration}/", {"name": "Prom", "components": ["{component}"]}, ADMINS),
    ("post", "/api/v1/integrations/{integration}/rotate-token/", None, ADMINS),
    ("delete", "/api/v1/integrations/{integration}/", None, ADMINS),
    ("get", "/api/v1/alerts/", None, READERS),
    ("get", "/api/v1/alerts/{alert}/", None, READERS),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "data", "allowed"), API_MATRIX, ids=lambda v: v if isinstance(v, str) else ""
)
def test_api_role_matrix(api_clients, integration, component, role, method, path, data, allowed):
    token = integration.token
    response = getattr(api_clients[role], method)(
        _fill(path, integration, component), _fill(data, integration, component), format="json"
    )
    integration_after = Integration.objects.filter(pk=integration.pk).first()
    assert_api_outcome(role, allowed, response)
    if role not in allowed:
        # A refused write changes nothing.
        assert integration_after is not None
        assert integration_after.token == token
        assert integration_after.enabled
        assert Integration.objects.count() == 1


WEB_MATRIX = [
    ("get", "/integrations/", None, READERS),
    ("get", "/integrations/{integration}/", None, READERS),
    ("get", "/integrations/new/", None, ADMINS),
    ("post", "/integrations/new/", {"name": "Grafana", "kind": "grafana", "severity": "sev2"}, ADMINS),
    ("post", "/integrations/{integration}/edit/", {"name": "Prom", "severity": "sev3", "enabled": ""}, ADMINS),
    ("post", "/integrations/{integration}/rotate-token/", {}, ADMINS),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "data", "allowed"), WEB_MATRIX, ids=lambda v: v if isinstance(v, str) else ""
)
def test_web_role_matrix(web_clients, integration, component, role, method, path, data, allowed):
    token = integration.token
    response = getattr(web_clients[role], method)(
        _fill(path, integration, component), _fill(data, integration, component) or {}
    )
    assert_web_outcome(role, allowed, response)
    if role not in allowed:
        integration.refresh_from_db()
        assert (integration.token, integration.name, Integration.objects.count()) == (token, "Prometheus", 1)


@pytest.mark.parametrize("role", ["responder", "viewer"])
def test_only_admins_see_the_secret(api_clients, web_clients, integration, role):
    listed = api_clients[role].get("/api/v1/integrations/").json()["results"][0]
    assert listed["token"] is None and listed["ingest_url"] is None
    detail = api_clients[role].get(f"/api/v1/integrations/{integration.pk}/").content.decode()
    assert integration.token not in detail
    for path in ("/integrations/", f"/integrations/{integration.pk}/"):
        page = web_clients[role].get(path).content.decode()
        assert integration.token not in page
        assert "shown to admins only" in page

    admin = api_clients["admin"].get(f"/api/v1/integrations/{integration.pk}/").json()
    assert admin["token"] == integration.token
    assert admin["ingest_url"].endswith(f"/integrations/hooks/alertmanager/{integration.token}/")
    assert integration.token in web_clients["admin"].get("/integrations/").content.decode()
