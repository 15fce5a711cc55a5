"""Who may do what with monitors, in the dashboard and the API alike.

Admins configure monitors; responders pause, resume and test them and plan maintenance (they hold
change_monitor, see monitoring.apps); viewers read; anonymous visitors get nothing.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring import services
from monitoring.models import MaintenanceWindow, Monitor
from tests.conftest import assert_api_outcome, assert_web_outcome
from vigil.audit import Actor

from .servers import closed_port

ROLES = ["admin", "responder", "viewer", "anonymous"]
EVERYONE = {"admin", "responder", "viewer"}
OPERATORS = {"admin", "responder"}
ADMIN = {"admin"}


@pytest.fixture
def rows(admin_user):
    actor = Actor(user=admin_user)
    # A closed loopback port: a test-now fails at once, without leaving the machine.
    target = f"http://127.0.0.1:{closed_port()}/"
    monitor = services.do_create_monitor(actor, name="Home", target=target, timeout_seconds=2)
    paused = services.do_pause(actor, services.do_create_monitor(actor, name="Paused", target=target))
    now = timezone.now()
    window = services.do_add_maintenance(actor, monitor=monitor, starts_at=now, ends_at=now + timedelta(hours=1))
    return {"monitor": monitor.pk, "paused": paused.pk, "window": window.pk, "start": now.isoformat(), "target": target}


def fill(value, rows):
    if isinstance(value, str):
        return value.format(**rows)
    if isinstance(value, dict):
        return {k: fill(v, rows) for k, v in value.items()}
    return value


NEW_WINDOW = {"monitor": "{monitor}", "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-01T01:00:00Z"}
API_MATRIX = [
    ("get", "/api/v1/monitors/", None, EVERYONE),
    ("get", "/api/v1/monitors/{monitor}/", None, EVERYONE),
    ("get", "/api/v1/monitors/{monitor}/results/", None, EVERYONE),
    ("get", "/api/v1/monitors/{monitor}/history/", None, EVERYONE),
    ("get", "/api/v1/monitors/{monitor}/uptime/", None, EVERYONE),
    ("post", "/api/v1/monitors/", {"name": "New", "target": "https://example.com/"}, ADMIN),
    ("patch", "/api/v1/monitors/{monitor}/", {"name": "Renamed"}, OPERATORS),
    ("delete", "/api/v1/monitors/{monitor}/", None, ADMIN),
    ("post", "/api/v1/monitors/{monitor}/pause/", None, OPERATORS),
    ("post", "/api/v1/monitors/{paused}/resume/", None, OPERATORS),
    ("post", "/api/v1/monitors/{monitor}/test-now/", None, OPERATORS),
    # Testing settings not saved yet: those who may create monitors (a closed loopback port: no packet leaves).
    ("post", "/api/v1/monitors/test/", {"name": "T", "target": "{target}", "timeout_seconds": 2}, ADMIN),
    ("get", "/api/v1/redundancy-groups/", None, EVERYONE),
    ("post", "/api/v1/redundancy-groups/", {"name": "API replicas"}, ADMIN),
    ("get", "/api/v1/maintenance-windows/", None, EVERYONE),
    ("get", "/api/v1/maintenance-windows/{window}/", None, EVERYONE),
    ("post", "/api/v1/maintenance-windows/", NEW_WINDOW, OPERATORS),
    ("patch", "/api/v1/maintenance-windows/{window}/", {"reason": "Longer"}, OPERATORS),
    ("delete", "/api/v1/maintenance-windows/{window}/", None, ADMIN),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "data", "allowed"), API_MATRIX, ids=lambda v: v if isinstance(v, str) else ""
)
def test_api_role_matrix(api_clients, rows, role, method, path, data, allowed):
    response = getattr(api_clients[role], method)(fill(path, rows), fill(data, rows), format="json")
    assert_api_outcome(role, allowed, response)


NEW_HTTP = {
    "name": "Web created",
    "target": "https://example.com/",
    "method": "GET",
    "headers": "",
    "expected_status": "200-299",
    "interval_seconds": "60",
    "timeout_seconds": "10",
    "retry_interval_seconds": "5",
    "failure_threshold": "2",
    "recovery_threshold": "2",
    "severity": "sev2",
}
WEB_MATRIX = [
    ("get", "/monitors/", None, EVERYONE),
    ("get", "/monitors/{monitor}/", None, EVERYONE),
    ("get", "/monitors/new/", None, ADMIN),
    ("get", "/monitors/new/http/", None, ADMIN),
    ("post", "/monitors/new/http/", NEW_HTTP, ADMIN),
    ("get", "/monitors/{monitor}/edit/", None, OPERATORS),
    ("post", "/monitors/{monitor}/edit/", {**NEW_HTTP, "name": "Edited"}, OPERATORS),
    ("post", "/monitors/{monitor}/pause/", None, OPERATORS),
    ("post", "/monitors/{paused}/resume/", None, OPERATORS),
    ("post", "/monitors/{monitor}/test/", None, OPERATORS),
    ("post", "/monitors/new/http/test/", {**NEW_HTTP, "target": "{target}", "timeout_seconds": "2"}, ADMIN),
    ("post", "/monitors/{monitor}/edit/test/", {**NEW_HTTP, "target": "{target}", "timeout_seconds": "2"}, OPERATORS),
    ("get", "/monitors/{monitor}/delete/", None, ADMIN),
    ("post", "/monitors/{monitor}/delete/", None, ADMIN),
    (
        "post",
        "/monitors/{monitor}/maintenance/",
        {"starts_at": "2030-01-01T00:00", "ends_at": "2030-01-01T01:00", "scope": "monitor"},
        OPERATORS,
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "data", "allowed"), WEB_MATRIX, ids=lambda v: v if isinstance(v, str) else ""
)
def test_web_role_matrix(web_clients, rows, role, method, path, data, allowed):
    response = getattr(web_clients[role], method)(fill(path, rows), fill(data, rows) or {})
    assert_web_outcome(role, allowed, response)


@pytest.mark.parametrize("role", ["viewer", "anonymous"])
def test_refused_writes_change_nothing(api_clients, web_clients, rows, role):
    monitor = rows["monitor"]
    api_clients[role].post(f"/api/v1/monitors/{monitor}/pause/")
    api_clients[role].delete(f"/api/v1/maintenance-windows/{rows['window']}/")
    web_clients[role].post(f"/monitors/{monitor}/delete/")
    web_clients[role].post(f"/monitors/{monitor}/edit/", {**NEW_HTTP, "name": "Hijacked"})
    web_clients[role].post("/monitors/new/http/", NEW_HTTP)
    home = Monitor.objects.get(pk=monitor)
    assert (home.name, home.state) == ("Home", Monitor.State.PENDING)
    assert Monitor.objects.count() == 2 and MaintenanceWindow.objects.count() == 1
