"""SCIM 2.0 provisioning (accounts.scim) with requests shaped as Okta and Entra ID send them
(Okta's "SCIM 2.0 protocol reference", Microsoft's "Tutorial: develop a SCIM endpoint")."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import ScimGroup
from comms.models import Notification
from incidents.models import Override, Rotation, RotationMember, Schedule, Team
from incidents.models.oncall import days_mask
from incidents.services import do_declare
from tests.conftest import PASSWORD, api_client_for, make_user
from vigil.audit import Actor
from vigil.models import AuditEntry
from vigil.roles import Role, role_of

TOKEN = "scim-test-token-0123456789abcdef"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAP = "vigil-admins=admin, payments-oncall=responder:Payments"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def scim_on(settings, roles):
    settings.VIGIL_SCIM_TOKEN = TOKEN
    settings.VIGIL_SSO_GROUP_MAP = MAP


def scim(method, path, body=None, token=TOKEN):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = json.dumps(body) if body is not None else None
    response = getattr(Client(), method)(f"/scim/v2/{path}", data=data, content_type="application/scim+json", **headers)
    return response, (json.loads(response.content) if response.content else None)


def okta_user(username="ann@example.com", given="Ann", family="Lee"):
    """Okta's POST /Users body."""
    return {
        "schemas": [USER_SCHEMA],
        "userName": username,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": True, "value": username, "type": "work"}],
        "displayName": f"{given} {family}",
        "locale": "en-US",
        "externalId": "00u1abcd2EFGH3ijk4x7",
        "groups": [],
        "password": "an-okta-synced-password",
        "active": True,
    }


def entra_user(upn="bob@contoso.example"):
    """Entra ID's POST /Users body."""
    return {
        "schemas": [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "bob",
        "userName": upn,
        "active": True,
        "displayName": "Bob Smith",
        "emails": [{"primary": True, "type": "work", "value": upn}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Bob Smith", "familyName": "Smith", "givenName": "Bob"},
        "roles": [],
    }


def provisioned(body):
    response, doc = scim("post", "Users", body)
    assert response.status_code == 201, doc
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=doc["id"]), doc


def signs_in(user) -> bool:
    """Through Vigil's sign-in page, as a person would (axes needs the request)."""
    browser = Client()
    browser.post("/login/", {"username": user.username, "password": PASSWORD})
    return "_auth_user_id" in browser.session


def okta_deactivate(user):
    return scim("patch", f"Users/{user.pk}", {"schemas": [PATCH_SCHEMA], "Operations": [
        {"op": "replace", "value": {"active": False}}]})  # fmt: skip


def test_without_the_right_token_nothing_happens_and_the_answer_is_401():
    for token in ("", "wrong-token"):
        response, _ = scim("post", "Users", okta_user(), token=token)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
    response = Client().post("/scim/v2/Users", okta_user(), HTTP_AUTHORIZATION=f"Basic {TOKEN}")
    assert response.status_code == 401
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="ann@example.com").exists()


def test_with_no_token_configured_scim_is_off(settings):
    settings.VIGIL_SCIM_TOKEN = ""
    response, _ = scim("get", "Users", token="")
    assert response.status_code == 404


def test_okta_creates_a_person_with_no_role_and_no_password_until_a_group_maps():
    user, doc = provisioned(okta_user())
    assert (user.username, user.first_name, user.email, user.is_active) == (
        "ann@example.com",
        "Ann",
        "ann@example.com",
        True,
    )
    assert doc["externalId"] == "00u1abcd2EFGH3ijk4x7" and doc["active"] is True
    assert role_of(user) is None
    assert not user.has_usable_password()  # Okta's synced password is not kept
    assert AuditEntry.objects.filter(action="user.scim_create", via="scim").exists()
    response, _ = scim("post", "Users", okta_user())
    assert response.status_code == 409  # the same userName again


def test_the_default_role_applies_to_a_person_in_no_mapped_group(settings):
    settings.VIGIL_SSO_DEFAULT_ROLE = "viewer"
    user, _ = provisioned(entra_user())
    assert role_of(user) == Role.VIEWER


def test_okta_and_entra_find_a_person_by_username_filter():
    user, _ = provisioned(okta_user())
    response, doc = scim("get", "Users?filter=userName%20eq%20%22ann%40example.com%22&startIndex=1&count=100")
    assert response.status_code == 200
    assert doc["totalResults"] == 1 and doc["Resources"][0]["id"] == str(user.pk)
    response, doc = scim("get", "Users?filter=userName%20eq%20%22nobody%40example.com%22")
    assert doc["totalResults"] == 0 and doc["Resources"] == []
    response, doc = scim("get", "Users?filter=externalId%20eq%20%2200u1abcd2EFGH3ijk4x7%22")
    assert doc["totalResults"] == 1


