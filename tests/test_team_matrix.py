"""The role matrix's team dimension (issue #20): a responder of team A changes A's objects, never B's.

The cases are generated from the URL conf, not listed by hand: every dashboard view that declares the
team-owned object it changes (vigil.access.permission_required(owned=...)) and every API route that
writes an object of a model a team owns (vigil.ownership.register) is tried by a responder of the
owning team and by one of another team. A view that changes a team-owned model without declaring it,
or uses a team permission without naming its object, fails test_every_view_on_a_team_owned_model_declares_it.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from comms.models import StakeholderGroup
from dr_plans.models import CallTreeLevel
from incidents.models import Component, EscalationLevel, EscalationPolicy, Integration, Rotation, Schedule, Team
from incidents.services import do_declare
from monitoring.models import Monitor
from tests.conftest import api_client_for, make_user
from tests.dr_plans.conftest import make_plan
from vigil import ownership
from vigil.audit import Actor
from vigil.roles import Role, team_permissions

# --- What the URL conf holds --------------------------------------------------------------------------


def _walk(resolver: URLResolver, namespaces: tuple = ()):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, (*namespaces, entry.namespace) if entry.namespace else namespaces)
        elif isinstance(entry, URLPattern) and entry.name:
            pattern = entry.pattern
            names = set(getattr(pattern, "converters", {}) or pattern.regex.groupindex)
            yield ":".join([*namespaces, entry.name]), names, entry.callback


def _web_views():
    """(url name, URL kwargs, access) of each dashboard view declaring a team-owned object."""
    for name, kwargs, callback in _walk(get_resolver()):
        access = getattr(callback, "vigil_access", None)
        if access and access["owned"]:
            yield name, kwargs, access


def _api_writes():
    """(url name, URL kwargs, method, action) of each API write to one object of a team-owned model."""
    for name, kwargs, callback in _walk(get_resolver()):
        cls, actions = getattr(callback, "cls", None), getattr(callback, "actions", None) or {}
        if cls is None or "pk" not in kwargs or "format" in kwargs or getattr(cls, "queryset", None) is None:
            continue
        if ownership.owned_spec(cls.queryset.model) is None:
            continue
        for method, action in actions.items():
            # An action needing only a view permission is decided by its own rule for a person (a plan's
            # approver): vigil.api.permissions.action_permission leaves teams out of it.
            classes = getattr(getattr(cls, action, None), "kwargs", {}).get("permission_classes", ())
            if method in ("put", "patch", "delete", "post") and all(getattr(c, "team_scoped", True) for c in classes):
                yield name, kwargs, method, action


WEB = sorted(_web_views(), key=lambda v: v[0])
API = sorted(_api_writes(), key=lambda v: (v[0], v[2]))


# --- Two teams, and what team A owns -------------------------------------------------------------------


@pytest.fixture
def teams(roles):
    payments, search = Team.objects.create(name="Payments"), Team.objects.create(name="Search")
    ada = make_user("ada-payments", Role.RESPONDER)
    bob = make_user("bob-search", Role.RESPONDER)
    payments.members.add(ada)
    search.members.add(bob)
    return {"payments": payments, "search": search, "ada": ada, "bob": bob}


@pytest.fixture
def owned(teams, admin_user):
    """One object of each team-owned kind, all Payments', keyed by model label."""
    team = teams["payments"]
    actor = Actor(user=admin_user, via="web")
    component = Component.objects.create(name="Checkout", owner_team=team)
    schedule = Schedule.objects.create(name="Payments primary", team=team)
    rotation = Rotation.objects.create(schedule=schedule, starts_at=timezone.now() - timedelta(days=1))
    policy = EscalationPolicy.objects.create(name="Payments", team=team)
    level = EscalationLevel.objects.create(policy=policy, position=0, timeout_minutes=5)
    plan = make_plan(actor, name="Payments DB lost", approve=False)
    plan.team = team
    plan.save(update_fields=["team"])
    incident, _ = do_declare(actor, title="Checkout errors", components=[component])
    return {
        "incidents.component": component,
        "incidents.integration": Integration.objects.create(name="Payments alerts", kind="generic", team=team),
        "incidents.schedule": schedule,
        "incidents.rotation": rotation,
        "incidents.escalationpolicy": policy,
        "incidents.escalationlevel": level,
        "incidents.incident": incident,
        "monitoring.monitor": Monitor.objects.create(
            name="Checkout API", kind="heartbeat", team=team, state="paused", interval_seconds=60
        ),
        "dr_plans.drplan": plan,
        "dr_plans.step": plan.steps.first(),
        "dr_plans.calltreelevel": CallTreeLevel.objects.create(plan=plan),
        "comms.stakeholdergroup": StakeholderGroup.objects.create(name="Payments leads", team=team),
    }


