"""The API's front doors to the same actions: testing settings before saving them, and groups of replicas."""

import pytest

from monitoring import services
from monitoring.models import Monitor
from tests.conftest import assert_api_outcome
from vigil.audit import Actor
from vigil.models import AuditEntry


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user)


def test_settings_are_tested_before_saving_and_nothing_is_saved(api_clients, servers):
    response = api_clients["admin"].post(
        "/api/v1/monitors/test/", {"name": "Echo", "target": servers.url("/status/503")}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["outcome"], body["status_code"], body["reason"]) == ("down", 503, "HTTP 503 (expected 200-299)")
    assert not Monitor.objects.exists()
    assert AuditEntry.objects.get(action="monitor.test").via == "api"


@pytest.mark.parametrize("role", ["admin", "responder", "viewer", "anonymous"])
def test_only_those_who_may_create_monitors_may_test_new_settings(api_clients, servers, role):
    response = api_clients[role].post(
        "/api/v1/monitors/test/", {"name": "x", "target": servers.url("/ok")}, format="json"
    )
    assert_api_outcome(role, {"admin"}, response)


def test_bad_settings_are_a_400_naming_the_field(api_clients):
    response = api_clients["admin"].post("/api/v1/monitors/test/", {"name": "x", "target": "ftp://x"}, format="json")
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["target"]


def test_tests_over_the_rate_are_429_with_retry_after(api_clients, actor, settings, servers):
    settings.VIGIL_MONITOR_TEST_RATE = "1/m"
    monitor = services.do_create_monitor(actor, name="Home", target=servers.url("/ok"))
    admin = api_clients["admin"]
    assert admin.post(f"/api/v1/monitors/{monitor.pk}/test-now/").status_code == 200
    refused = admin.post("/api/v1/monitors/test/", {"name": "x", "target": servers.url("/ok")}, format="json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert admin.post(f"/api/v1/monitors/{monitor.pk}/test-now/").status_code == 429


def test_groups_of_replicas_through_the_api(api_clients, actor):
    from monitoring.models import RedundancyGroup

    admin, viewer, responder = api_clients["admin"], api_clients["viewer"], api_clients["responder"]
    created = admin.post("/api/v1/redundancy-groups/", {"name": "API replicas"}, format="json")
    assert created.status_code == 201, created.content
    group_id = created.json()["id"]
    assert responder.post("/api/v1/redundancy-groups/", {"name": "Mine"}, format="json").status_code == 403
    duplicate = admin.post("/api/v1/redundancy-groups/", {"name": "API replicas"}, format="json")
    assert duplicate.status_code == 400
    # A monitor joins through its own setting; the group reads its replicas and how many are up.
    east = admin.post(
        "/api/v1/monitors/",
        {"name": "East", "target": "https://e.example/", "redundancy_group": group_id},
        format="json",
    )
    assert east.status_code == 201 and east.json()["redundancy"] == {"up": 1, "total": 1, "label": "1 of 1 monitor up"}
    services.do_create_monitor(
        actor, name="West", target="https://w.example/", redundancy_group=RedundancyGroup.objects.get()
    )
    Monitor.objects.filter(name="West").update(state=Monitor.State.DOWN)
    listed = viewer.get("/api/v1/redundancy-groups/").json()["results"]
    assert listed[0]["name"] == "API replicas" and len(listed[0]["monitors"]) == 2
    assert listed[0]["redundancy"]["label"] == "1 of 2 monitors up"
    renamed = admin.patch(f"/api/v1/redundancy-groups/{group_id}/", {"name": "API"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "API"
    assert AuditEntry.objects.filter(action="redundancy_group.rename").exists()
    assert admin.delete(f"/api/v1/redundancy-groups/{group_id}/").status_code == 204
    assert Monitor.objects.filter(redundancy_group__isnull=True).count() == 2  # the monitors stay, on their own
