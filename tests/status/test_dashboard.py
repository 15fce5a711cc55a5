"""The dashboard and admin pages for maintenance and branding: who may do what, and that they work."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comms.models import MaintenanceStatus, ScheduledMaintenance, StatusPageBranding
from comms.status import services as maintenance_services
from incidents.models import ComponentStatus
from tests.conftest import assert_web_outcome

ROLES = ["admin", "responder", "viewer", "anonymous"]
WHEN = "%Y-%m-%dT%H:%M"


@pytest.fixture
def maintenance(actor, api):
    start = timezone.now() + timedelta(days=1)
    return maintenance_services.do_schedule_maintenance(
        actor, title="Database upgrade", message="Read-only for a while.", components=[api], starts_at=start,
        ends_at=start + timedelta(hours=1),
    )  # fmt: skip


def form_data(api, **overrides):
    start = timezone.localtime(timezone.now() + timedelta(days=2))
    data = {
        "title": "Network upgrade",
        "message": "Brief packet loss.",
        "components": [api.pk],
        "starts_at": start.strftime(WHEN),
        "ends_at": (start + timedelta(hours=1)).strftime(WHEN),
    }
    return {**data, **overrides}


# (method, path, data, roles allowed): the status page's dashboard URLs, as tests/test_role_matrix.py does.
MATRIX = [
    ("get", "/status/manage/", None, {"admin", "responder", "viewer"}),
    ("get", "/status/manage/new/", None, {"admin", "responder"}),
    ("post", "/status/manage/new/", "form", {"admin", "responder"}),
    ("get", "/status/manage/{m}/", None, {"admin", "responder"}),
    ("post", "/status/manage/{m}/", "form", {"admin", "responder"}),
    ("post", "/status/manage/{m}/move/", {"status": "in_progress"}, {"admin", "responder"}),
    ("post", "/status/manage/{m}/cancel/", {}, {"admin"}),
    ("get", "/status/manage/branding/", None, {"admin"}),
    ("post", "/status/manage/branding/", {"name": "Acme", "accent_colour": "#112233"}, {"admin"}),
    ("get", "/admin/comms/scheduledmaintenance/", None, {"admin"}),
    ("get", "/admin/comms/statuspagebranding/", None, {"admin"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "data", "allowed"), MATRIX, ids=lambda v: v if isinstance(v, str) else "")
def test_role_matrix(web_clients, maintenance, api, role, method, path, data, allowed):
    if data == "form":
        data = form_data(api)
    response = getattr(web_clients[role], method)(path.format(m=maintenance.pk), data or {})
    if path.startswith("/admin/") and role in ("responder", "viewer"):
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    else:
        assert_web_outcome(role, allowed, response)


@pytest.mark.parametrize("path", ["/status/", "/status/history/", "/api/v2/summary.json", "/status/feed.atom"])
@pytest.mark.parametrize("role", ROLES)
def test_public_pages_are_public(web_clients, api, role, path):
    assert web_clients[role].get(path).status_code == 200


def test_a_responder_schedules_maintenance_from_the_dashboard(web_clients, api):
    response = web_clients["responder"].post("/status/manage/new/", form_data(api))
    assert response.status_code == 302
    maintenance = ScheduledMaintenance.objects.get()
    assert maintenance.title == "Network upgrade"
    assert list(maintenance.components.all()) == [api]
    assert maintenance.created_by.username == "rita-responder"
    listing = web_clients["viewer"].get("/status/manage/").content.decode()
    assert "Network upgrade" in listing


def test_the_form_refuses_a_window_that_ends_before_it_starts(web_clients, api):
    data = form_data(api)
    data["ends_at"] = data["starts_at"]
    response = web_clients["responder"].post("/status/manage/new/", data)
    assert response.status_code == 400
    assert "must end after it starts" in response.content.decode()
    assert not ScheduledMaintenance.objects.exists()


def test_a_responder_edits_starts_and_completes_it(web_clients, maintenance, api, website):
    client = web_clients["responder"]
    data = form_data(api, title="Database upgrade, part 1", components=[api.pk, website.pk])
    assert client.post(f"/status/manage/{maintenance.pk}/", data).status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.title == "Database upgrade, part 1" and maintenance.components.count() == 2
    page = client.get(f"/status/manage/{maintenance.pk}/").content.decode()
    assert 'value="in_progress"' in page
    client.post(f"/status/manage/{maintenance.pk}/move/", {"status": "in_progress", "message": "Starting now."})
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS
    assert maintenance.updates.first().message == "Starting now."
    api.refresh_from_db()
    assert api.status == ComponentStatus.MAINTENANCE
    response = client.post(f"/status/manage/{maintenance.pk}/move/", {"status": "scheduled"})
    assert response.status_code == 302  # refused, with a message
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS
    client.post(f"/status/manage/{maintenance.pk}/move/", {"status": "completed"})
    api.refresh_from_db()
    assert api.status == ComponentStatus.OPERATIONAL


def test_an_admin_withdraws_a_maintenance(web_clients, maintenance):
    assert web_clients["admin"].post(f"/status/manage/{maintenance.pk}/cancel/").status_code == 302
    assert not ScheduledMaintenance.objects.exists()


def test_an_admin_edits_the_branding_and_bad_values_are_refused(web_clients):
    client = web_clients["admin"]
    ok = client.post(
        "/status/manage/branding/",
        {"name": "Acme Status", "accent_colour": "#112233", "footer_links": "Terms | https://acme.example/terms",
         "support_contact": "https://acme.example/help", "logo_url": ""},
    )  # fmt: skip
    assert ok.status_code == 302
    branding = StatusPageBranding.objects.get()
    assert branding.name == "Acme Status" and branding.links() == [("Terms", "https://acme.example/terms")]
    bad = client.post("/status/manage/branding/", {"name": "Acme", "accent_colour": "blue", "footer_links": "x"})
    assert bad.status_code == 400
    assert StatusPageBranding.objects.get().accent_colour == "#112233"


def test_the_django_admin_schedules_moves_and_deletes_through_the_actions(web_clients, api):
    client = web_clients["admin"]
    start = timezone.now() - timedelta(minutes=5)
    response = client.post(
        "/admin/comms/scheduledmaintenance/add/",
        {
            "title": "Admin maintenance",
            "message": "From the admin.",
            "components": [api.pk],
            # The admin's own split date and time widgets.
            "starts_at_0": timezone.localtime(start).strftime("%Y-%m-%d"),
            "starts_at_1": timezone.localtime(start).strftime("%H:%M:%S"),
            "ends_at_0": timezone.localtime(start + timedelta(hours=1)).strftime("%Y-%m-%d"),
            "ends_at_1": timezone.localtime(start + timedelta(hours=1)).strftime("%H:%M:%S"),
            "updates-TOTAL_FORMS": "0",
            "updates-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    maintenance = ScheduledMaintenance.objects.get()
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS  # its window had begun: started at once
    api.refresh_from_db()
    assert api.status == ComponentStatus.MAINTENANCE
    change = {**response.wsgi_request.POST.dict(), "title": "Admin maintenance, renamed", "components": [api.pk]}
    changed = client.post(f"/admin/comms/scheduledmaintenance/{maintenance.pk}/change/", change)
    assert changed.status_code == 302, changed.context["adminform"].form.errors
    maintenance.refresh_from_db()
    assert maintenance.title == "Admin maintenance, renamed"
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS
    client.post(
        "/admin/comms/scheduledmaintenance/",
        {"action": "complete_now", "_selected_action": [maintenance.pk]},
    )
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.COMPLETED
    client.post(f"/admin/comms/scheduledmaintenance/{maintenance.pk}/delete/", {"post": "yes"})
    assert not ScheduledMaintenance.objects.exists()
    assert client.get("/admin/comms/statuspagebranding/add/").status_code == 200
