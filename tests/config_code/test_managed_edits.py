"""Objects config manages, edited elsewhere: warned (VIGIL_MANAGED_EDITS=warn) or refused (refuse).

The cases are generated, not listed by hand: the kinds from what config_code registered with
vigil.managed (every model of config_code.kinds.KINDS), the dashboard views from the URL conf (every
view vigil.access.guards_managed says asks before a POST), the API writes from the URL conf (every
PATCH and DELETE route of a model config manages), Django's admin from admin.site's registry. A new
kind needs only an entry in SECTIONS below (test_the_files_hold_every_kind_config_manages says so).
"""

import json
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse

from config_code.apply import apply_loaded
from config_code.kinds import BY_NAME, KINDS
from config_code.models import ManagedObject
from incidents.models import Component
from tests.monitoring.test_views import COMMON, VALID
from tests.test_team_matrix import _walk
from vigil import managed
from vigil.access import guards_managed
from vigil.models import AuditEntry

from .conftest import loaded

# One "lonely" object of each kind, which nothing names: each can be deleted alone. Sections of kinds
# this tree's config does not know yet are left out (config_code.kinds.BY_NAME).
SECTIONS = {
    "teams": "  - {key: lonely-team, name: Lonely team}",
    "schedules": "  - {key: lonely-schedule, name: Lonely schedule, time_zone: Europe/Paris%s}\n"
    "  - {key: paged-schedule, name: Paged schedule}",
    "escalation_policies": "  - {key: lonely-policy, name: Lonely policy, repeat: 1,"
    " levels: [{schedules: [paged-schedule]}]}",
    "component_groups": "  - {key: lonely-group, name: Lonely group}",
    "components": "  - {key: lonely-component, name: Lonely component}",
    "monitors": '  - {key: lonely-monitor, name: Lonely monitor, target: "https://lonely.example/health"}\n'
    '  - {key: watched-monitor, name: Watched monitor, target: "https://watched.example/health"}',
    "maintenance_windows": "  - {key: lonely-window, monitor: watched-monitor, reason: Lonely window,"
    " starts_at: 2030-03-01T22:00:00Z, ends_at: 2030-03-02T02:00:00Z}",
    "stakeholder_groups": "  - {key: lonely-stakeholders, name: Lonely stakeholders}",
    "notification_templates": '  - {key: lonely-template, event: update, part: sms, body: "{{ title }}"}',
    "integrations": "  - {key: lonely-integration, name: Lonely integration, kind: alertmanager}",
    "status_page": "  name: Lonely page",
    "dr_plans": "  - {key: lonely-plan, name: Lonely plan, rto_minutes: 30, rpo_minutes: 5,"
    " owner: alice-admin@example.com, steps: [{title: Fail over the database}]}",  # a step: a part to edit
}
LAYERS = (
    ', rotations: [{name: Lonely layer, starts_at: "2026-01-05T08:00:00Z", members: [alice-admin@example.com]},'
    ' {name: Lower layer, starts_at: "2026-01-05T08:00:00Z", members: [alice-admin@example.com]}]'
)  # two, so a layer can move
AUXILIARY = {"paged-schedule", "watched-monitor"}  # named by a lonely object


def every_kind(suffix: str = "") -> str:
    layers = LAYERS if "rotations" in BY_NAME["schedules"].nested else ""
    sections = {name: text.replace("%s", layers) for name, text in SECTIONS.items() if name in BY_NAME}
    return "".join(f"{name}:\n{text}\n" for name, text in sections.items()).replace("Lonely", suffix or "Lonely")


EVERY_KIND = every_kind()
REFUSED = "): change it in the configuration file and apply."


def _guarded_views():
    """(url name, access, model) of each dashboard view that asks vigil.managed before a POST."""
    for name, kwargs, callback in _walk(get_resolver()):
        access = getattr(callback, "vigil_access", None)
        if access and access["owned"] and kwargs == {access["kwarg"]}:  # (a DR plan's step: its own test)
            model = apps.get_model(access["owned"])
            if guards_managed(access["perm"], model, access["managed_edit"]):
                yield name, access, model


