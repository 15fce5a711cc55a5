"""Pages that keep themselves current (vigil/live.py): a poll costs a 304 and one query while nothing changed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.services import do_declare
from vigil.audit import Actor


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user)


def poll(client, url: str, tag: str = ""):
    headers = {"HTTP_IF_NONE_MATCH": tag} if tag else {}
    return client.get(url, HTTP_X_REQUESTED_WITH="fetch", **headers)


def test_an_unchanged_incident_list_answers_304_for_one_query_beyond_sign_in(web_clients, actor):
    do_declare(actor, title="Search is slow")
    client = web_clients["viewer"]
    first = poll(client, "/incidents/?partial=1")
    assert first.status_code == 200 and first["ETag"] and "Search is slow" in first.content.decode()
    assert "no-cache" in first["Cache-Control"] and "private" in first["Cache-Control"]

    poll(client, "/incidents/?partial=1", first["ETag"])  # warm the session and permission caches
    with CaptureQueriesContext(connection) as queries:
        again = poll(client, "/incidents/?partial=1", first["ETag"])
    assert again.status_code == 304 and again.content == b""
    domain = [q["sql"] for q in queries if "incidents_incident" in q["sql"]]
    assert len(domain) == 1, domain


def test_a_change_anywhere_answers_the_new_rows(web_clients, actor):
    client = web_clients["viewer"]
    first = poll(client, "/incidents/?partial=1")
    do_declare(actor, title="Checkout is down")
    changed = poll(client, "/incidents/?partial=1", first["ETag"])
    assert changed.status_code == 200 and "Checkout is down" in changed.content.decode()
    assert changed["ETag"] != first["ETag"]


def test_two_people_never_share_a_tag(web_clients, actor):
    do_declare(actor, title="Search is slow")
    tags = {name: poll(web_clients[name], "/monitors/?partial=1")["ETag"] for name in ("viewer", "responder")}
    assert tags["viewer"] != tags["responder"]
    # Another person's tag is no use: the page is rendered for whoever asks.
    assert poll(web_clients["responder"], "/monitors/?partial=1", tags["viewer"]).status_code == 200


def test_an_anonymous_poll_is_sent_to_sign_in_not_answered_304(client):
    response = poll(client, "/incidents/?partial=1", '"anything"')
    assert response.status_code == 302 and "/login" in response["Location"]