# Other URL words, by name: the route needs them to resolve, the object decides.
OTHER_KWARGS = {"move": "submit", "number": 1, "kind": "http"}


def _kwargs(names: set, owned: dict, label: str, kwarg: str) -> dict:
    values = {kwarg: owned[label].pk}
    plan = owned["dr_plans.drplan"]
    extra = {"step_id": plan.steps.first().pk, "level_id": owned["dr_plans.calltreelevel"].pk, **OTHER_KWARGS}
    return {**values, **{name: extra[name] for name in names - {kwarg}}}


def _state(obj):
    model = type(obj)
    row = model._default_manager.filter(pk=obj.pk).first()
    return None if row is None else model_to_dict(row)


def _web_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


# --- The matrix --------------------------------------------------------------------------------------


def test_the_matrix_covers_the_team_owned_endpoints():
    """Generated, so it grows with the URL conf; these are the floors it must never fall below."""
    assert len(WEB) >= 20, [w[0] for w in WEB]
    assert len(API) >= 20, [a[0] for a in API]
    kinds = {access["owned"].lower() for _, _, access in WEB}
    assert {"monitoring.monitor", "incidents.schedule", "incidents.incident", "dr_plans.drplan"} <= kinds


@pytest.mark.parametrize(("name", "kwargs", "access"), WEB, ids=[w[0] for w in WEB])
def test_in_the_dashboard_another_teams_responder_is_refused_and_the_owning_teams_is_not(
    teams, owned, name, kwargs, access
):
    label = access["owned"].lower()
    target = owned[label]
    url = reverse(name, kwargs=_kwargs(kwargs, owned, label, access["kwarg"]))
    before = _state(target)

    refused = _web_client(teams["bob"]).post(url, {"name": "Taken over", "title": "Taken over"})

    assert refused.status_code == 403, (url, refused.status_code)
    assert _state(target) == before

    ada = teams["ada"]
    response = _web_client(ada).get(url) if "edit" in name or "new" in name else _web_client(ada).post(url, {})
    if ada.has_perm(access["perm"]):
        assert response.status_code != 403, (url, response.content[:300])
    else:  # their role lacks it (deleting a schedule is an admin's): refused for the role, not the team
        assert response.status_code in (403, 405)


def _api_call(user, method: str, url: str):
    return getattr(api_client_for(user), method)(url, {"name": "Taken over"}, format="json")


@pytest.mark.parametrize(("name", "kwargs", "method", "action"), API, ids=[f"{a[2]} {a[0]}" for a in API])
def test_through_the_api_another_teams_responder_is_refused_and_the_owning_teams_only_by_role(
    teams, owned, name, kwargs, method, action
):
    view = get_resolver().resolve(reverse(name, kwargs={"pk": 1, **dict.fromkeys(kwargs - {"pk"}, 1)})).func
    label = view.cls.queryset.model._meta.label_lower
    target = owned[label]
    url = reverse(name, kwargs=_kwargs(kwargs, owned, label, "pk"))
    before = _state(target)

    refused = _api_call(teams["bob"], method, url)

    assert refused.status_code in (403, 405), (method, url, refused.status_code, refused.content[:300])
    assert _state(target) == before

    response = _api_call(teams["ada"], method, url)
    if response.status_code == 403:
        assert "belongs to team" not in response.content.decode(), (method, url)


# --- Coverage: what the generated matrix cannot see, it refuses ----------------------------------------

# Views that change (or act on) a team-owned model but are not the team's to decide, with the reason.
NOT_TEAM_SCOPED = {
    # Overrides and swaps are a person's own: the schedule's team does not decide who covers whom.
    "oncall:add_override": "a person covers their own shifts (incidents.oncall.services.do_add_override)",
    "oncall:request_swap": "a person swaps their own shifts",
    # Creating a plan, a monitor or a schedule: admins (add_* is no team permission).
    "monitoring:create": "admins create monitors",
    "monitoring:test_new": "admins test settings not saved yet",
    "oncall:schedule_new": "admins create schedules",
    "dr_plans:create": "admins create plans",
    "incidents:declare": "anyone with the role declares; the incident has no team until components are set",
    "incidents:declare_preview": "a preview changes nothing",
    "dr_plans:vendor_create": "vendors are shared across plans (an admin's)",
    "dr_plans:drill_create": "drills are run by responders across teams",
    "dr_plans:checklist_create": "a runbook is attached by whoever works the incident",
}


