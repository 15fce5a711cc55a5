"""The post-mortem endpoint: creating drafts from the record; the workflow as actions."""

import pytest

from incidents.services import do_declare
from postmortems.models import PostMortem
from vigil.audit import Actor


@pytest.fixture
def incident(admin_user):
    incident, _ = do_declare(Actor(user=admin_user), title="Checkout is down", severity="sev2")
    return incident


def test_creating_drafts_it_from_the_record(api_clients, incident):
    response = api_clients["responder"].post(
        "/api/v1/postmortems/",
        {"incident": incident.pk, "title": "Checkout", "root_cause": "Pool exhausted", "status": "published"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["published"] is False
    assert body["root_cause"] == "Pool exhausted" and len(body["five_whys"]) == 5
    assert body["impact"]["detection_source"] == "Manual" and len(body["timeline"]) == 1
    again = api_clients["responder"].post(
        "/api/v1/postmortems/", {"incident": incident.pk, "title": "x"}, format="json"
    )
    assert again.status_code == 400


def test_the_workflow_through_the_api(api_clients, incident, responder):
    client = api_clients["responder"]
    pm = client.post("/api/v1/postmortems/", {"incident": incident.pk, "title": "Checkout"}, format="json").json()
    url = f"/api/v1/postmortems/{pm['id']}/"
    assert client.post(f"{url}submit/").status_code == 400
    assert client.post(f"{url}reviewers/", {"reviewers": [responder.pk]}, format="json").status_code == 200
    # Sent by the admin: the responder who sends it cannot be its only sign-off (test_independent_review.py).
    assert client.post(f"{url}submit/").status_code == 400
    assert api_clients["admin"].post(f"{url}submit/").json()["status"] == "in_review"
    assert client.post(f"{url}sign-off/").json()["reviews"][0]["signed_at"] is not None
    assert client.post(f"{url}publish/", {"public_summary": "Fixed"}, format="json").status_code == 403
    assert api_clients["viewer"].post(f"{url}sign-off/").status_code == 403
    body = api_clients["admin"].post(f"{url}publish/", {"public_summary": "Fixed"}, format="json").json()
    assert body["published"] is True and body["public_summary"] == "Fixed"
    assert client.patch(url, {"root_cause": "late"}, format="json").status_code == 400
    assert PostMortem.objects.get().root_cause != "late"


def test_five_whys_and_the_incident_through_the_api(api_clients, incident, admin_user):
    client = api_clients["responder"]
    pm = client.post("/api/v1/postmortems/", {"incident": incident.pk, "title": "Checkout"}, format="json").json()
    url = f"/api/v1/postmortems/{pm['id']}/"
    whys = [{"why": "Why?", "because": "Because."}]
    assert client.patch(url, {"five_whys": whys}, format="json").json()["five_whys"] == whys
    other, _ = do_declare(Actor(user=admin_user), title="Other")
    assert client.patch(url, {"incident": other.pk}, format="json").status_code == 400
