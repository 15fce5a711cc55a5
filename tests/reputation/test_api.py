"""The API for sources, brands, mentions and their state: every role tried on every endpoint."""

import pytest

from reputation import services
from reputation.models import Mention, MentionSource
from tests.conftest import assert_api_outcome

ROLES = ["admin", "responder", "viewer", "anonymous"]


@pytest.fixture
def rows(actor, webhook_source, outage):
    brand = services.do_create_brand(actor, name="Globex", keywords="Globex")
    mention = services.do_add_mention(actor, text="Checkout is broken, awful", url="https://x.example/1")
    return {"mention": mention.pk, "source": webhook_source.pk, "brand": brand.pk, "incident": outage.pk}


# (method, path, data, roles allowed). Paths and data may name {mention}, {source}, {brand}, {incident}.
MATRIX = [
    ("get", "/api/v1/mentions/", None, {"admin", "responder", "viewer"}),
    ("get", "/api/v1/mentions/{mention}/", None, {"admin", "responder", "viewer"}),
    ("post", "/api/v1/mentions/", {"text": "Saw this on a forum", "platform": "forum"}, {"admin", "responder"}),
    (
        "post",
        "/api/v1/mentions/{mention}/state/",
        {"state": "responded", "response": "Replied"},
        {"admin", "responder"},
    ),
    ("post", "/api/v1/mentions/{mention}/link/", {"incident": "{incident}"}, {"admin", "responder"}),
    ("delete", "/api/v1/mentions/{mention}/", None, {"admin"}),
    ("get", "/api/v1/mention-sources/", None, {"admin", "responder", "viewer"}),
    ("post", "/api/v1/mention-sources/", {"name": "HN", "kind": "feed", "url": "https://hnrss.org/newest"}, {"admin"}),
    ("patch", "/api/v1/mention-sources/{source}/", {"enabled": False}, {"admin"}),
    ("post", "/api/v1/mention-sources/{source}/rotate-secret/", None, {"admin"}),
    ("delete", "/api/v1/mention-sources/{source}/", None, {"admin"}),
    ("get", "/api/v1/mention-brands/", None, {"admin", "responder", "viewer"}),
    ("post", "/api/v1/mention-brands/", {"name": "Initech", "keywords": "Initech"}, {"admin"}),
    ("patch", "/api/v1/mention-brands/{brand}/", {"keywords": "Globex, globex.com"}, {"admin"}),
    ("get", "/api/v1/mention-spikes/", None, {"admin", "responder", "viewer"}),
]


def _fill(value, rows):
    if isinstance(value, str):
        filled = value.format(**rows)
        return int(filled) if filled.isdigit() and value.startswith("{") else filled
    if isinstance(value, dict):
        return {k: _fill(v, rows) for k, v in value.items()}
    return value


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "data", "allowed"), MATRIX, ids=lambda v: v if isinstance(v, str) else "")
def test_role_matrix(api_clients, rows, role, method, path, data, allowed):
    response = getattr(api_clients[role], method)(_fill(path, rows), _fill(data, rows), format="json")
    assert_api_outcome(role, allowed, response)


def test_a_responder_answers_a_mention_and_the_api_says_who_and_how_long(api_clients, rows, responder):
    response = api_clients["responder"].post(
        f"/api/v1/mentions/{rows['mention']}/state/", {"state": "responded", "response": "DM sent"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["response"], body["responded_by"]) == ("responded", "DM sent", responder.username)
    assert body["time_to_respond_seconds"] >= 0


def test_refused_moves_and_a_missing_response_are_400s(api_clients, rows):
    client = api_clients["responder"]
    url = f"/api/v1/mentions/{rows['mention']}/state/"
    response = client.post(url, {"state": "responded"}, format="json")
    assert response.status_code == 400
    assert "needs its text" in response.json()["errors"][0]["detail"]
    client.post(url, {"state": "ignored"}, format="json")
    response = client.post(url, {"state": "responded", "response": "x"}, format="json")
    assert response.status_code == 400
    assert client.post(url, {"state": "archived"}, format="json").json()["errors"][0]["attr"] == "state"


def test_the_webhook_secret_is_shown_to_admins_only(api_clients, rows, webhook_source):
    path = f"/api/v1/mention-sources/{rows['source']}/"
    admin = api_clients["admin"].get(path).json()
    assert admin["secret"] == webhook_source.secret
    assert admin["webhook_url"].endswith(f"/monitors/reputation/hooks/{webhook_source.pk}/")
    assert api_clients["viewer"].get(path).json()["secret"] is None
    assert api_clients["responder"].get(path).json()["secret"] is None


def test_a_feed_without_its_url_is_a_400_naming_it(api_clients, db):
    response = api_clients["admin"].post("/api/v1/mention-sources/", {"name": "x", "kind": "feed"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "url"
    assert not MentionSource.objects.exists()


def test_a_second_brand_of_ours_is_a_400(api_clients, actor):
    services.do_create_brand(actor, name="Acme", ours=True)
    response = api_clients["admin"].post("/api/v1/mention-brands/", {"name": "Acme EU", "ours": True}, format="json")
    assert response.status_code == 400


def test_the_list_filters_by_state_label_incident_and_text(api_clients, rows, actor, outage):
    services.do_add_mention(actor, text="Lovely support team", url="https://x.example/2")
    client = api_clients["viewer"]
    assert [m["label"] for m in client.get("/api/v1/mentions/?label=positive").json()["results"]] == ["positive"]
    waiting = client.get("/api/v1/mentions/?state=needs_response").json()["results"]
    assert [m["id"] for m in waiting] == [rows["mention"]]
    linked = client.get(f"/api/v1/mentions/?incident={outage.pk}").json()["results"]
    assert [m["id"] for m in linked] == [rows["mention"]]  # names the Checkout component
    assert client.get("/api/v1/mentions/?search=lovely").json()["count"] == 1
    assert client.get("/api/v1/mentions/?state=bogus").status_code == 400


def test_manual_entry_through_the_api_is_scored_and_linked_by_hand(api_clients, rows, outage):
    response = api_clients["responder"].post(
        "/api/v1/mentions/", {"text": "Terrible day", "incident": outage.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["label"], body["incident"], body["linked_automatically"]) == ("negative", outage.pk, False)
    repeat = api_clients["responder"].post("/api/v1/mentions/", {"text": "a", "url": "https://x.example/1"})
    assert repeat.status_code == 400
    assert Mention.objects.count() == 2


def test_a_search_with_a_null_character_is_a_documented_400(api_clients, db):
    response = api_clients["viewer"].get("/api/v1/mentions/", {"search": "a\x00b"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "null_characters_not_allowed"
    schema = api_clients["viewer"].get("/api/schema/?format=json").json()
    documented = schema["components"]["schemas"]["MentionsListSearchErrorComponent"]["properties"]["code"]["enum"]
    assert "null_characters_not_allowed" in documented
