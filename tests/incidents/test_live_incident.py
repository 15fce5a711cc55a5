"""The incident page's header and timeline, and the dashboard, keep themselves current (issue #15, item 9):
a poll costs a 304 and one query while nothing changed, and answers the new state once anything did."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import paging, services
from tests.conftest import assert_web_outcome
from vigil.audit import Actor


def poll(client, url: str, tag: str = ""):
    headers = {"HTTP_IF_NONE_MATCH": tag} if tag else {}
    return client.get(url, HTTP_X_REQUESTED_WITH="fetch", **headers)


def domain_queries(client, url: str, tag: str) -> tuple[int, list[str]]:
    poll(client, url, tag)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as queries:
        response = poll(client, url, tag)
    return response.status_code, [q["sql"] for q in queries if "incidents_" in q["sql"]]


@pytest.fixture
def incident(admin_user):
    incident, _ = services.do_declare(Actor(user=admin_user), title="Search is slow", severity="sev1")
    return incident


@pytest.mark.parametrize("part", ["header", "timeline"])
def test_an_unchanged_incident_part_answers_304_for_one_query(web_clients, incident, part):
    client, url = web_clients["viewer"], f"/incidents/{incident.pk}/?partial={part}"
    first = poll(client, url)
    assert first.status_code == 200 and "<html" not in first.content.decode()
    status, queries = domain_queries(client, url, first["ETag"])
    assert status == 304 and len(queries) == 1, queries


def test_the_header_shows_what_others_did_and_the_timeline_their_notes(web_clients, incident, admin_user, responder):
    client = web_clients["viewer"]
    header, timeline = poll(client, f"/incidents/{incident.pk}/?partial=header"), None
    paging.page(responder, incident)  # paged by another door (the escalation engine, say)
    changed = poll(client, f"/incidents/{incident.pk}/?partial=header", header["ETag"])
    assert changed.status_code == 200 and 'data-testid="paged-person">rita-responder' in changed.content.decode()
    timeline = poll(client, f"/incidents/{incident.pk}/?partial=timeline")
    services.do_add_note(Actor(user=admin_user), incident, "Rolling back the deploy.")
    noted = poll(client, f"/incidents/{incident.pk}/?partial=timeline", timeline["ETag"])
    assert noted.status_code == 200 and "Rolling back the deploy." in noted.content.decode()


def test_an_unchanged_dashboard_answers_304_for_one_query(web_clients, incident):
    client = web_clients["responder"]
    first = poll(client, "/?partial=1")
    assert first.status_code == 200 and "Search is slow" in first.content.decode()
    status, queries = domain_queries(client, "/?partial=1", first["ETag"])
    assert status == 304 and len(queries) == 1, queries


def test_the_dashboard_says_you_are_paged_with_an_acknowledge_button(web_clients, incident, responder):
    client = web_clients["responder"]
    first = poll(client, "/?partial=1")
    assert 'data-testid="you-are-paged"' not in first.content.decode()
    paging.page(responder, incident)
    paged = poll(client, "/?partial=1", first["ETag"])
    html = paged.content.decode()
    assert paged.status_code == 200 and 'data-testid="you-are-paged"' in html
    assert f'action="/incidents/{incident.pk}/acknowledge/"' in html
    assert 'data-testid="you-are-paged"' not in poll(web_clients["admin"], "/?partial=1").content.decode()


@pytest.mark.parametrize("role", ["admin", "responder", "viewer", "anonymous"])
def test_the_live_parts_ask_who_is_asking(web_clients, incident, role):
    allowed = {"admin", "responder", "viewer"}
    assert_web_outcome(role, allowed, poll(web_clients[role], f"/incidents/{incident.pk}/?partial=header"))
    assert_web_outcome(role, allowed, poll(web_clients[role], "/?partial=1"))