def test_a_group_with_members_gives_its_role_and_team_and_removing_a_member_takes_them_away():
    user, _ = provisioned(entra_user())
    response, group = scim("post", "Groups", {
        "schemas": [GROUP_SCHEMA], "displayName": "payments-oncall", "externalId": "8aa1a0c0",
        "members": [{"value": str(user.pk), "display": "bob@contoso.example"}]})  # fmt: skip
    assert response.status_code == 201, group
    assert role_of(user) == Role.RESPONDER
    assert list(user.teams.values_list("name", flat=True)) == ["Payments"]
    response, doc = scim("get", "Groups?filter=displayName%20eq%20%22payments-oncall%22&excludedAttributes=members")
    assert doc["Resources"][0]["id"] == group["id"]
    # Okta removes a member with a filter in the path.
    response, _ = scim("patch", f"Groups/{group['id']}", {"schemas": [PATCH_SCHEMA], "Operations": [
        {"op": "remove", "path": f'members[value eq "{user.pk}"]'}]})  # fmt: skip
    assert response.status_code == 200
    user.refresh_from_db()
    assert role_of(user) is None and not user.teams.exists()
    # Entra ID adds with a value list.
    response, _ = scim("patch", f"Groups/{group['id']}", {"schemas": [PATCH_SCHEMA], "Operations": [
        {"op": "Add", "path": "members", "value": [{"value": str(user.pk)}]}]})  # fmt: skip
    assert response.status_code == 200 and role_of(user) == Role.RESPONDER
    # ...and renames: the new name maps to admin.
    scim("patch", f"Groups/{group['id']}", {"schemas": [PATCH_SCHEMA], "Operations": [
        {"op": "Replace", "path": "displayName", "value": "vigil-admins"}]})  # fmt: skip
    user.refresh_from_db()
    assert role_of(user) == Role.ADMIN and not user.teams.exists()
    response, _ = scim("delete", f"Groups/{group['id']}")
    assert response.status_code == 204 and not ScimGroup.objects.exists()
    user.refresh_from_db()
    assert role_of(user) is None and user.is_active


@pytest.fixture
def on_call(admin_user):
    """Ann on a weekday rotation with Carl and alone on the layer below, holding an override next week,
    on the Payments team's schedule;
    Dora manages schedules in that team; an old incident she declared."""
    ann, _ = provisioned(okta_user())
    ann.set_password(PASSWORD)
    ann.save()
    team = Team.objects.create(name="Payments")
    dora = make_user("dora", Role.ADMIN)
    team.members.add(dora, ann)
    schedule = Schedule.objects.create(name="Payments primary", team=team)
    start = timezone.now() - timedelta(days=30)
    # Ann and Carl take the weekdays in turns; Ann alone covers whatever else (the weekends) below them.
    weekly = Rotation.objects.create(
        schedule=schedule, name="Weekdays", starts_at=start, days=days_mask([1, 2, 3, 4, 5])
    )
    solo = Rotation.objects.create(schedule=schedule, name="Nights", starts_at=start, priority=-1)
    carl = make_user("carl", Role.RESPONDER)
    RotationMember.objects.create(rotation=weekly, user=ann, position=0)
    RotationMember.objects.create(rotation=weekly, user=carl, position=1)
    RotationMember.objects.create(rotation=solo, user=ann, position=0)
    now = timezone.now()
    Override.objects.create(
        schedule=schedule, user=ann, starts_at=now + timedelta(days=7), ends_at=now + timedelta(days=8)
    )
    past = Override.objects.create(
        schedule=schedule, user=ann, starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=2)
    )
    incident, _ = do_declare(Actor(user=ann, via="web"), title="Payments down", paging=False)
    return {"ann": ann, "dora": dora, "carl": carl, "schedule": schedule, "weekly": weekly, "solo": solo,
            "past": past, "incident": incident, "admin": admin_user}  # fmt: skip


def assert_left(on_call, via_response):
    response, doc = via_response
    assert response.status_code in (200, 204), doc
    ann, schedule = on_call["ann"], on_call["schedule"]
    ann.refresh_from_db()
    assert not ann.is_active
    assert not signs_in(ann)
    assert api_client_for(ann).get("/api/v1/me/").status_code == 401
    # Off the rotations, the one they were alone in left empty; their coming override gone, the past one kept.
    assert list(RotationMember.objects.filter(user=ann)) == []
    assert [m.user for m in on_call["weekly"].members.all()] == [on_call["carl"]]
    assert not on_call["solo"].members.exists()
    assert list(Override.objects.filter(user=ann)) == [on_call["past"]]
    # The schedule page flags it.
    page = Client()
    page.force_login(on_call["dora"])
    html = page.get(schedule.get_absolute_url()).content.decode()
    assert 'data-testid="empty-layers"' in html and "Nights" in html
    assert 'data-testid="schedule-gaps"' in html
    # The team's schedule managers are told, by email through the outbox; nobody else.
    mails = Notification.objects.filter(subject__contains="On-call gap")
    assert [m.user for m in mails] == [on_call["dora"]]
    assert "Nights" in mails[0].body and "nobody is left" in mails[0].body
    # History keeps the name.
    event = on_call["incident"].events.first()
    assert event.actor == ann and ann.get_full_name() == "Ann Lee"
    assert AuditEntry.objects.filter(actor=ann, actor_label="ann@example.com").exists()
    assert AuditEntry.objects.filter(action="user.deactivate", via="scim", target_id=str(ann.pk)).exists()


