"""What tells the front doors an object is config's (issue #22): the keys, for vigil.managed.

vigil.managed holds the rule (VIGIL_MANAGED_EDITS) and asks here, through what ready() registers,
which objects the files manage: every model of config_code.kinds.KINDS, so a new kind is marked,
warned about and refused by being a kind."""

from collections.abc import Collection

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model

from .models import ManagedObject


def managed_labels(model: type[Model], ids: Collection[str]) -> dict[str, str]:
    """{object id: "monitors.checkout-api"} for those of IDS config manages: one query, on the tracking index."""
    rows = ManagedObject.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id__in=list(ids)
    ).values_list("object_id", "kind", "key")
    return {object_id: f"{kind}.{key}" for object_id, kind, key in rows}


def parts(kinds) -> dict[type[Model], str]:
    """The models KINDS write as parts of their objects (a nested field that is a reverse foreign key:
    a schedule's rotations, a policy's levels), each with its foreign key to the object."""
    found = {}
    for kind in kinds:
        for name in kind.nested:
            try:
                field = kind.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if field.one_to_many and field.auto_created:
                found[field.related_model] = field.field.name
    return found


def register() -> None:
    from vigil import managed

    from .kinds import KINDS

    fields = {kind.model: [*kind.fields.values(), *kind.nested] for kind in KINDS}
    managed.register(fields, managed_labels, parts(KINDS))