def test_every_view_on_a_team_owned_model_declares_it():
    """A view whose permission is a team permission, or changes a model a team owns and names one in
    its URL, must declare the object (owned=...) or be listed above with why it is not the team's."""
    owned_models = {m._meta.label_lower: m for m in ownership.registered()}
    undeclared = []
    for name, kwargs, callback in _walk(get_resolver()):
        access = getattr(callback, "vigil_access", None)
        if not access or access["owned"] or name in NOT_TEAM_SCOPED:
            continue
        app_label, _, codename = access["perm"].partition(".")
        verb, _, model_name = codename.partition("_")
        if access["perm"] in team_permissions():
            undeclared.append(f"{name}: {access['perm']} is a team permission")
        elif verb != "view" and f"{app_label}.{model_name}" in owned_models and kwargs:
            undeclared.append(f"{name}: changes {app_label}.{model_name}")
    assert undeclared == []


@pytest.mark.django_db
def test_every_team_permission_exists():
    for perm in team_permissions():
        app_label, _, codename = perm.partition(".")
        assert Permission.objects.filter(content_type__app_label=app_label, codename=codename).exists(), perm


# --- The rules themselves --------------------------------------------------------------------------


def test_a_shared_object_stays_an_admins_for_team_permissions(teams, admin_user):
    """A schedule no team owns: the team permission does not reach it; the admin's role does."""
    shared = Schedule.objects.create(name="Shared rota")
    url = reverse("oncall:schedule_edit", kwargs={"pk": shared.pk})

    assert _web_client(teams["ada"]).get(url).status_code == 403
    assert _web_client(admin_user).get(url).status_code == 200


def test_a_shared_monitor_stays_workable_by_any_responder(teams):
    """change_monitor is the role's, so a shared monitor is every responder's to pause, as before teams."""
    monitor = Monitor.objects.create(name="Shared", kind="heartbeat", interval_seconds=60)

    response = _web_client(teams["bob"]).post(reverse("monitoring:pause", kwargs={"pk": monitor.pk}))

    assert response.status_code == 302
    monitor.refresh_from_db()
    assert monitor.state == "paused"


def test_a_responder_cannot_hand_their_object_to_another_team(teams, owned):
    schedule = owned["incidents.schedule"]
    response = _api_call(teams["ada"], "patch", f"/api/v1/schedules/{schedule.pk}/")
    assert response.status_code == 200

    client = api_client_for(teams["ada"])
    response = client.patch(f"/api/v1/schedules/{schedule.pk}/", {"team": teams["search"].pk}, format="json")

    assert response.status_code == 403
    assert "one of your teams" in response.json()["errors"][0]["detail"]
    schedule.refresh_from_db()
    assert schedule.team == teams["payments"]


def test_a_responder_cannot_add_a_layer_to_another_teams_schedule_through_the_api(teams, owned):
    schedule = owned["incidents.schedule"]
    data = {"schedule": schedule.pk, "name": "Sneaky", "starts_at": timezone.now().isoformat(), "members": []}
    data["members"] = [teams["ada"].pk]

    refused = api_client_for(teams["bob"]).post("/api/v1/rotations/", data, format="json")
    allowed = api_client_for(teams["ada"]).post("/api/v1/rotations/", data, format="json")

    assert refused.status_code == 403, refused.content
    assert allowed.status_code == 201, allowed.content
    assert list(schedule.rotations.values_list("name", flat=True)).count("Sneaky") == 1


def test_a_responder_paged_for_an_incident_may_act_on_it_whatever_its_team(teams, owned):
    from incidents.models import Page

    incident = owned["incidents.incident"]
    url = reverse("incidents:acknowledge", kwargs={"pk": incident.pk})
    assert _web_client(teams["bob"]).post(url).status_code == 403

    Page.objects.create(incident=incident, user=teams["bob"])

    assert _web_client(teams["bob"]).post(url).status_code == 302
    incident.refresh_from_db()
    assert incident.acknowledged_by == teams["bob"]


def test_a_responder_of_another_team_cannot_review_the_plan(teams, owned):
    plan = owned["dr_plans.drplan"]
    response = api_client_for(teams["bob"]).post(f"/api/v1/dr-plans/{plan.pk}/reviews/", {"changes": "None"})
    assert response.status_code == 403
    assert not plan.reviews.exists()


def test_an_incident_with_no_component_is_anyones_to_work(teams, admin_user):
    incident, _ = do_declare(Actor(user=admin_user), title="Something is off")
    response = _web_client(teams["bob"]).post(reverse("incidents:acknowledge", kwargs={"pk": incident.pk}))
    assert response.status_code == 302