def _api_writes():
    """(url name, method, model) of each API PATCH and DELETE of one object of a model config manages."""
    for name, kwargs, callback in _walk(get_resolver()):
        cls, actions = getattr(callback, "cls", None), getattr(callback, "actions", None) or {}
        if cls is None or "pk" not in kwargs or "format" in kwargs or getattr(cls, "queryset", None) is None:
            continue
        if managed.manageable(cls.queryset.model):
            for method in ("patch", "delete"):
                if method in actions:
                    yield name, method, cls.queryset.model


def _text_field(model) -> str | None:
    """The field the API cases PATCH: a kind's name, or a runbook step's title; None when the files set neither."""
    fields = {field.name for field in model._meta.fields}
    return next((name for name in ("name", "title") if name in fields and managed.sets_any(model, [name])), None)


WEB = sorted(_guarded_views(), key=lambda v: v[0])
# A PATCH renames: a kind whose files set no name (a maintenance window) is tried by DELETE only.
API = sorted((case for case in _api_writes() if case[1] != "patch" or _text_field(case[2])), key=lambda v: (v[0], v[1]))
MODELS = sorted(managed.models(), key=lambda m: m._meta.label)


def _monitor_edit(monitor) -> dict:
    return {**COMMON, **VALID["http"], "name": "Renamed by hand", "parents": []}


def _as_posted(obj, fields: list[str], **changes) -> dict:
    """OBJ's FIELDS as its edit form posts them back, with CHANGES."""
    values = {**model_to_dict(obj, fields), **changes}
    posted = lambda v: "" if v is None else [getattr(x, "pk", x) for x in v] if isinstance(v, list) else v  # noqa: E731
    return {name: posted(value) for name, value in values.items()}


def _layer(rotation, **changes) -> dict:
    """The layer form as a browser posts it, its one member kept."""
    member = rotation.members.first().user
    fields = ["name", "starts_at", "shift_length", "shift_unit", "priority", "active_from", "active_until"]
    data = _as_posted(rotation, fields, starts_at="2026-01-05T09:00", days=[str(day) for day in range(1, 8)])
    members = {"members-TOTAL_FORMS": "1", "members-INITIAL_FORMS": "0", "members-0-user": member.pk}
    return {**data, **members, "members-0-ORDER": "1", **changes}


def _plan_edit(plan) -> dict:
    fields = ["name", "description", "team", "components", "owner", "approver", "rto_minutes", "rpo_minutes"]
    return _as_posted(plan, [*fields, "review_every_days", "vendors"], name="Renamed by hand")


def _call_tree_level(plan) -> dict:
    from comms.models import Stakeholder

    person, _ = Stakeholder.objects.get_or_create(name="Dana DBA", defaults={"email": "dana@example.com"})
    return {"position": "0", "people": [person.pk], "escalate_after_minutes": "15", "when": ""}


def _integration_edit(integration) -> dict:
    fields = ["severity", "components", "escalation_policy", "auto_resolve", "enabled"]
    return _as_posted(integration, fields, name="Renamed by hand")


# What an edit view is posted (a name "Renamed by hand" is checked afterwards); a delete view, nothing.
EDITS = {
    "monitoring:edit": _monitor_edit,
    "oncall:schedule_edit": lambda schedule: {"name": "Renamed by hand", "time_zone": schedule.time_zone},
    "oncall:rotation_edit": lambda rotation: _layer(rotation, name="Renamed by hand"),
    "oncall:rotation_new": lambda schedule: _layer(schedule.rotations.first(), name="Hand-made layer", priority="9"),
    "oncall:rotation_move": lambda rotation: {"direction": "down"},  # the top layer (_subject's first)
    "integrations:edit": _integration_edit,
    "integrations:rotate_token": lambda integration: {},  # a button: the files may set the token
    "dr_plans:edit": _plan_edit,
    "dr_plans:level_create": _call_tree_level,
    "dr_plans:step_create": lambda plan: {"title": "Hand-made step", "expected_minutes": "5", "position": ""},
}


@pytest.fixture
def applied(admin_user):
    """{model: the object of that kind the files manage}, applied by config."""
    apply_loaded(loaded(EVERY_KIND))
    return {type(row.target): row.target for row in ManagedObject.objects.exclude(key__in=AUXILIARY)}


