"""Each role can do what it should and nothing more, in the dashboard and the API alike."""

import pytest

from incidents.models import Component, Incident
from incidents.services import do_declare
from postmortems.services import do_draft_postmortem, do_set_reviewers
from tests.conftest import assert_api_outcome, assert_web_outcome
from vigil.audit import Actor

ROLES = ["admin", "responder", "viewer", "anonymous"]


@pytest.fixture
def incident(admin_user):
    incident, _ = do_declare(Actor(user=admin_user), title="Checkout is down")
    return incident


@pytest.fixture(autouse=True)
def fresh_rate_limits(monkeypatch):
    """The public subscribe endpoint counts requests in the cache, which outlives a test: count from zero."""
    import uuid

    prefix = f"vigil:test-{uuid.uuid4().hex}:"
    monkeypatch.setattr("vigil.ratelimit.prefix", lambda: prefix)


@pytest.fixture
def component(db):
    return Component.objects.create(name="API")


@pytest.fixture
def postmortem(incident, admin_user, responder):
    """A draft with the admin and the responder named as reviewers."""
    actor = Actor(user=admin_user)
    postmortem = do_draft_postmortem(actor, incident)
    return do_set_reviewers(actor, postmortem, [admin_user, responder])


# (method, path, data, roles allowed). Paths may name {incident}, {component} and {postmortem}.
API_MATRIX = [
    ("get", "/api/v1/incidents/", None, {"admin", "responder", "viewer"}),
    ("get", "/api/v1/incidents/{incident}/", None, {"admin", "responder", "viewer"}),
    ("get", "/api/v1/incidents/{incident}/timeline/", None, {"admin", "responder", "viewer"}),
    ("post", "/api/v1/incidents/", {"title": "New", "severity": "sev2"}, {"admin", "responder"}),
    ("post", "/api/v1/incidents/{incident}/notes/", {"message": "Looking"}, {"admin", "responder"}),
    ("post", "/api/v1/incidents/{incident}/acknowledge/", None, {"admin", "responder"}),
    ("post", "/api/v1/incidents/{incident}/resolve/", {}, {"admin", "responder"}),
    ("post", "/api/v1/incidents/{incident}/severity/", {"severity": "sev1"}, {"admin", "responder"}),
    (
        "post",
        "/api/v1/incidents/{incident}/updates/",
        {"status": "identified", "message": "Found it"},
        {"admin", "responder"},
    ),
    ("post", "/api/v1/incidents/{incident}/roles/", {"role": "scribe", "user": None}, {"admin", "responder"}),
    ("get", "/api/v1/incidents/{incident}/public-updates/", None, {"admin", "responder", "viewer"}),
    ("get", "/api/v1/component-groups/", None, {"admin", "responder", "viewer"}),
    ("post", "/api/v1/component-groups/", {"name": "Edge"}, {"admin"}),
    ("get", "/api/v1/severities/", None, {"admin", "responder", "viewer"}),
    ("post", "/api/v1/severities/", {"level": "sev4", "name": "Low", "description": "Cosmetic"}, {"admin"}),
    ("get", "/api/v1/escalation-policies/", None, {"admin", "responder", "viewer"}),
    ("post", "/api/v1/escalation-policies/", {"name": "Platform"}, {"admin"}),
    ("get", "/api/v1/pages/", None, {"admin", "responder", "viewer"}),
    ("get", "/api/v1/components/", None, {"admin", "responder", "viewer"}),
    ("post", "/api/v1/components/", {"name": "Search"}, {"admin"}),
    ("patch", "/api/v1/components/{component}/", {"status": "major_outage"}, {"admin"}),
    ("delete", "/api/v1/components/{component}/", None, {"admin"}),
    ("get", "/api/v1/monitors/", None, {"admin", "responder", "viewer"}),
    ("post", "/api/v1/monitors/", {"name": "Home", "kind": "http", "target": "https://example.com/"}, {"admin"}),
    ("get", "/api/v1/stakeholders/", None, {"admin", "responder", "viewer"}),
    ("post", "/api/v1/stakeholders/", {"name": "Ada", "kind": "customer"}, {"admin"}),
    ("post", "/api/v1/stakeholder-groups/", {"name": "Leadership"}, {"admin"}),
    ("get", "/api/v1/reports/", {"days": "30"}, {"admin", "responder", "viewer"}),
    ("get", "/api/v1/reports/uptime/", {"format": "csv"}, {"admin", "responder", "viewer"}),
    ("get", "/api/v1/postmortems/", None, {"admin", "responder", "viewer"}),
    ("post", "/api/v1/postmortems/", {"incident": "{incident}", "title": "What happened"}, {"admin", "responder"}),
    ("get", "/api/v1/postmortems/{postmortem}/", None, {"admin", "responder", "viewer"}),
    ("patch", "/api/v1/postmortems/{postmortem}/", {"root_cause": "A full disk"}, {"admin", "responder"}),
    ("post", "/api/v1/postmortems/{postmortem}/reviewers/", {"reviewers": []}, {"admin", "responder"}),
    ("post", "/api/v1/postmortems/{postmortem}/submit/", None, {"admin", "responder"}),
    ("get", "/api/v1/action-items/", None, {"admin", "responder", "viewer"}),
    ("post", "/api/v1/action-items/", {"title": "Alert on replica lag", "kind": "detect"}, {"admin", "responder"}),
    ("get", "/api/v1/dr-plans/", None, {"admin", "responder", "viewer"}),
    ("post", "/api/v1/dr-plans/", {"name": "DB lost", "rto_minutes": 60, "rpo_minutes": 5}, {"admin"}),
    ("get", "/api/v1/me/", None, {"admin", "responder", "viewer"}),
    ("get", "/api/v1/api-keys/", None, {"admin", "responder", "viewer"}),
    ("post", "/api/v1/api-keys/", {"name": "grafana"}, {"admin", "responder", "viewer"}),
]


