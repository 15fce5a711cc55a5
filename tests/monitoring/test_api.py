"""The monitoring API: monitors with per-kind validation, results, history, uptime, actions, maintenance."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from incidents.models import Component
from monitoring import services
from monitoring.api.serializers import MonitorSerializer
from monitoring.api.views import model_errors
from monitoring.models import CheckResult, MaintenanceWindow, Monitor, RedundancyGroup, StateChange
from vigil.audit import Actor
from vigil.models import AuditEntry

State = Monitor.State


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user)


@pytest.fixture
def admin(api_clients):
    return api_clients["admin"]


def make(actor, name="Home", **values):
    values.setdefault("target", "https://example.com/")
    return services.do_create_monitor(actor, name=name, **values)


def errors(response) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    found: dict[str, list[str]] = {}
    for error in response.json()["errors"]:
        found.setdefault(error["attr"], []).append(error["detail"])
    return found


VALID = {
    "http": {"target": "https://example.com/health", "expected_status": "200-299, 304", "degraded_after_ms": 500},
    "tcp": {"target": "db.internal", "port": 5432},
    "tls": {"target": "example.com", "warn_days": 30, "fail_days": 10},
    "dns": {"target": "example.com", "record_type": "TXT", "expected_value": "v=spf1"},
    "heartbeat": {"cron": "30 2 * * *", "cron_timezone": "Europe/Paris", "grace_seconds": 900},
}
INVALID = {
    "http": ({"target": "https://example.com/", "headers": {"Bad Header": "x"}}, "headers"),
    "tcp": ({"target": "db.internal"}, "port"),
    "tls": ({"target": "not a host!"}, "target"),
    "dns": ({"target": "192.0.2.1"}, "target"),
    "heartbeat": ({"cron": "61 * * * *"}, "cron"),
}


@pytest.mark.parametrize("kind", list(VALID))
def test_a_monitor_of_each_kind_is_created(admin, kind):
    response = admin.post("/api/v1/monitors/", {"name": f"A {kind}", "kind": kind, **VALID[kind]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    monitor = Monitor.objects.get(pk=body["id"])
    assert (body["kind"], body["state"], monitor.kind) == (kind, "pending", kind)
    for name, value in VALID[kind].items():
        assert body[name] == value
    assert body["next_check_at"] is not None
    assert AuditEntry.objects.get(action="monitor.create").via == "api"


@pytest.mark.parametrize("kind", list(INVALID))
def test_bad_settings_are_400_naming_the_field(admin, kind):
    values, field = INVALID[kind]
    response = admin.post("/api/v1/monitors/", {"name": "Bad", "kind": kind, **values}, format="json")
    assert field in errors(response)
    assert not Monitor.objects.exists()


def test_a_heartbeat_carries_its_absolute_ping_url(admin, settings):
    settings.VIGIL_BASE_URL = "https://vigil.example.com"
    body = admin.post("/api/v1/monitors/", {"name": "Backup", "kind": "heartbeat"}, format="json").json()
    token = Monitor.objects.get().ping_token
    assert body["ping_url"] == f"https://vigil.example.com/ping/{token}"
    http = admin.post("/api/v1/monitors/", {"name": "Web", "target": "https://example.com/"}, format="json").json()
    assert http["ping_url"] is None


def test_a_message_about_a_derived_setting_goes_to_non_field_errors():
    serializer = MonitorSerializer()
    with pytest.raises(ValidationError) as refused, model_errors(serializer):
        raise DjangoValidationError({"max_redirects": ["Must be from 0 to 30."], "target": ["Bad."]})
    assert refused.value.detail == {"target": ["Bad."], "non_field_errors": ["Must be from 0 to 30."]}


def test_a_patch_changes_settings_but_never_state(admin, actor):
    monitor = make(actor)
    Monitor.objects.filter(pk=monitor.pk).update(state=State.DOWN)
    response = admin.patch(
        f"/api/v1/monitors/{monitor.pk}/",
        {"timeout_seconds": 3, "state": "up", "consecutive_failures": 0},
        format="json",
    )
    assert response.status_code == 200 and response.json()["timeout_seconds"] == 3
    monitor.refresh_from_db()
    assert (monitor.timeout_seconds, monitor.state) == (3, State.DOWN)
    bad = admin.patch(f"/api/v1/monitors/{monitor.pk}/", {"expected_status": "2xx-3xx"}, format="json")
    assert "expected_status" in errors(bad)


def test_dependencies_through_the_api(admin, actor):
    database, api = make(actor, "Database"), make(actor, "API")
    response = admin.patch(f"/api/v1/monitors/{api.pk}/", {"parents": [database.pk]}, format="json")
    assert response.json()["parents"] == [database.pk]
    loop = admin.patch(f"/api/v1/monitors/{database.pk}/", {"parents": [api.pk]}, format="json")
    assert "cannot depend on itself" in errors(loop)["parents"][0]


def test_delete_goes_through_the_action(admin, actor):
    monitor = make(actor)
    assert admin.delete(f"/api/v1/monitors/{monitor.pk}/").status_code == 204
    assert not Monitor.objects.exists() and AuditEntry.objects.filter(action="monitor.delete").exists()


def test_the_list_filters_and_shows_redundancy_in_constant_queries(api_clients, actor, django_assert_max_num_queries):
    api = Component.objects.create(name="API")
    # Redundancy is declared (a group), as the data migration declares it for monitors sharing a component.
    replicas = RedundancyGroup.objects.create(name="API replicas")
    for n in range(3):
        make(actor, f"Replica {n}", component=api, redundancy_group=replicas)
    make(actor, "Database", kind="tcp", target="db.internal", port=5432)
    Monitor.objects.filter(name="Replica 0").update(state=State.DOWN)
    viewer = api_clients["viewer"]
    viewer.get("/api/v1/monitors/")
    with django_assert_max_num_queries(8) as few:
        body = viewer.get("/api/v1/monitors/").json()
    assert body["count"] == 4
    replica = next(m for m in body["results"] if m["name"] == "Replica 1")
    assert replica["redundancy"] == {"up": 2, "total": 3, "label": "2 of 3 monitors up"}
    assert next(m for m in body["results"] if m["name"] == "Database")["redundancy"] is None
    for n in range(30):
        make(actor, f"More {n}", component=api, parents=Monitor.objects.filter(name="Database"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert viewer.get("/api/v1/monitors/").json()["count"] == 34

    def names(query: str) -> list[str]:
        return [m["name"] for m in viewer.get(f"/api/v1/monitors/?{query}").json()["results"]]

    assert names("state=down") == ["Replica 0"]
    assert names("kind=tcp") == ["Database"]
    assert names("search=replica") == ["Replica 0", "Replica 1", "Replica 2"]
    assert len(names(f"component={api.pk}")) == 33
    assert "state" in errors(viewer.get("/api/v1/monitors/?state=exploded"))


def test_results_are_filtered_by_time_and_outcome(api_clients, actor):
    monitor = make(actor)
    start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    CheckResult.objects.bulk_create(
        CheckResult(
            monitor=monitor,
            checked_at=start + timedelta(minutes=n),
            outcome=CheckResult.Outcome.DOWN if n % 10 == 0 else CheckResult.Outcome.UP,
            latency_ms=100 + n,
            status_code=503 if n % 10 == 0 else 200,
            reason="HTTP 503" if n % 10 == 0 else "",
        )
        for n in range(60)
    )
    viewer = api_clients["viewer"]
    url = f"/api/v1/monitors/{monitor.pk}/results/"
    everything = viewer.get(url, {"page_size": 100}).json()
    assert everything["count"] == 60 and everything["results"][0]["latency_ms"] == 159  # newest first
    since = (start + timedelta(minutes=30)).isoformat()
    until = (start + timedelta(minutes=40)).isoformat()
    window = viewer.get(url, {"since": since, "until": until}).json()
    assert [r["latency_ms"] for r in window["results"]] == [139 - n for n in range(10)]
    failed = viewer.get(url, {"outcome": "down"}).json()
    assert failed["count"] == 6 and {r["outcome"] for r in failed["results"]} == {"down"}
    assert failed["results"][0]["reason"] == "HTTP 503"
    assert "since" in errors(viewer.get(url, {"since": "yesterday"}))


def test_history_and_uptime(api_clients, actor):
    monitor = make(actor)
    now = timezone.now()
    # Within the last hour, which uptime reads live from the history (older hours need a roll-up run).
    Monitor.objects.filter(pk=monitor.pk).update(created_at=now - timedelta(minutes=40), state=State.UP)
    for minutes, from_state, to_state in [(40, "pending", "up"), (30, "up", "down"), (20, "down", "up")]:
        StateChange.objects.create(
            monitor=monitor, at=now - timedelta(minutes=minutes), from_state=from_state, to_state=to_state
        )
    viewer = api_clients["viewer"]
    history = viewer.get(f"/api/v1/monitors/{monitor.pk}/history/").json()
    assert [(c["from_state"], c["to_state"]) for c in history["results"]] == [
        ("down", "up"),
        ("up", "down"),
        ("pending", "up"),
    ]
    uptime = viewer.get(f"/api/v1/monitors/{monitor.pk}/uptime/").json()
    assert set(uptime) == {"uptime_24h", "uptime_7d", "uptime_30d", "uptime_90d"}
    assert uptime["uptime_24h"] == pytest.approx(0.75, abs=0.001)
    assert uptime["uptime_90d"] == pytest.approx(0.75, abs=0.001)


def test_pause_resume_and_their_refusals(api_clients, actor):
    monitor = make(actor)
    responder = api_clients["responder"]
    paused = responder.post(f"/api/v1/monitors/{monitor.pk}/pause/")
    assert paused.status_code == 200 and paused.json()["state"] == "paused" and paused.json()["next_check_at"] is None
    again = responder.post(f"/api/v1/monitors/{monitor.pk}/pause/")
    assert "paused already" in errors(again)["non_field_errors"][0]
    resumed = responder.post(f"/api/v1/monitors/{monitor.pk}/resume/")
    assert resumed.json()["state"] == "pending"
    assert api_clients["viewer"].post(f"/api/v1/monitors/{monitor.pk}/pause/").status_code == 403


def test_test_now_answers_with_the_probes_finding(admin, actor, servers):
    monitor = make(actor, target=servers.url("/slow/50"), degraded_after_ms=10)
    body = admin.post(f"/api/v1/monitors/{monitor.pk}/test-now/").json()
    assert (body["ok"], body["outcome"], body["status_code"]) == (True, "degraded", 200)
    assert body["latency_ms"] >= 50 and "degraded above 10 ms" in body["reason"]
    assert not CheckResult.objects.exists()
    heartbeat = services.do_create_monitor(actor, name="Backup", kind="heartbeat")
    refused = admin.post(f"/api/v1/monitors/{heartbeat.pk}/test-now/")
    assert "waits for pings" in errors(refused)["non_field_errors"][0]


def test_maintenance_windows_crud(api_clients, actor):
    monitor = make(actor, component=Component.objects.create(name="API"))
    responder, admin = api_clients["responder"], api_clients["admin"]
    now = timezone.now()
    window = {"monitor": monitor.pk, "starts_at": now.isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat()}
    created = responder.post("/api/v1/maintenance-windows/", {**window, "reason": "Upgrade"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["active"], body["created_by"], body["reason"]) == (True, "rita-responder", "Upgrade")
    backwards = {**window, "ends_at": (now - timedelta(hours=1)).isoformat()}
    assert "ends_at" in errors(responder.post("/api/v1/maintenance-windows/", backwards, format="json"))
    nothing = {"starts_at": window["starts_at"], "ends_at": window["ends_at"]}
    assert "non_field_errors" in errors(responder.post("/api/v1/maintenance-windows/", nothing, format="json"))
    MaintenanceWindow.objects.create(
        component=monitor.component, starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1)
    )
    current = responder.get("/api/v1/maintenance-windows/?current=true").json()
    assert [w["id"] for w in current["results"]] == [body["id"]]
    assert responder.get(f"/api/v1/maintenance-windows/?monitor={monitor.pk}").json()["count"] == 1
    ended = responder.patch(
        f"/api/v1/maintenance-windows/{body['id']}/", {"ends_at": timezone.now().isoformat()}, format="json"
    )
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert responder.delete(f"/api/v1/maintenance-windows/{body['id']}/").status_code == 403
    assert admin.delete(f"/api/v1/maintenance-windows/{body['id']}/").status_code == 204
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"maintenance.add", "maintenance.change", "maintenance.delete"} <= actions