def _subject(applied: dict, model):
    """The object of MODEL's kind the files manage; a part's object for a part (a rotation's schedule)."""
    if model not in applied and (parent := managed.part_of(model)) in applied:
        fk = next(f.name for f in model._meta.fields if f.is_relation and f.related_model is parent)
        return model.objects.filter(**{fk: applied[parent]}).first() or pytest.skip("give the object a part")
    if model not in applied:
        pytest.skip("no object of this kind in SECTIONS: test_the_files_hold_every_kind_config_manages fails")
    return applied[model]


def _state(obj):
    found = type(obj).objects.filter(pk=obj.pk).first()
    return found and model_to_dict(found)


def _is_delete(name: str, access: dict) -> bool:
    return access["perm"].partition(".")[2].startswith("delete_")


def _audited(obj, **filters):
    return AuditEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk), **filters
    )


def _label(obj) -> str:
    return managed.managed(obj).label


def test_the_cases_are_found():
    assert {"monitoring:edit", "monitoring:delete", "oncall:schedule_edit", "oncall:schedule_delete"} <= {
        name for name, _, _ in WEB
    }
    assert {"v1:monitor-detail", "v1:schedule-detail", "v1:component-detail"} <= {name for name, _, _ in API}
    # Saving nothing, or no setting the files hold: not asked.
    assert not {"monitoring:test_edit", "monitoring:pause", "monitoring:test_now"} & {name for name, _, _ in WEB}
    assert {kind.model for kind in KINDS} <= set(MODELS)


def test_the_files_hold_every_kind_config_manages(applied):
    assert set(MODELS) <= set(applied), "add an object of the new kind to SECTIONS"


def test_every_edit_view_has_its_edit_here():
    assert [name for name, access, _ in WEB if not _is_delete(name, access) and name not in EDITS] == []


# --- The dashboard -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "access", "model"), WEB, ids=[v[0] for v in WEB])
def test_under_refuse_a_dashboard_edit_changes_nothing_and_names_the_key(
    web_clients, applied, settings, name, access, model
):
    settings.VIGIL_MANAGED_EDITS = "refuse"
    obj, data = _subject(applied, model), EDITS.get(name, lambda obj: {})
    before = _state(obj)
    url = reverse(name, kwargs={access["kwarg"]: obj.pk})
    page = web_clients["admin"].get(url)
    if page.status_code == 200:  # a page with a form, not a POST-only button
        form = page.content.decode()
        assert f"Managed by config (key <code>{_label(obj)}</code>{REFUSED}" in form
        assert re.search(r'<button type="submit"[^>]* disabled>', form)  # nothing to save
    response = web_clients["admin"].post(url, data(obj), follow=True)
    assert f"Managed by config (key {_label(obj)}{REFUSED}" in response.content.decode()
    assert _state(obj) == before
    assert not _audited(obj, via="web").exists()


@pytest.mark.parametrize(("name", "access", "model"), WEB, ids=[v[0] for v in WEB])
def test_under_warn_a_dashboard_edit_goes_through_and_its_audit_entry_names_the_key(
    web_clients, applied, name, access, model
):
    obj = _subject(applied, model)
    label = _label(obj)
    url = reverse(name, kwargs={access["kwarg"]: obj.pk})
    page = web_clients["admin"].get(url)
    if page.status_code == 200:
        assert f"Managed by config as <code>{label}</code>" in page.content.decode()  # warned before saving
    if not _is_delete(name, access) and name not in EDITS:
        pytest.skip("no edit for this view in EDITS: test_every_edit_view_has_its_edit_here fails")
    response = web_clients["admin"].post(url, EDITS.get(name, lambda obj: {})(obj))
    assert response.status_code == 302
    after = _state(obj)
    if _is_delete(name, access):
        assert after is None
    elif EDITS[name](obj).get("name") == "Renamed by hand":
        assert after["name"] == "Renamed by hand"
    entry = AuditEntry.objects.filter(via="web").latest("pk")
    assert entry.details["managed_by_config"] == label


