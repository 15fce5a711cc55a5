"""Per-user API keys: shown once, stored hashed, revocable, with last-used time."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from vigil.models import ApiKey, AuditEntry


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_it_shows_the_key_once_and_stores_only_its_hash(web_clients, responder):
    response = web_clients["responder"].post("/account/api-keys/", {"name": "grafana"})
    raw = response.context["new_key"]
    assert raw.startswith("vgl_") and len(raw) > 40
    key = ApiKey.objects.get(user=responder)
    assert key.hashed_key == ApiKey.hash(raw) != raw
    assert raw not in str(list(ApiKey.objects.values_list()))
    # The list page afterwards shows the prefix only.
    page = web_clients["responder"].get("/account/api-keys/").content.decode()
    assert key.prefix in page and raw not in page


def test_a_key_authenticates_as_its_user_and_records_last_use(viewer):
    response = bearer_for(viewer).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == viewer.username
    assert response.json()["role"] == "viewer"
    assert ApiKey.objects.filter(user=viewer, last_used_at__isnull=False).exists()


def bearer_for(user):
    from tests.conftest import api_client_for

    return api_client_for(user)


def test_a_revoked_key_is_refused(responder):
    created = bearer_for(responder).post("/api/v1/api-keys/", {"name": "ci"}, format="json")
    assert created.status_code == 201
    raw, key_id = created.json()["key"], created.json()["id"]
    assert bearer(raw).get("/api/v1/incidents/").status_code == 200
    revoked = bearer(raw).post(f"/api/v1/api-keys/{key_id}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    refused = bearer(raw).get("/api/v1/incidents/")
    assert refused.status_code == 401
    assert "revoked" in refused.json()["errors"][0]["detail"]
    assert AuditEntry.objects.filter(action="api_key.revoke", actor=responder).exists()


def test_nobody_can_revoke_another_users_key(web_clients, responder, viewer):
    from vigil.audit import Actor
    from vigil.services import do_create_api_key

    key, _ = do_create_api_key(Actor(user=responder), responder, "mine")
    assert bearer_for(viewer).post(f"/api/v1/api-keys/{key.pk}/revoke/").status_code == 404
    assert web_clients["viewer"].post(f"/account/api-keys/{key.pk}/revoke/").status_code == 403
    key.refresh_from_db()
    assert key.is_active
    # An admin can.
    assert web_clients["admin"].post(f"/account/api-keys/{key.pk}/revoke/").status_code == 302
    key.refresh_from_db()
    assert not key.is_active


@pytest.mark.parametrize("header", ["Bearer", "Bearer vgl_nope", "Token vgl_wrong", "Bearer a b"])
def test_a_bad_key_gets_401_with_a_reason(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/incidents/")
    assert response.status_code == 401
    body = response.json()
    assert body["type"] == "client_error"
    assert body["errors"][0]["detail"]


def test_the_api_key_name_is_required(api_clients):
    response = api_clients["viewer"].post("/api/v1/api-keys/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "name"


def test_createapikey_prints_a_working_key_once(viewer):
    out = StringIO()
    call_command("createapikey", viewer.username, "--name", "automation", stdout=out)
    raw = out.getvalue().strip()
    assert bearer(raw).get("/api/v1/me/").json()["username"] == viewer.username
    assert ApiKey.objects.get(name="automation").hashed_key == ApiKey.hash(raw)


def test_createapikey_names_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("createapikey", "ghost", "--name", "x")
