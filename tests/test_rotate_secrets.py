"""Rotate: a heartbeat's ping URL, a schedule's calendar link, a person's own calendar link. Each from the
dashboard and the API, by whom it belongs to (admins for shared ones), audited; the old one then 404s."""

import pytest
from django.urls import reverse

from incidents.models import Schedule
from incidents.oncall import ical
from monitoring import heartbeats
from monitoring.models import Monitor
from tests.conftest import assert_api_outcome, assert_web_outcome
from vigil.models import AuditEntry

ROLES = ["admin", "responder", "viewer", "anonymous"]


@pytest.fixture
def buffer(redis_url, settings):
    """Pings go through the Redis buffer (whose set of known tokens must forget the old one), emptied around."""
    settings.REDIS_URL = redis_url
    ping_buffer = heartbeats.ping_buffer()
    ping_buffer.clear()
    yield ping_buffer
    ping_buffer.clear()


@pytest.fixture
def heartbeat(db):
    return Monitor.objects.create(name="Nightly backup", kind=Monitor.Kind.HEARTBEAT)


@pytest.fixture
def schedule(db):
    return Schedule.objects.create(name="Platform")


def ping(client, token) -> int:
    return client.get(reverse("ping", args=[token])).status_code


@pytest.mark.parametrize("front", ["web", "api"])
def test_a_new_ping_url_stops_the_old_one(
    front, buffer, heartbeat, client, web_clients, api_clients, django_capture_on_commit_callbacks
):
    old = heartbeat.ping_token
    assert ping(client, old) == 200  # known to the buffer's set from now on
    with django_capture_on_commit_callbacks(execute=True):
        if front == "web":
            response = web_clients["admin"].post(f"/monitors/{heartbeat.pk}/rotate-ping-url/")
            assert response.status_code == 302
        else:
            response = api_clients["admin"].post(f"/api/v1/monitors/{heartbeat.pk}/rotate-ping-url/")
            assert response.status_code == 200
    heartbeat.refresh_from_db()
    assert heartbeat.ping_token != old
    assert ping(client, old) == 404
    assert ping(client, heartbeat.ping_token) == 200
    if front == "api":
        assert response.json()["ping_url"].endswith(f"/ping/{heartbeat.ping_token}")
    entry = AuditEntry.objects.get(action="monitor.rotate_ping_url")
    assert str(old) not in str(entry.details) and str(heartbeat.ping_token) not in str(entry.details)


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_rotate_a_ping_url(role, heartbeat, web_clients, api_clients):
    old = heartbeat.ping_token
    assert_web_outcome(role, {"admin"}, web_clients[role].post(f"/monitors/{heartbeat.pk}/rotate-ping-url/"))
    assert_api_outcome(role, {"admin"}, api_clients[role].post(f"/api/v1/monitors/{heartbeat.pk}/rotate-ping-url/"))
    heartbeat.refresh_from_db()
    assert (heartbeat.ping_token != old) == (role == "admin")


def test_a_monitor_that_is_no_heartbeat_has_no_ping_url_to_rotate(api_clients, db):
    http = Monitor.objects.create(name="Home", kind="http", target="https://example.com/")
    response = api_clients["admin"].post(f"/api/v1/monitors/{http.pk}/rotate-ping-url/")
    assert response.status_code == 400 and "not a heartbeat" in response.content.decode()


@pytest.mark.parametrize("front", ["web", "api"])
def test_a_new_schedule_link_stops_the_old_one(front, schedule, client, web_clients, api_clients):
    old = ical.schedule_feed_url(schedule).removeprefix("http://127.0.0.1:8000")
    assert client.get(old).status_code == 200
    if front == "web":
        assert web_clients["admin"].post(f"/oncall/schedules/{schedule.pk}/rotate-feed/").status_code == 302
    else:
        response = api_clients["admin"].post(f"/api/v1/schedules/{schedule.pk}/rotate-feed/")
        assert response.status_code == 200
    schedule.refresh_from_db()
    new = ical.schedule_feed_url(schedule).removeprefix("http://127.0.0.1:8000")
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    if front == "api":
        assert response.json()["ical_url"].endswith(new)
    assert AuditEntry.objects.filter(action="schedule.rotate_feed").count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_rotate_a_schedule_link(role, schedule, web_clients, api_clients):
    token = schedule.ical_token
    assert_web_outcome(role, {"admin"}, web_clients[role].post(f"/oncall/schedules/{schedule.pk}/rotate-feed/"))
    assert_api_outcome(role, {"admin"}, api_clients[role].post(f"/api/v1/schedules/{schedule.pk}/rotate-feed/"))
    schedule.refresh_from_db()
    assert (schedule.ical_token != token) == (role == "admin")


@pytest.mark.parametrize("front", ["web", "api"])
def test_a_person_rotates_their_own_calendar_link_and_nobody_elses(front, personas, client, web_clients, api_clients):
    viewer, responder = personas["viewer"], personas["responder"]
    mine = ical.user_feed_url(viewer).removeprefix("http://127.0.0.1:8000")
    theirs = ical.user_feed_url(responder).removeprefix("http://127.0.0.1:8000")
    if front == "web":
        assert web_clients["viewer"].post("/oncall/feeds/rotate/").status_code == 302
    else:
        response = api_clients["viewer"].post("/api/v1/oncall/feed/", {}, format="json")
        assert response.status_code == 200
        # The link carries a signing timestamp, so compare whose and which version it is, not its text.
        token = response.json()["url"].rstrip("/").rsplit("/", 1)[-1].removesuffix(".ics")
        assert ical.user_from_token(token) == viewer
        assert client.get(response.json()["url"].removeprefix("http://127.0.0.1:8000")).status_code == 200
    assert client.get(mine).status_code == 404
    assert client.get(ical.user_feed_url(viewer).removeprefix("http://127.0.0.1:8000")).status_code == 200
    assert client.get(theirs).status_code == 200  # revocable alone: nobody else's link changed
    # Nobody but an admin rotates someone else's.
    refused = api_clients["viewer"].post("/api/v1/oncall/feed/", {"user": responder.pk}, format="json")
    assert refused.status_code == 403
    assert client.get(theirs).status_code == 200


def test_an_admin_rotates_anyones_calendar_link_without_seeing_it(personas, client, api_clients):
    responder = personas["responder"]
    theirs = ical.user_feed_url(responder).removeprefix("http://127.0.0.1:8000")
    response = api_clients["admin"].post("/api/v1/oncall/feed/", {"user": responder.pk}, format="json")
    assert response.status_code == 200 and response.json() == {"user": responder.get_username(), "url": None}
    assert client.get(theirs).status_code == 404
    assert AuditEntry.objects.filter(action="oncall.rotate_personal_feed").count() == 1


def test_links_made_before_feeds_had_versions_still_work_until_rotated(personas, client):
    from django.core import signing

    viewer = personas["viewer"]
    old = reverse("oncall:user_feed", args=[signing.dumps(viewer.pk, salt=ical.SALT)])
    assert client.get(old).status_code == 200