def _fill(value, incident, component, postmortem=None):
    if isinstance(value, str):
        return value.format(incident=incident.pk, component=component.pk, postmortem=getattr(postmortem, "pk", ""))
    if isinstance(value, dict):
        return {k: _fill(v, incident, component, postmortem) for k, v in value.items()}
    return value


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "data", "allowed"), API_MATRIX, ids=lambda v: v if isinstance(v, str) else ""
)
def test_api_role_matrix(api_clients, incident, component, role, method, path, data, allowed, request):
    client = api_clients[role]
    postmortem = request.getfixturevalue("postmortem") if "{postmortem}" in path else None
    response = getattr(client, method)(
        _fill(path, incident, component, postmortem), _fill(data, incident, component, postmortem), format="json"
    )
    assert_api_outcome(role, allowed, response)


WEB_MATRIX = [
    ("get", "/", None, {"admin", "responder", "viewer"}),
    ("get", "/incidents/", None, {"admin", "responder", "viewer"}),
    ("get", "/incidents/{incident}/", None, {"admin", "responder", "viewer"}),
    ("get", "/incidents/declare/", None, {"admin", "responder"}),
    ("post", "/incidents/declare/", {"title": "Web declared", "severity": "sev3"}, {"admin", "responder"}),
    ("post", "/incidents/{incident}/notes/", {"message": "Note"}, {"admin", "responder"}),
    ("post", "/incidents/{incident}/acknowledge/", {}, {"admin", "responder"}),
    ("post", "/incidents/{incident}/severity/", {"severity": "sev2"}, {"admin", "responder"}),
    ("post", "/incidents/{incident}/updates/", {"status": "identified", "message": "Found"}, {"admin", "responder"}),
    ("post", "/incidents/{incident}/roles/", {"role": "scribe", "user": ""}, {"admin", "responder"}),
    ("post", "/incidents/{incident}/war-room/", {"bridge_url": "https://meet.example/x"}, {"admin", "responder"}),
    ("post", "/incidents/{incident}/components/", {}, {"admin", "responder"}),
    ("post", "/incidents/{incident}/escalate/", {}, {"admin", "responder"}),
    ("post", "/incidents/{incident}/resolve/", {}, {"admin", "responder"}),
    ("post", "/incidents/{incident}/reopen/", {}, {"admin", "responder"}),
    ("get", "/incidents/components/", None, {"admin", "responder", "viewer"}),
    ("get", "/monitors/", None, {"admin", "responder", "viewer"}),
    ("get", "/comms/", None, {"admin", "responder", "viewer"}),
    ("get", "/comms/templates/", None, {"admin", "responder", "viewer"}),
    ("get", "/comms/templates/update/", None, {"admin"}),
    ("post", "/comms/templates/update/", {"sms": "{{ title }}", "save": "1"}, {"admin"}),
    ("get", "/postmortems/", None, {"admin", "responder", "viewer"}),
    ("get", "/postmortems/reports/", None, {"admin", "responder", "viewer"}),
    ("get", "/postmortems/reports/", {"format": "csv", "table": "severity"}, {"admin", "responder", "viewer"}),
    ("get", "/postmortems/{postmortem}/", None, {"admin", "responder", "viewer"}),
    ("get", "/postmortems/{postmortem}/print/", None, {"admin", "responder", "viewer"}),
    ("get", "/postmortems/{postmortem}/export.md", None, {"admin", "responder", "viewer"}),
    ("post", "/postmortems/draft/{incident}/", {}, {"admin", "responder"}),
    ("get", "/postmortems/{postmortem}/edit/", None, {"admin", "responder"}),
    ("post", "/postmortems/{postmortem}/edit/", {"title": "Checkout outage"}, {"admin", "responder"}),
    ("get", "/postmortems/{postmortem}/timeline/", None, {"admin", "responder"}),
    ("post", "/postmortems/{postmortem}/reviewers/", {"reviewers": []}, {"admin", "responder"}),
    ("post", "/postmortems/{postmortem}/submit/", {}, {"admin", "responder"}),
    ("post", "/postmortems/{postmortem}/sign-off/", {}, {"admin", "responder"}),
    ("post", "/postmortems/{postmortem}/return-to-draft/", {}, {"admin", "responder"}),
    # Publishing is an admin's or the incident commander's (the fixture's incident has none).
    ("post", "/postmortems/{postmortem}/publish/", {"public_summary": "Fixed"}, {"admin"}),
    ("get", "/postmortems/action-items/", None, {"admin", "responder", "viewer"}),
    ("get", "/postmortems/action-items/new/", None, {"admin", "responder"}),
    (
        "post",
        "/postmortems/action-items/new/",
        {"title": "Alert on lag", "kind": "detect", "priority": "high"},
        {"admin", "responder"},
    ),
    ("get", "/dr-plans/", None, {"admin", "responder", "viewer"}),
    ("get", "/system/", None, {"admin", "responder", "viewer"}),
    ("get", "/system/audit/", None, {"admin"}),
    ("get", "/account/api-keys/", None, {"admin", "responder", "viewer"}),
    ("post", "/account/api-keys/", {"name": "mine"}, {"admin", "responder", "viewer"}),
    ("get", "/admin/", None, {"admin"}),
    # The status page's public subscribe form: anyone, within a rate (its checks: tests/status/test_subscriptions.py,
    # with the signed confirm, code and manage links, whose signature is the only credential).
    ("post", "/status/subscribe/", {"email": "matrix@example.com"}, {"admin", "responder", "viewer", "anonymous"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "data", "allowed"), WEB_MATRIX, ids=lambda v: v if isinstance(v, str) else ""
)
def test_web_role_matrix(web_clients, incident, component, role, method, path, data, allowed, request):
    client = web_clients[role]
    postmortem = request.getfixturevalue("postmortem") if "{postmortem}" in path else None
    response = getattr(client, method)(
        _fill(path, incident, component, postmortem), _fill(data, incident, component, postmortem) or {}
    )
    if path == "/admin/" and role not in allowed and role != "anonymous":
        # Django's admin sends signed-in non-staff users to its own login page.
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
    else:
        assert_web_outcome(role, allowed, response)


@pytest.mark.parametrize("role", ["viewer", "anonymous"])
def test_refused_writes_change_nothing(api_clients, web_clients, incident, role):
    api_clients[role].post(f"/api/v1/incidents/{incident.pk}/acknowledge/")
    web_clients[role].post(f"/incidents/{incident.pk}/resolve/")
    web_clients[role].post("/incidents/declare/", {"title": "Sneaky", "severity": "sev1"})
    incident.refresh_from_db()
    assert incident.status == "triggered"
    assert Incident.objects.count() == 1


def test_a_user_in_no_role_can_do_nothing(db, roles):
    from django.contrib.auth import get_user_model

    from tests.conftest import api_client_for

    nobody = get_user_model().objects.create_user("nobody", password="x")
    client = api_client_for(nobody)
    assert client.get("/api/v1/incidents/").status_code == 403
    assert client.post("/api/v1/incidents/", {"title": "x"}).status_code == 403
    assert client.get("/api/v1/me/").json()["role"] is None