def test_okta_deactivating_a_person_locks_them_out_and_takes_them_off_call_with_a_warning(on_call):
    assert signs_in(on_call["ann"])
    page = Client()
    page.force_login(on_call["dora"])
    assert 'data-testid="schedule-gaps"' not in page.get(on_call["schedule"].get_absolute_url()).content.decode()
    assert_left(on_call, okta_deactivate(on_call["ann"]))
    # Sent again, nothing more happens.
    okta_deactivate(on_call["ann"])
    assert Notification.objects.filter(subject__contains="On-call gap").count() == 1


def test_entra_deactivates_with_a_string_boolean(on_call):
    ann = on_call["ann"]
    assert_left(on_call, scim("patch", f"Users/{ann.pk}", {"schemas": [PATCH_SCHEMA], "Operations": [
        {"op": "Replace", "path": "active", "value": "False"}]}))  # fmt: skip


def test_delete_deactivates_and_keeps_the_person(on_call):
    assert_left(on_call, scim("delete", f"Users/{on_call['ann'].pk}"))
    response, doc = scim("get", f"Users/{on_call['ann'].pk}")
    assert response.status_code == 200 and doc["active"] is False


def test_a_schedule_without_a_team_warns_the_admins(on_call):
    Schedule.objects.filter(pk=on_call["schedule"].pk).update(team=None)
    okta_deactivate(on_call["ann"])
    mails = Notification.objects.filter(subject__contains="On-call gap")
    assert sorted(m.user.username for m in mails) == ["alice-admin", "dora"]


def test_a_signed_in_session_ends_when_the_person_is_deactivated(on_call):
    browser = Client()
    browser.force_login(on_call["ann"])
    assert browser.get("/").wsgi_request.user == on_call["ann"]
    okta_deactivate(on_call["ann"])
    assert not browser.get("/").wsgi_request.user.is_authenticated


def test_reactivating_lets_them_sign_in_again_but_not_back_on_call(on_call):
    ann = on_call["ann"]
    okta_deactivate(ann)
    response, doc = scim("patch", f"Users/{ann.pk}", {"schemas": [PATCH_SCHEMA], "Operations": [
        {"op": "replace", "value": {"active": True}}]})  # fmt: skip
    assert response.status_code == 200 and doc["active"] is True
    assert signs_in(ann)
    assert not RotationMember.objects.filter(user=ann).exists()


def test_put_replaces_the_whole_person():
    user, doc = provisioned(okta_user())
    body = okta_user(given="Annie", family="Lee-Smith") | {
        "id": doc["id"],
        "emails": [{"value": "annie@example.com", "primary": True}],
    }
    response, doc = scim("put", f"Users/{user.pk}", body)
    assert response.status_code == 200, doc
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.email) == ("Annie", "Lee-Smith", "annie@example.com")


def test_entra_patches_attributes_it_knows_and_vigil_ignores_the_rest():
    user, _ = provisioned(entra_user())
    response, doc = scim("patch", f"Users/{user.pk}", {"schemas": [PATCH_SCHEMA], "Operations": [
        {"op": "Replace", "path": "name.givenName", "value": "Robert"},
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "robert@contoso.example"},
        {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Ops"},
        {"op": "Replace", "path": "title", "value": "SRE"}]})  # fmt: skip
    assert response.status_code == 200, doc
    user.refresh_from_db()
    assert (user.first_name, user.email) == ("Robert", "robert@contoso.example")


def test_the_discovery_endpoints_answer_with_the_token():
    response, doc = scim("get", "ServiceProviderConfig")
    assert response.status_code == 200 and doc["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert doc["patch"]["supported"] and doc["filter"]["supported"]
    response, doc = scim("get", "ResourceTypes")
    assert {r["id"] for r in doc["Resources"]} == {"User", "Group"}
    assert scim("get", "ServiceProviderConfig", token="")[0].status_code == 401


def test_an_id_that_is_not_a_users_number_is_404_not_an_error():
    for method in ("get", "delete"):
        response = scim(method, "Users/not-a-number")[0]
        assert response.status_code == 404, (method, response.status_code)
    assert scim("get", "Users/999999")[0].status_code == 404
