"""Teams' service keys (issue #20, item 5): a scope of their own, an expiry, a last use, and revocation by
the team's admins; the account a key acts as is never a person."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ServiceKey
from accounts.services import NotAllowed, do_create_service_key, do_revoke_service_key
from incidents.escalation import targets
from incidents.models import Team
from monitoring.models import Monitor
from tests.conftest import PASSWORD, api_client_for
from vigil.audit import Actor
from vigil.models import ApiKey, AuditEntry
from vigil.people import people


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def payments(responder):
    """Team A: the responder is one of its admins."""
    team = Team.objects.create(name="Payments")
    team.members.add(responder)
    team.admins.add(responder)
    return team


@pytest.fixture
def search(db):
    return Team.objects.create(name="Search")


def make_key(admin_user, team, scope="read", kinds=(), **values):
    return do_create_service_key(Actor(user=admin_user), team, "deploy bot", scope=scope, kinds=list(kinds), **values)


def test_a_read_key_reads_and_may_not_write(admin_user, payments):
    _, raw = make_key(admin_user, payments)
    client = bearer(raw)
    assert client.get("/api/v1/monitors/").status_code == 200
    assert client.get("/api/v1/incidents/").status_code == 200
    refused = client.post("/api/v1/monitors/", {"name": "x", "kind": "http", "target": "https://example.com/"})
    assert refused.status_code == 403
    assert not Monitor.objects.exists()


def test_a_write_key_for_monitors_creates_and_changes_them_and_nothing_else(admin_user, payments):
    key, raw = make_key(admin_user, payments, "write", ["monitoring.monitor"])
    client = bearer(raw)
    created = client.post(
        "/api/v1/monitors/", {"name": "Checkout", "kind": "http", "target": "https://example.com/"}, format="json"
    )
    assert created.status_code == 201, created.content
    changed = client.patch(f"/api/v1/monitors/{created.json()['id']}/", {"name": "Checkout API"}, format="json")
    assert changed.status_code == 200, changed.content
    assert Monitor.objects.get().name == "Checkout API"
    assert client.post("/api/v1/incidents/", {"title": "Sneaky"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/monitors/{created.json()['id']}/").status_code == 403
    # The audit log names the key's account, via the API.
    entry = AuditEntry.objects.get(action="monitor.create")
    assert (entry.actor_id, entry.via) == (key.user_id, "api")
    assert entry.actor_label.startswith("svc-payments-deploy-bot")


def test_a_key_holds_the_viewer_role_and_write_to_its_kinds_only(admin_user, payments):
    key, _ = make_key(admin_user, payments, "write", ["monitoring.monitor", "incidents.incident"])
    own = set(key.user.user_permissions.values_list("codename", flat=True))
    assert own == {"add_monitor", "change_monitor", "add_incident", "change_incident"}
    assert list(key.user.groups.values_list("name", flat=True)) == ["viewer"]
    assert not key.user.is_staff and not key.user.is_superuser
    assert key.user.teams.get() == payments
    assert not key.user.has_usable_password() and key.user.email == ""


def test_an_expired_key_gets_401_saying_it_expired(admin_user, payments):
    key, raw = make_key(admin_user, payments)
    ServiceKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = bearer(raw).get("/api/v1/incidents/")
    assert response.status_code == 401
    assert "expired" in response.json()["errors"][0]["detail"]


def test_a_revoked_key_gets_401_at_its_next_request(admin_user, responder, payments):
    key, raw = make_key(admin_user, payments)
    client = bearer(raw)
    assert client.get("/api/v1/incidents/").status_code == 200
    revoked = api_client_for(responder).post(f"/api/v1/service-keys/{key.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] and not revoked.json()["active"]
    response = client.get("/api/v1/incidents/")
    assert response.status_code == 401
    assert "revoked" in response.json()["errors"][0]["detail"]
    key.user.refresh_from_db()
    assert not key.user.is_active
    assert AuditEntry.objects.filter(action="service_key.revoke", actor=responder).exists()


def test_a_key_whose_team_was_deleted_gets_401(admin_user, payments):
    key, raw = make_key(admin_user, payments)
    payments.delete()
    key.refresh_from_db()
    assert key.team is None
    assert "team was deleted" in bearer(raw).get("/api/v1/incidents/").json()["errors"][0]["detail"]


def test_an_unknown_service_key_gets_401(db):
    response = bearer("vgs_" + "x" * 43).get("/api/v1/incidents/")
    assert response.status_code == 401
    assert "Unknown service key" in response.json()["errors"][0]["detail"]


def test_last_use_is_recorded_at_most_once_a_minute(admin_user, payments):
    key, raw = make_key(admin_user, payments)
    assert key.last_used_at is None
    bearer(raw).get("/api/v1/me/")
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None
    bearer(raw).get("/api/v1/me/")
    key.refresh_from_db()
    assert key.last_used_at == first


def test_the_key_is_shown_once_and_only_its_hash_is_kept(responder, payments):
    created = api_client_for(responder).post(
        "/api/v1/service-keys/", {"name": "terraform", "team": "Payments"}, format="json"
    )
    assert created.status_code == 201, created.content
    raw = created.json()["key"]
    assert raw.startswith("vgs_") and len(raw) > 40
    key = ServiceKey.objects.get()
    assert key.hashed_key == ServiceKey.hash(raw) != raw
    assert raw not in str(list(ServiceKey.objects.values_list()))
    listed = api_client_for(responder).get("/api/v1/service-keys/").content.decode()
    assert key.prefix in listed and raw not in listed
    assert key.expires_at - timezone.now() > timedelta(days=89)


def test_a_team_admin_cannot_create_or_revoke_another_teams_keys(admin_user, responder, payments, search):
    theirs, raw = make_key(admin_user, search)
    client = api_client_for(responder)
    assert client.post(f"/api/v1/service-keys/{theirs.pk}/revoke/").status_code == 404
    assert client.post("/api/v1/service-keys/", {"name": "x", "team": "Search"}, format="json").status_code == 403
    with pytest.raises(NotAllowed):
        do_revoke_service_key(Actor(user=responder), theirs)
    assert bearer(raw).get("/api/v1/incidents/").status_code == 200
    assert [k["team"] for k in client.get("/api/v1/service-keys/").json()["results"]] == []


def test_a_vigil_admin_manages_every_teams_keys(api_clients, admin_user, search):
    key, _ = make_key(admin_user, search)
    assert api_clients["admin"].post(f"/api/v1/service-keys/{key.pk}/revoke/").status_code == 200


@pytest.mark.parametrize("role", ["responder", "viewer"])
def test_someone_who_administers_no_team_gets_403(api_clients, admin_user, search, role):
    make_key(admin_user, search)
    assert api_clients[role].get("/api/v1/service-keys/").status_code == 403
    made = api_clients[role].post("/api/v1/service-keys/", {"name": "x", "team": "Search"}, format="json")
    assert made.status_code == 403
    assert ServiceKey.objects.count() == 1


def test_anonymous_gets_401(api_clients, search):
    assert api_clients["anonymous"].get("/api/v1/service-keys/").status_code == 401


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ({"scope": "write"}, "at least one kind"),
        ({"scope": "read", "kinds": ["monitoring.monitor"]}, "read-only key writes nothing"),
        ({"scope": "admin"}, "scope"),
        ({"scope": "write", "kinds": ["vigil.apikey"]}, "kinds"),
        ({"expires_at": "2099-01-01T00:00:00Z"}, "at most 365 days"),
    ],
)
def test_a_key_beyond_what_keys_may_be_is_refused_with_a_reason(api_clients, search, values, said):
    data = {"name": "x", "team": "Search", **values}
    response = api_clients["admin"].post("/api/v1/service-keys/", data, format="json")
    assert response.status_code == 400
    assert said in str(response.json())
    assert not ServiceKey.objects.exists()


def test_a_service_key_cannot_make_keys_of_either_kind(admin_user, payments):
    key, raw = make_key(admin_user, payments, "write", ["monitoring.monitor"])
    client = bearer(raw)
    assert client.post("/api/v1/api-keys/", {"name": "forever"}, format="json").status_code == 403
    assert client.post("/api/v1/service-keys/", {"name": "x", "team": "Payments"}, format="json").status_code == 403
    assert not ApiKey.objects.exists() and ServiceKey.objects.count() == 1
    # Even made a team admin by mistake, its account manages nothing.
    payments.admins.add(key.user)
    assert client.get("/api/v1/service-keys/").status_code == 403


def test_the_service_account_cannot_sign_in_with_a_password(client, admin_user, payments):
    key, _ = make_key(admin_user, payments)
    key.user.set_password(PASSWORD)  # as if someone gave it one in Django's admin
    key.user.save()
    response = client.post("/login/", {"username": key.user.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert client.get("/").status_code == 302


def test_the_service_account_is_nobody_to_pick_page_or_put_on_call(admin_user, responder, payments):
    key, _ = make_key(admin_user, payments)
    assert responder in people() and key.user not in people()
    level = {"users": [responder.pk, key.user.pk], "schedules": []}
    assert targets(level, timezone.now()) == [responder]


def test_a_write_key_gets_no_permission_a_kind_outside_the_list_would_give(admin_user, payments):
    key, _ = make_key(admin_user, payments, "write", ["monitoring.monitor"])
    admin_only = Permission.objects.filter(codename__in=["delete_monitor", "change_apikey", "change_team"])
    assert not any(key.user.has_perm(f"{p.content_type.app_label}.{p.codename}") for p in admin_only)


# --- The dashboard page ---------------------------------------------------------------------------


def test_a_team_admin_makes_a_key_on_the_page_and_sees_it_once(client, responder, payments, search):
    client.force_login(responder)
    page = client.get("/account/service-keys/")
    assert page.status_code == 200
    assert list(page.context["form"].fields["team"].queryset) == [payments]
    data = {"name": "Terraform", "team": payments.pk, "scope": "write", "kinds": ["incidents.incident"], "days": 30}
    response = client.post("/account/service-keys/", data)
    raw = response.context["new_key"]
    key = ServiceKey.objects.get()
    assert raw.startswith("vgs_") and key.hashed_key == ServiceKey.hash(raw)
    assert (key.team, key.scope, key.kinds, key.created_by) == (payments, "write", ["incidents.incident"], responder)
    assert timedelta(days=29) < key.expires_at - timezone.now() <= timedelta(days=30)
    again = client.get("/account/service-keys/").content.decode()
    assert key.prefix in again and raw not in again and "write: Incidents" in again
    assert AuditEntry.objects.get(action="service_key.create").via == "web"


def test_the_page_refuses_a_team_another_admin_runs_and_keys_too_long(client, responder, payments, search, settings):
    client.force_login(responder)
    other = client.post("/account/service-keys/", {"name": "x", "team": search.pk, "scope": "read", "days": 30})
    assert "team" in other.context["form"].errors
    settings.VIGIL_SERVICE_KEY_MAX_DAYS = 10
    long = client.post("/account/service-keys/", {"name": "x", "team": payments.pk, "scope": "read", "days": 11})
    assert "days" in long.context["form"].errors
    no_kinds = {"name": "x", "team": payments.pk, "scope": "write", "days": 5}
    assert "at least one kind" in client.post("/account/service-keys/", no_kinds).content.decode()
    assert not ServiceKey.objects.exists()


def test_revoking_on_the_page_is_for_the_keys_team_admins(web_clients, admin_user, responder, payments, search):
    mine, _ = make_key(admin_user, payments)
    theirs, _ = make_key(admin_user, search)
    assert web_clients["responder"].post(f"/account/service-keys/{theirs.pk}/revoke/").status_code == 403
    assert web_clients["responder"].post(f"/account/service-keys/{mine.pk}/revoke/").status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None
    assert web_clients["admin"].post(f"/account/service-keys/{theirs.pk}/revoke/").status_code == 302


def test_the_page_is_403_for_who_administers_no_team_and_the_menu_hides_it(web_clients, search):
    assert web_clients["viewer"].get("/account/service-keys/").status_code == 403
    assert web_clients["responder"].get("/account/service-keys/").status_code == 403
    assert "/account/service-keys/" not in web_clients["responder"].get("/account/api-keys/").content.decode()
    assert "/account/service-keys/" in web_clients["admin"].get("/account/api-keys/").content.decode()
    assert "/login/" in web_clients["anonymous"].get("/account/service-keys/")["Location"]


# --- SCIM: the identity provider sees people only --------------------------------------------------


def test_scim_neither_lists_nor_finds_nor_groups_a_service_keys_account(admin_user, responder, payments, settings):
    import json

    from django.test import Client

    settings.VIGIL_SCIM_TOKEN = token = "scim-test-token-0123456789abcdef"
    key, _ = make_key(admin_user, payments)
    account = key.user.username

    def scim(method, path, body=None):
        data = json.dumps(body) if body is not None else None
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        return getattr(Client(), method)(f"/scim/v2/{path}", data=data, content_type="application/scim+json", **auth)

    listed = scim("get", "Users?count=100").json()
    assert responder.username in str(listed) and account not in str(listed)
    assert scim("get", f"Users?filter=userName%20eq%20%22{account}%22").json()["totalResults"] == 0
    assert scim("get", f"Users/{key.user.pk}").status_code == 404
    assert (
        scim(
            "patch", f"Users/{key.user.pk}", {"Operations": [{"op": "replace", "value": {"active": False}}]}
        ).status_code
        == 404
    )
    group = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "ops",
        "members": [{"value": str(key.user.pk)}],
    }
    assert scim("post", "Groups", group).status_code == 400
    key.user.refresh_from_db()
    assert key.user.is_active


def test_a_team_admin_gives_a_key_no_write_their_role_lacks(api_clients, client, responder, viewer, payments):
    # Responders change monitors but may not add them; a viewer writes nothing.
    payments.admins.add(viewer)
    refused = api_clients["responder"].post(
        "/api/v1/service-keys/",
        {"name": "x", "team": "Payments", "scope": "write", "kinds": ["monitoring.monitor"]},
        format="json",
    )
    assert refused.status_code == 403 and "add monitor" in str(refused.json())
    client.force_login(viewer)
    data = {"name": "x", "team": payments.pk, "scope": "write", "kinds": ["incidents.incident"], "days": 5}
    assert "add incident" in client.post("/account/service-keys/", data).content.decode()
    assert not ServiceKey.objects.exists()
    allowed = api_clients["responder"].post(
        "/api/v1/service-keys/",
        {"name": "x", "team": "Payments", "scope": "write", "kinds": ["incidents.incident"]},
        format="json",
    )
    assert allowed.status_code == 201
    read = api_clients["viewer"].post("/api/v1/service-keys/", {"name": "y", "team": "Payments"}, format="json")
    assert read.status_code == 201


def test_a_key_outlives_its_maker_leaving(admin_user, responder, payments):
    from accounts.services import do_deactivate_user

    key, raw = do_create_service_key(Actor(user=responder), payments, "ci", "write", ["incidents.incident"])
    do_deactivate_user(Actor(user=admin_user), responder)
    payments.admins.remove(responder)
    assert bearer(raw).get("/api/v1/incidents/").status_code == 200
    key.refresh_from_db()
    assert key.created_by == responder and key.is_active


def test_a_vigil_admin_opens_the_page_and_api_before_any_team_exists(api_clients, web_clients):
    assert api_clients["admin"].get("/api/v1/service-keys/").json()["results"] == []
    assert web_clients["admin"].get("/account/service-keys/").status_code == 200


def test_djangos_admin_shows_keys_without_their_hash_and_edits_nothing(web_clients, admin_user, payments):
    key, raw = make_key(admin_user, payments)
    listed = web_clients["admin"].get("/admin/accounts/servicekey/")
    assert listed.status_code == 200 and key.prefix in listed.content.decode()
    page = web_clients["admin"].get(f"/admin/accounts/servicekey/{key.pk}/change/").content.decode()
    assert key.name in page and key.hashed_key not in page and raw not in page
    web_clients["admin"].post(f"/admin/accounts/servicekey/{key.pk}/change/", {"scope": "write", "kinds": "[]"})
    key.refresh_from_db()
    assert key.scope == "read"
