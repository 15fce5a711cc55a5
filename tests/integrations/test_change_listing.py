"""Change events beyond the incident page: GET /api/v1/changes/ and /api/v1/incidents/<id>/changes/,
Django's admin (read-only), and the hourly purge of those older than VIGIL_CHANGE_RETENTION_DAYS."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from incidents.integrations import changes
from incidents.models import ChangeEvent, Component, Incident, Integration
from incidents.tasks import purge_change_events
from tests.conftest import assert_api_outcome

from .test_pagerduty import send, trigger

CHANGES = "/api/v1/changes/"
NOON = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def checkout():
    return Component.objects.create(name="Checkout")


@pytest.fixture
def deploys(make_integration, checkout):
    integration = make_integration(Integration.Kind.PAGERDUTY, name="CI deploys")
    integration.components.set([checkout])
    return integration


@pytest.fixture
def flags(make_integration):
    return make_integration(Integration.Kind.PAGERDUTY, name="Feature flags")


def change(integration, summary: str, at: datetime, **fields) -> ChangeEvent:
    return ChangeEvent.objects.create(integration=integration, summary=summary, source="ci", timestamp=at, **fields)


def summaries(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["summary"] for row in response.json()["results"]]


def test_the_list_is_newest_first_with_its_integration(api_clients, deploys, flags):
    change(
        deploys,
        "Deployed v41",
        NOON - timedelta(hours=1),
        links=[{"href": "https://ci.example.com/41", "text": "Build"}],
    )
    change(flags, "Flag flipped", NOON)
    response = api_clients["viewer"].get(CHANGES)
    assert summaries(response) == ["Flag flipped", "Deployed v41"]
    row = response.json()["results"][1]
    assert row["integration"] == {"id": deploys.pk, "name": "CI deploys"}
    assert row["source"] == "ci" and row["timestamp"].startswith("2026-12-05T11:00:00")
    assert row["links"] == [{"href": "https://ci.example.com/41", "text": "Build"}]
    assert set(row) == {"id", "integration", "summary", "source", "timestamp", "custom_details", "links", "received_at"}


def test_it_filters_by_integration_component_and_time(api_clients, deploys, flags, checkout):
    change(deploys, "Deployed v41", NOON - timedelta(hours=2))
    change(deploys, "Deployed v42", NOON)
    change(flags, "Flag flipped", NOON - timedelta(hours=1))
    viewer = api_clients["viewer"]
    assert summaries(viewer.get(CHANGES, {"integration": flags.pk})) == ["Flag flipped"]
    assert summaries(viewer.get(CHANGES, {"component": checkout.pk})) == ["Deployed v42", "Deployed v41"]
    assert summaries(viewer.get(CHANGES, {"since": "2026-12-05T10:30:00Z"})) == ["Deployed v42", "Flag flipped"]
    assert summaries(viewer.get(CHANGES, {"until": "2026-12-05T11:00:00+00:00"})) == ["Flag flipped", "Deployed v41"]
    both = {"component": checkout.pk, "since": "2026-12-05T09:00:00Z", "until": "2026-12-05T11:00:00Z"}
    assert summaries(viewer.get(CHANGES, both)) == ["Deployed v41"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-45T00:00:00Z"}, "until"),
        ({"integration": "abc"}, "integration"),
        ({"component": "0"}, "component"),
        ({"since": "2026-12-05T12:00:00Z", "until": "2026-12-05T11:00:00Z"}, "until"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api_clients, params, field):
    response = api_clients["viewer"].get(CHANGES, params)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [error["attr"] for error in errors] == [field]
    assert errors[0]["detail"]


@pytest.mark.parametrize("role", ["admin", "responder", "viewer", "anonymous"])
def test_whoever_may_see_integrations_may_list_changes(api_clients, role, deploys):
    event = change(deploys, "Deployed v42", NOON)
    assert_api_outcome(role, {"admin", "responder", "viewer"}, api_clients[role].get(CHANGES))
    assert_api_outcome(role, {"admin", "responder", "viewer"}, api_clients[role].get(f"{CHANGES}{event.pk}/"))


def test_the_list_is_read_only(api_clients, deploys):
    event = change(deploys, "Deployed v42", NOON)
    admin = api_clients["admin"]
    assert admin.post(CHANGES, {"summary": "x", "integration": deploys.pk}, format="json").status_code == 405
    assert admin.delete(f"{CHANGES}{event.pk}/").status_code == 405
    assert ChangeEvent.objects.count() == 1


def test_without_the_integration_view_permission_nothing_is_listed(api_clients, viewer, deploys):
    from django.contrib.auth.models import Permission

    change(deploys, "Deployed v42", NOON)
    viewer.user_permissions.add(*Permission.objects.filter(codename="view_changeevent"))
    viewer.groups.first().permissions.remove(Permission.objects.get(codename="view_integration"))
    assert api_clients["viewer"].get(CHANGES).status_code == 403


# --- An incident's changes ------------------------------------------------------------------


@pytest.fixture
def incident(deploys):
    assert send(trigger(deploys.token)).status_code == 202
    return Incident.objects.get()


@pytest.mark.parametrize("role", ["admin", "responder", "viewer", "anonymous"])
def test_an_incidents_changes_are_the_pages_recent_changes(api_clients, role, deploys, flags, incident):
    change(deploys, "Deployed v42", incident.started_at - timedelta(minutes=30))
    change(deploys, "Flag flipped", incident.started_at - timedelta(minutes=1))
    change(deploys, "Too old to matter", incident.started_at - timedelta(hours=3))
    change(flags, "Unrelated", incident.started_at - timedelta(minutes=5))
    response = api_clients[role].get(f"/api/v1/incidents/{incident.pk}/changes/")
    assert_api_outcome(role, {"admin", "responder", "viewer"}, response)
    if role != "anonymous":
        assert [row["summary"] for row in response.json()] == ["Flag flipped", "Deployed v42"]
        assert [row["summary"] for row in response.json()] == [
            c.event.summary for c in changes.recent_changes(incident)
        ]


def test_an_unknown_incidents_changes_are_a_404(api_clients):
    assert api_clients["viewer"].get("/api/v1/incidents/999999/changes/").status_code == 404


def test_the_schema_describes_the_change_endpoints(api_clients):
    schema = api_clients["viewer"].get("/api/schema/?format=json").json()
    assert "/api/v1/changes/" in schema["paths"]
    names = {p["name"] for p in schema["paths"]["/api/v1/changes/"]["get"]["parameters"]}
    assert {"integration", "component", "since", "until"} <= names
    assert "/api/v1/incidents/{id}/changes/" in schema["paths"]


# --- Admin ------------------------------------------------------------------------------------


def test_the_admin_lists_changes_read_only(web_clients, deploys):
    event = change(deploys, "Deployed checkout v42", NOON)
    admin = web_clients["admin"]
    page = admin.get("/admin/incidents/changeevent/", {"q": "checkout"})
    assert page.status_code == 200 and "Deployed checkout v42" in page.content.decode()
    assert admin.get("/admin/incidents/changeevent/", {"integration__id__exact": deploys.pk}).status_code == 200
    assert admin.get("/admin/incidents/changeevent/add/").status_code == 403
    detail = admin.get(f"/admin/incidents/changeevent/{event.pk}/change/")
    assert detail.status_code == 200 and 'name="summary"' not in detail.content.decode()
    response = admin.post(f"/admin/incidents/changeevent/{event.pk}/change/", {"summary": "Edited"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.summary == "Deployed checkout v42"


# --- Retention --------------------------------------------------------------------------------


def test_the_purge_deletes_old_changes_and_keeps_recent_ones(settings, deploys):
    settings.VIGIL_CHANGE_RETENTION_DAYS = 30
    now = timezone.now()
    old = change(deploys, "Long ago", now - timedelta(days=40))
    ChangeEvent.objects.filter(pk=old.pk).update(received_at=now - timedelta(days=31))
    recent = change(deploys, "Last week", now - timedelta(days=7))
    backfilled = change(deploys, "Back-filled today", now - timedelta(days=60))  # received now: kept
    assert purge_change_events() == 1
    assert set(ChangeEvent.objects.values_list("pk", flat=True)) == {recent.pk, backfilled.pk}
    assert purge_change_events() == 0


def test_the_purge_works_in_chunks(deploys):
    long_ago = timezone.now() - timedelta(days=365)
    for n in range(5):
        change(deploys, f"Old {n}", long_ago)
    ChangeEvent.objects.update(received_at=long_ago)
    assert changes.purge(chunk_size=2) == 5
    assert not ChangeEvent.objects.exists()


def test_beat_purges_changes_hourly_off_the_escalation_queue(settings):
    entry = next(
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "incidents.tasks.purge_change_events"
    )
    assert entry["schedule"] == 3600.0
    from vigil.celery import app

    assert app.amqp.router.route({}, "incidents.tasks.purge_change_events")["queue"].name == "default"