# --- The REST API -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "method", "model"), API, ids=[f"{v[0]}-{v[1]}" for v in API])
def test_under_refuse_an_api_write_is_a_409_naming_the_key(api_clients, applied, settings, name, method, model):
    settings.VIGIL_MANAGED_EDITS = "refuse"
    obj = _subject(applied, model)
    before = _state(obj)
    client = api_clients["admin"]
    data = {_text_field(model) or "name": "Renamed by hand"}
    response = getattr(client, method)(reverse(name, kwargs={"pk": obj.pk}), data, format="json")
    assert response.status_code == 409, response.content
    assert f"Managed by config (key {_label(obj)}{REFUSED}" in json.dumps(response.json())
    assert _state(obj) == before


@pytest.mark.parametrize(("name", "method", "model"), API, ids=[f"{v[0]}-{v[1]}" for v in API])
def test_under_warn_an_api_write_goes_through_and_its_audit_entries_name_the_key(
    api_clients, applied, name, method, model
):
    obj = _subject(applied, model)
    label = _label(obj)
    since = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    client = api_clients["admin"]
    field = _text_field(model) or "name"
    response = getattr(client, method)(reverse(name, kwargs={"pk": obj.pk}), {field: "Renamed by hand"}, format="json")
    assert response.status_code in (200, 204), response.content
    after = _state(obj)
    assert after is None if method == "delete" else after[field] == "Renamed by hand"
    entries = AuditEntry.objects.filter(pk__gt=since or 0, via="api")
    assert entries and all(entry.details.get("managed_by_config") == label for entry in entries)


def test_under_refuse_an_api_patch_of_what_the_files_do_not_set_goes_through(api_clients, applied, settings):
    settings.VIGIL_MANAGED_EDITS = "refuse"
    component = applied[Component]
    response = api_clients["admin"].patch(f"/api/v1/components/{component.pk}/", {"status": "major_outage"})
    assert response.status_code == 200
    component.refresh_from_db()
    assert component.status == "major_outage"


def test_an_api_write_by_an_outsider_is_refused_for_its_role_before_the_key_is_named(api_clients, applied, settings):
    settings.VIGIL_MANAGED_EDITS = "refuse"
    monitor = next(obj for model, obj in applied.items() if model._meta.label == "monitoring.Monitor")
    response = api_clients["viewer"].delete(f"/api/v1/monitors/{monitor.pk}/")
    assert response.status_code == 403 and "lonely-monitor" not in response.content.decode()


# --- Django's admin ------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=[m._meta.label for m in MODELS])
def test_the_admin_of_every_managed_kind_asks_the_rule(model):
    assert model not in admin.site._registry or isinstance(admin.site._registry[model], managed.ManagedByConfigAdmin)


def _deletable_in_admin(model) -> bool:
    """Whether Django's admin edits and deletes MODEL by its own rules (a singleton's never deletes)."""
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        return False
    rules = [c for c in type(model_admin).__mro__ if "has_delete_permission" in vars(c)]
    return rules[1 if rules[0] is managed.ManagedByConfigAdmin else 0].__module__.startswith("django.")


# The kinds Django's admin edits and deletes: a template has no admin, the status page's is a singleton.
ADMIN_MODELS = [model for model in MODELS if _deletable_in_admin(model)]


def _admin_url(obj, view: str) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=[m._meta.label for m in ADMIN_MODELS])
def test_under_refuse_the_admin_shows_a_managed_object_read_only_and_keeps_it(web_clients, applied, settings, model):
    settings.VIGIL_MANAGED_EDITS = "refuse"
    obj, client = _subject(applied, model), web_clients["admin"]
    page = client.get(_admin_url(obj, "change")).content.decode()
    assert f"Managed by config (key {_label(obj)}{REFUSED}" in page
    assert 'name="_save"' not in page  # read-only
    assert client.post(_admin_url(obj, "delete"), {"post": "yes"}).status_code == 403
    changelist = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_changelist")
    bulk = client.post(changelist, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert bulk.status_code == 403
    assert _state(obj) is not None


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=[m._meta.label for m in ADMIN_MODELS])
def test_under_warn_an_admin_deletion_goes_through_and_its_audit_entry_names_the_key(web_clients, applied, model):
    obj = _subject(applied, model)
    label = _label(obj)
    client = web_clients["admin"]
    assert "a change made here is undone by the next apply" in client.get(_admin_url(obj, "change")).content.decode()
    assert client.post(_admin_url(obj, "delete"), {"post": "yes"}).status_code == 302
    assert _state(obj) is None
    assert AuditEntry.objects.get(action="admin.delete").details["managed_by_config"] == label


