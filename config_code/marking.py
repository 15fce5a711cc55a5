"""What tells the front doors an object is config's (issue #22): the keys, for vigil.managed.

vigil.managed holds the rule (VIGIL_MANAGED_EDITS) and asks here, through what ready() registers,
which objects the files manage: every model of config_code.kinds.KINDS, so a new kind is marked,
warned about and refused by being a kind."""

from collections.abc import Collection

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from .models import ManagedObject


def managed_labels(model: type[Model], ids: Collection[str]) -> dict[str, str]:
    """{object id: "monitors.checkout-api"} for those of IDS config manages: one query, on the tracking index."""
    rows = ManagedObject.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id__in=list(ids)
    ).values_list("object_id", "kind", "key")
    return {object_id: f"{kind}.{key}" for object_id, kind, key in rows}


def register() -> None:
    from vigil import managed

    from .kinds import KINDS

    managed.register({kind.model: [*kind.fields.values(), *kind.nested] for kind in KINDS}, managed_labels)
