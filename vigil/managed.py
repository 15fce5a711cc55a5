"""Objects the configuration files manage (issue #22): the one rule every front door asks before an edit.

The files are the truth for what they manage, so an edit made elsewhere is drift the next apply
undoes. VIGIL_MANAGED_EDITS says what the dashboard, the REST API and Django's admin do with one:

- "warn" (the default): the edit goes through; its form warns before saving, and the audit entries
  of the request carry `managed_by_config: "monitors.checkout-api"`, so the drift the next plan
  shows has a name and a time.
- "refuse": the edit is refused with a message naming the key ("Managed by config (key
  monitors.checkout-api): change it in the configuration file and apply."), admins included: the
  point is that the file is the truth. An admin who wants the dashboard to own the object again
  releases it (config_code.services.do_release), which ends config's management of it.

Config apply never asks: it calls the apps' actions directly, so it is never refused.

vigil imports no app (DESIGN.md): config_code registers, in its ready(), the models it manages and
the function that finds their keys. A model joins by being registered; the front doors ask
`check_edit(obj)` (vigil.access.permission_required, vigil.api.permissions.RoleModelPermissions,
ManagedByConfigAdmin) and the pages `{% managed_by_config obj %}` (vigil.templatetags.managed).
"""

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Model

from . import audit

WARN, REFUSE = "warn", "refuse"
MODES = (WARN, REFUSE)

# (model, object ids as strings) -> {object id: "kind.key"}, in one query.
Lookup = Callable[[type[Model], Collection[str]], dict[str, str]]

_models: dict[type[Model], frozenset[str]] = {}  # model -> the fields the files set
# A part the files write with its parent (a schedule's rotations, a policy's levels): model -> the
# foreign key to the parent. Editing the part is editing the parent, under the parent's key.
_parts: dict[type[Model], str] = {}
_lookup: list[Lookup] = []
_MARK = "_vigil_managed_by_config"  # a label ("" for none) put on an instance by mark(): no query after


class ManagedByConfig(PermissionDenied):
    """An edit refused because config manages the object (VIGIL_MANAGED_EDITS=refuse)."""


@dataclass(frozen=True)
class Managed:
    """What config calls an object: its section and key ("monitors", "checkout-api")."""

    label: str  # "monitors.checkout-api"
    content_type_id: int  # with object_id, what the release form names
    object_id: str

    @property
    def refused(self) -> bool:
        return settings.VIGIL_MANAGED_EDITS == REFUSE

    @property
    def message(self) -> str:
        if self.refused:
            return f"Managed by config (key {self.label}): change it in the configuration file and apply."
        return f"Managed by config (key {self.label}): a change made here is undone by the next apply."

    def __str__(self) -> str:
        return self.label


def register(
    models: dict[type[Model], Iterable[str]], lookup: Lookup, parts: dict[type[Model], str] | None = None
) -> None:
    """Called once by config_code's ready(): MODELS are the kinds config manages, each with the fields
    its files set (model field names); LOOKUP finds keys; PARTS are the models written as part of a
    kind's object, each with its foreign key to that object."""
    _models.update({model: frozenset(fields) for model, fields in models.items()})
    _parts.update(parts or {})
    _lookup[:] = [lookup]


def models() -> set[type[Model]]:
    """The models config manages (what config_code registered): what the tests generate cases from."""
    return set(_models)


def manageable(model: type[Model]) -> bool:
    model = model._meta.concrete_model
    return model in _models or model in _parts


def part_of(model: type[Model]) -> type[Model] | None:
    """The kind's model whose objects MODEL's are written with (Schedule for Rotation), else None."""
    fk = _parts.get(model._meta.concrete_model)
    return model._meta.get_field(fk).related_model if fk else None


def whole(obj: Model) -> Model:
    """OBJ, or for a part the object it is written with (a rotation's schedule)."""
    fk = _parts.get(type(obj)._meta.concrete_model)
    return getattr(obj, fk) if fk else obj


def sets_any(model: type[Model], names: Iterable[str]) -> bool:
    """Whether a partial edit of NAMES touches what the files set for MODEL: a component's status,
    which incidents and admins set and the files never do, is no drift. A part is the files' whole."""
    model = model._meta.concrete_model
    return model in _parts or not _models.get(model, frozenset()).isdisjoint(names)


def labels(model: type[Model], ids: Iterable) -> dict[str, str]:
    """{object id: "kind.key"} for those of IDS config manages: one query, none for a model it never manages."""
    ids = {str(pk) for pk in ids if pk is not None}
    if not ids or not _lookup or model._meta.concrete_model not in _models:
        return {}
    return _lookup[0](model._meta.concrete_model, ids)


def mark(objects: Iterable[Model]) -> None:
    """Find the keys of a list's OBJECTS in one query and keep each on its instance, for managed()."""
    by_model: dict[type[Model], list[Model]] = {}
    for obj in objects:
        by_model.setdefault(type(obj), []).append(obj)
    for model, group in by_model.items():
        found = labels(model, [obj.pk for obj in group])
        for obj in group:
            setattr(obj, _MARK, found.get(str(obj.pk), ""))


def managed(obj: Model | None) -> Managed | None:
    """What config calls OBJ (a part: its parent), or None when it does not manage it (one query, none
    after mark(); a part's parent costs one more unless it was selected with it)."""
    if obj is None or obj.pk is None:
        return None
    if (fk := _parts.get(type(obj)._meta.concrete_model)) is not None:
        return managed(getattr(obj, fk))
    label = getattr(obj, _MARK, None)
    if label is None:
        label = labels(type(obj), [obj.pk]).get(str(obj.pk), "")
        setattr(obj, _MARK, label)
    if not label:
        return None
    return Managed(label, ContentType.objects.get_for_model(obj).pk, str(obj.pk))


def check_edit(obj: Model | None) -> Managed | None:
    """Asked by a front door about to change or delete OBJ for a person or a key (never by config apply).

    Raises ManagedByConfig under "refuse"; under "warn" notes the object in the request's audit
    entries and returns it. None when config does not manage OBJ."""
    found = managed(obj)
    if found is None:
        return None
    if found.refused:
        raise ManagedByConfig(found.message)
    audit.note(managed_by_config=found.label)
    return found


def forget(obj: Model) -> None:
    """Drop what managed() remembered of OBJ (after a release)."""
    if hasattr(obj, _MARK):
        delattr(obj, _MARK)


class ManagedByConfigAdmin:
    """Django's admin asks the same rule, for the ModelAdmin of every model config may manage (a test
    checks each has it): under "refuse" a managed object shows read-only and cannot be deleted, alone
    or in a bulk deletion; under "warn" its page warns and the audit notes the change."""

    def _refused(self, obj) -> bool:
        found = managed(obj)
        return found is not None and found.refused

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._refused(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._refused(obj)

    def _say(self, request, object_id) -> None:
        from django.contrib import messages
        from django.contrib.admin.utils import unquote

        found = managed(self.get_object(request, unquote(object_id)))
        if found is None:
            return
        if request.method == "GET":
            messages.add_message(request, messages.ERROR if found.refused else messages.WARNING, found.message)
        elif not found.refused:
            audit.note(managed_by_config=found.label)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._say(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._say(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def delete_queryset(self, request, queryset):
        found = sorted(labels(self.model, queryset.values_list("pk", flat=True)).values())
        if found and settings.VIGIL_MANAGED_EDITS == REFUSE:
            keys = ", ".join(found)
            raise ManagedByConfig(f"Managed by config (keys {keys}): change them in the configuration file and apply.")
        if found:
            audit.note(managed_by_config=", ".join(found))
        super().delete_queryset(request, queryset)