# --- Config apply, release, marks ----------------------------------------------------------------------


def test_config_apply_is_never_refused(applied, settings):
    settings.VIGIL_MANAGED_EDITS = "refuse"
    apply_loaded(loaded(every_kind("Applied")))
    named = [obj for obj in applied.values() if "name" in _state(obj)]
    assert len(named) >= 6 and all(_state(obj)["name"].startswith("Applied") for obj in named)


def test_release_is_admin_only_audited_and_frees_the_object(web_clients, applied, settings):
    settings.VIGIL_MANAGED_EDITS = "refuse"
    schedule = next(obj for model, obj in applied.items() if model._meta.label == "incidents.Schedule")
    found = managed.managed(schedule)
    url = reverse("config_code:release", args=[found.content_type_id, found.object_id])
    assert web_clients["responder"].post(url).status_code == 403
    page = web_clients["admin"].get(schedule.get_absolute_url()).content.decode()
    assert 'data-testid="release-from-config"' in page and url in page
    assert web_clients["admin"].post(url).status_code == 302
    assert not ManagedObject.objects.filter(key="lonely-schedule").exists()
    entry = AuditEntry.objects.get(action="config.release")
    assert (entry.target_id, entry.details["key"]) == (str(schedule.pk), "lonely-schedule")
    edit = web_clients["admin"].post(f"/oncall/schedules/{schedule.pk}/edit/", EDITS["oncall:schedule_edit"](schedule))
    assert edit.status_code == 302 and _state(schedule)["name"] == "Renamed by hand"


def test_the_lists_show_the_badge(web_clients, applied):
    client = web_clients["admin"]
    for path, key in (
        ("/monitors/", "monitors.lonely-monitor"),
        ("/incidents/components/", "components.lonely-component"),
        ("/oncall/", "schedules.lonely-schedule"),
    ):
        page = client.get(path).content.decode()
        assert f'data-testid="managed-badge">Managed by config <code>{key}</code>' in page, path


def test_a_list_asks_for_its_managed_objects_once(applied):
    components = list(Component.objects.all()) * 3
    with CaptureQueriesContext(connection) as queries:
        managed.mark(components)
        labels = [managed.managed(c) for c in components]
    assert len(queries) == 1 and [str(label) for label in labels] == ["components.lonely-component"] * 3


def test_the_detail_pages_say_managed_by_config_with_the_key(web_clients, applied):
    for obj in applied.values():
        if hasattr(obj, "get_absolute_url"):
            page = web_clients["viewer"].get(obj.get_absolute_url()).content.decode()
            assert f"<code>{_label(obj)}</code>" in page, obj
            assert "release-from-config" not in page  # a viewer may not release


def test_deleting_a_managed_row_in_the_admin_is_a_release_audited(web_clients, applied):
    row = ManagedObject.objects.get(key="lonely-team")
    url = reverse("admin:config_code_managedobject_delete", args=[row.pk])
    response = web_clients["admin"].post(url, {"post": "yes"})
    assert response.status_code == 302 and not ManagedObject.objects.filter(pk=row.pk).exists()
    entry = AuditEntry.objects.get(action="config.release")
    assert (entry.via, entry.target_label, entry.details["key"]) == ("admin", "Lonely team", "lonely-team")


def test_a_part_the_files_write_with_its_object_is_managed_under_the_objects_key(applied):
    from incidents.models import EscalationLevel, EscalationPolicy
    from monitoring.models import Monitor

    level = EscalationLevel.objects.get(policy__name="Lonely policy")
    assert managed.part_of(EscalationLevel) is EscalationPolicy and managed.manageable(EscalationLevel)
    assert str(managed.managed(level)) == "escalation_policies.lonely-policy"
    assert managed.sets_any(EscalationLevel, ["timeout_minutes"])
    assert guards_managed("incidents.add_escalationlevel", EscalationPolicy, None)  # a level added to it
    assert guards_managed("incidents.change_escalationlevel", EscalationLevel, None)
    assert not guards_managed("monitoring.add_maintenancewindow", Monitor, None)  # not written with the monitor
    assert not guards_managed("monitoring.rotate_ping_url", Monitor, None)
