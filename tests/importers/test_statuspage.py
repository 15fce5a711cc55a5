"""manage.py import_from statuspage, against a fake Statuspage API on loopback answering recorded shapes
(fixtures/statuspage/*.json): the plan, the import, sending nothing, running twice, a refused key."""

import io
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from comms.models import MaintenanceNotice, MaintenanceStatus, Notification, ScheduledMaintenance, Subscriber
from importers.models import ImportedObject
from importers.statuspage import client
from incidents.models import Component, ComponentGroup, Incident, IncidentEvent, IncidentUpdate, Page, Status
from vigil.models import AuditEntry

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "statuspage"
KEY = "good-key"


def load(name: str) -> list:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class FakeStatuspage(BaseHTTPRequestHandler):
    """Statuspage v1 as documented: OAuth key, page/per_page (from 1) for components and incidents,
    page (from 0)/limit and state for subscribers; the first subscribers request answers 429."""

    throttled = False
    requests: list[tuple[str, dict]] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        type(self).requests.append((url.path, query))
        if self.headers.get("Authorization") != f"OAuth {KEY}":
            return self.answer(401, {"error": "Could not authenticate"})
        resource = url.path.removeprefix("/v1/pages/pg1/")
        if resource == "subscribers":
            if not type(self).throttled:
                type(self).throttled = True
                return self.answer(429, {"error": "Rate limit exceeded"}, {"Retry-After": "1"})
            rows = load(f"subscribers_{query.get('state', 'active')}")
            size, start = int(query["limit"]), int(query.get("page", 0)) * int(query["limit"])
        elif resource in ("components", "incidents"):
            rows = load(resource)
            size = int(query["per_page"])
            start = (int(query.get("page", 1)) - 1) * size
        else:
            return self.answer(404, {"error": "Not found"})
        return self.answer(200, rows[start : start + size])

    def answer(self, status: int, body, headers: dict | None = None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def api(monkeypatch):
    monkeypatch.setattr(client, "PER_PAGE", 2)  # two pages of subscribers (and of the rest)
    FakeStatuspage.throttled = False
    FakeStatuspage.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeStatuspage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def run(api_url: str, *args, key: str = KEY) -> str:
    out = io.StringIO()
    call_command(
        "import_from", "statuspage", "--page-id", "pg1", "--api-key", key, "--api-url", api_url, *args, stdout=out
    )
    return out.getvalue()


def counts() -> tuple[int, ...]:
    models = [ComponentGroup, Component, Incident, IncidentUpdate, ScheduledMaintenance, Subscriber, ImportedObject]
    return tuple(model.objects.count() for model in models)


def assert_nothing_sent():
    assert Notification.objects.count() == 0
    assert MaintenanceNotice.objects.count() == 0
    assert Page.objects.count() == 0
    assert mail.outbox == []


def test_a_dry_run_prints_the_plan_and_writes_nothing(api):
    out = run(api, "--dry-run")

    assert counts() == (0, 0, 0, 0, 0, 0, 0)
    assert AuditEntry.objects.count() == 0
    assert "dry run: nothing is written" in out
    # 1 group, 3 components, 1 resolved incident, 2 maintenances, 5 subscribers (4 confirmed, 1 not)
    assert "Will create (12):" in out
    assert 'component group "Platform" -> component group' in out
    assert 'component "Billing" -> component (not public)' in out
    assert 'incident "Elevated API errors" (2025-03-01, major, 3 updates) -> resolved incident' in out
    assert 'maintenance "Database upgrade" (2025-02-03 02:00 UTC, completed) -> scheduled maintenance' in out
    assert "email subscriber a…@example.com -> subscriber (confirmed)" in out
    assert "email subscriber c…@example.net -> subscriber (not confirmed" in out
    assert "ana@example.com" not in out
    assert 'incident "Slow dashboard" (investigating): still open at Statuspage' in out
    assert "1 slack subscribers: Vigil's subscribers are email, SMS and webhooks" in out
    assert "degraded_performance at Statuspage: operational here" in out


def test_it_reads_every_page_waits_out_a_429_and_sends_the_key(api):
    run(api, "--dry-run")

    subscribers = [query for path, query in FakeStatuspage.requests if path.endswith("/subscribers")]
    # the 429, then pages 0, 1 and 2 of the confirmed (2 + 2 + 1), then page 0 of the unconfirmed
    assert [(q["state"], q["page"]) for q in subscribers] == [
        ("active", "0"),
        ("active", "0"),
        ("active", "1"),
        ("active", "2"),
        ("unconfirmed", "0"),
    ]
    assert all(q["limit"] == "2" for q in subscribers)
    incidents = [query["page"] for path, query in FakeStatuspage.requests if path.endswith("/incidents")]
    assert incidents == ["1", "2", "3"]


def test_it_imports_components_history_maintenances_and_subscribers_and_sends_nothing(
    api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        out = run(api)

    assert "Created 12, skipped 0 imported before, 0 errors." in out
    platform = ComponentGroup.objects.get(name="Platform")
    api_component = Component.objects.get(name="API")
    assert api_component.group == platform and api_component.public and api_component.status == "operational"
    assert Component.objects.get(name="Billing").public is False

    incident = Incident.objects.get(title="Elevated API errors")
    assert incident.status == Status.RESOLVED and incident.severity == "sev2" and incident.impact == "major"
    assert incident.started_at == datetime(2025, 3, 1, 9, 55, tzinfo=UTC)
    assert incident.resolved_at == datetime(2025, 3, 1, 11, 30, tzinfo=UTC)
    assert incident.monitoring_at == datetime(2025, 3, 1, 11, 0, tzinfo=UTC)
    assert incident.acknowledged_at <= incident.resolved_at
    assert incident.affected.get().status == "major_outage"  # the worst its updates gave the API
    updates = list(incident.updates.order_by("created_at"))
    assert [(u.status, u.created_at.hour) for u in updates] == [
        ("investigating", 10),
        ("monitoring", 11),
        ("resolved", 11),
    ]
    assert updates[0].message == "We are looking into errors on the API."
    assert updates[0].affected_components == [
        {"code": str(api_component.pk), "name": "API", "new_status": "major_outage"}
    ]
    assert incident.events.filter(kind=IncidentEvent.Kind.UPDATE, public=True).count() == 3
    assert not Incident.objects.filter(title="Slow dashboard").exists()

    done = ScheduledMaintenance.objects.get(title="Database upgrade")
    assert done.status == MaintenanceStatus.COMPLETED
    assert (done.starts_at, done.ends_at) == (
        datetime(2025, 2, 3, 2, 0, tzinfo=UTC),
        datetime(2025, 2, 3, 4, 0, tzinfo=UTC),
    )
    assert set(done.components.values_list("name", flat=True)) == {"API", "Billing"}
    assert list(done.updates.order_by("created_at").values_list("status", flat=True)) == [
        "scheduled",
        "in_progress",
        "completed",
    ]
    upcoming = ScheduledMaintenance.objects.get(title="Billing migration")
    assert upcoming.status == MaintenanceStatus.SCHEDULED and upcoming.message == "Billing moves to a new provider."

    ana = Subscriber.objects.get(address="ana@example.com")
    assert ana.confirmed and ana.components.count() == 0  # every component
    bo = Subscriber.objects.get(address="bo@example.org")
    assert bo.confirmed and list(bo.components.values_list("name", flat=True)) == ["Billing"]
    sms = Subscriber.objects.get(kind="sms")
    assert sms.address == "+14155550123" and sms.confirmed
    webhook = Subscriber.objects.get(kind="webhook")
    assert webhook.address == "https://hooks.example.com/status" and webhook.confirmed and webhook.secret
    assert Subscriber.objects.get(address="cy@example.net").confirmed is False
    assert Subscriber.objects.count() == 5
    assert AuditEntry.objects.filter(via="import", action="incident.import").count() == 1

    assert_nothing_sent()


def test_a_second_run_creates_nothing(api):
    run(api)
    before = counts()

    out = run(api)

    assert counts() == before
    assert "Created 0, skipped 12 imported before, 0 errors." in out
    assert_nothing_sent()


def test_a_refused_key_is_a_clear_error(api):
    with pytest.raises(CommandError, match="the API key was refused"):
        run(api, "--dry-run", key="wrong")
    assert counts() == (0, 0, 0, 0, 0, 0, 0)


def test_a_refused_key_exits_non_zero(api):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    args = ["import_from", "statuspage", "--page-id", "pg1", "--api-key", "wrong", "--api-url", api, "--dry-run"]
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "the API key was refused" in done.stderr