def test_the_refusal_says_whose_object_it_is(teams, owned):
    monitor = owned["monitoring.monitor"]
    response = api_client_for(teams["bob"]).post(f"/api/v1/monitors/{monitor.pk}/pause/")
    assert response.status_code == 403
    assert "belongs to team Payments" in response.json()["errors"][0]["detail"]


# --- My teams, one click from all --------------------------------------------------------------------


def test_lists_show_my_teams_and_shared_objects_by_default_and_all_one_click_away(teams, owned):
    Monitor.objects.create(name="Search API", kind="heartbeat", team=teams["search"], interval_seconds=60)
    Monitor.objects.create(name="Status page", kind="heartbeat", interval_seconds=60)  # shared
    client = _web_client(teams["ada"])

    mine = client.get(reverse("monitoring:list")).content.decode()
    everything = client.get(reverse("monitoring:list") + "?teams=all").content.decode()

    assert "Checkout API" in mine and "Status page" in mine and "Search API" not in mine
    assert "show all" in mine
    assert "Search API" in everything and "only my teams" in everything


def test_someone_in_no_team_sees_everything_and_no_choice(teams, owned, viewer):
    page = _web_client(viewer).get(reverse("oncall:index")).content.decode()
    assert "Payments primary" in page
    assert 'data-testid="team-scope"' not in page


@pytest.mark.parametrize(
    ("url_name", "mine", "theirs"),
    [
        ("oncall:index", "Payments primary", "Search primary"),
        ("dr_plans:list", "Payments DB lost", "Search index lost"),
        ("integrations:list", "Payments alerts", "Search alerts"),
        ("incidents:components", "Checkout", "Search box"),
    ],
)
def test_each_team_scoped_list_narrows_to_my_teams(teams, owned, admin_user, url_name, mine, theirs):
    search = teams["search"]
    Schedule.objects.create(name="Search primary", team=search)
    make_plan(Actor(user=admin_user), name="Search index lost", approve=False, team=search)
    Integration.objects.create(name="Search alerts", kind="generic", team=search)
    Component.objects.create(name="Search box", owner_team=search)
    client = _web_client(teams["ada"])

    page = client.get(reverse(url_name)).content.decode()
    everything = client.get(reverse(url_name) + "?teams=all").content.decode()

    assert mine in page and theirs not in page
    assert theirs in everything


# --- Service keys act for their team alone ---------------------------------------------------------


def test_a_service_key_changes_its_teams_objects_only_and_what_it_creates_is_its_teams(teams, owned, admin_user):
    from accounts.services import do_create_service_key
    from tests.accounts.test_service_keys import bearer

    _, raw = do_create_service_key(
        Actor(user=admin_user), teams["payments"], "ci", scope="write", kinds=["monitoring.monitor"]
    )
    key = bearer(raw)
    shared = Monitor.objects.create(name="Shared", kind="heartbeat", interval_seconds=60)
    theirs = Monitor.objects.create(name="Search API", kind="heartbeat", team=teams["search"], interval_seconds=60)

    assert key.patch(f"/api/v1/monitors/{owned['monitoring.monitor'].pk}/", {"name": "Renamed"}).status_code == 200
    assert key.patch(f"/api/v1/monitors/{shared.pk}/", {"name": "Taken"}).status_code == 403
    assert key.patch(f"/api/v1/monitors/{theirs.pk}/", {"name": "Taken"}).status_code == 403
    created = key.post("/api/v1/monitors/", {"name": "Deploys", "kind": "heartbeat"}, format="json")
    assert created.status_code == 201, created.content
    assert Monitor.objects.get(name="Deploys").team == teams["payments"]
    other = key.post("/api/v1/monitors/", {"name": "X", "kind": "heartbeat", "team": teams["search"].pk})
    assert other.status_code == 403
    assert set(Monitor.objects.values_list("name", flat=True)) == {"Renamed", "Shared", "Search API", "Deploys"}


def test_only_an_admin_makes_a_teams_object_shared(teams, owned, admin_user):
    schedule = owned["incidents.schedule"]

    refused = api_client_for(teams["ada"]).patch(f"/api/v1/schedules/{schedule.pk}/", {"team": None}, format="json")
    web = _web_client(teams["ada"]).post(
        reverse("oncall:schedule_edit", kwargs={"pk": schedule.pk}), {"name": schedule.name, "team": ""}
    )

    assert refused.status_code == 403 and "shared" in refused.json()["errors"][0]["detail"]
    assert web.status_code == 403
    schedule.refresh_from_db()
    assert schedule.team == teams["payments"]
    done = api_client_for(admin_user).patch(f"/api/v1/schedules/{schedule.pk}/", {"team": None}, format="json")
    assert done.status_code == 200
