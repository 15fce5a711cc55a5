"""`vigil_export`: today's configuration as files in the plan's own format, so an install moves to
configuration as code in one step.

Each object gets a key derived from its name (slugified; "-2", "-3" when names collide), and is
recorded as managed under that key with origin ADOPTED, so that a plan of the exported files on
this install shows no change, and exporting again writes the same keys. Adopted objects are never
deleted by --prune (a person made them): dropped from the files, config only lets them go.
Fields left at the model's default are not written, so a file says what is particular.
"""

import re
import typing
from decimal import Decimal
from typing import Any

import yaml
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.text import slugify
from pydantic import BaseModel

from .kinds import KINDS, Kind
from .loader import ServerSecrets
from .models import ManagedObject

MAX_KEY = 100


def new_key(kind: Kind, obj, taken: set[str]) -> str:
    if kind.singleton:
        return kind.name
    label = kind.label(obj) if kind.label else getattr(obj, "name", "")
    base = slugify(str(label))[: MAX_KEY - 6].strip("-_") or f"{kind.name.rstrip('s')}-{obj.pk}"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


def _plain(value: Any) -> Any:
    """A value YAML writes as the file's author would: SLO 99.9 as a number."""
    if isinstance(value, Decimal):
        return float(value) if Decimal(str(float(value))) == value else str(value)
    return value


def _item(annotation: Any) -> Any:
    """X of list[X] or list[X] | None; None for anything else."""
    lists = [a for a in (annotation, *typing.get_args(annotation)) if typing.get_origin(a) is list]
    return typing.get_args(lists[0])[0] if lists else None


def _particular(definition: type[BaseModel], values: dict) -> dict[str, Any]:
    """VALUES without those at DEFINITION's default, nested lists of definitions (a schedule's
    rotations, a policy's levels) likewise."""
    data: dict[str, Any] = {}
    for name, value in values.items():
        info = definition.model_fields[name]
        if not info.is_required() and value == info.get_default(call_default_factory=True):
            continue
        item = _item(info.annotation)
        if isinstance(item, type) and issubclass(item, BaseModel) and isinstance(value, list):
            value = [_particular(item, element) for element in value]
        data[name] = _plain(value)
    return data


def secret_reference(kind: Kind, key: str, name: str) -> str:
    """Where a secret is read from instead of the file: a variable the API may read too
    (config_code.loader.ServerSecrets), e.g. VIGIL_CONFIG_INTEGRATIONS_ALERTMANAGER_TOKEN."""
    variable = re.sub(r"[^A-Z0-9]+", "_", f"{kind.name}_{key}_{name}".upper())
    return "${env:" + ServerSecrets.PREFIX + variable + "}"


def _written(kind: Kind, key: str, values: dict) -> dict:
    values = values | {name: secret_reference(kind, key, name) for name in kind.secrets}
    return (
        _particular(kind.definition, values) if kind.singleton else {"key": key, **_particular(kind.definition, values)}
    )


@transaction.atomic
def export() -> dict[str, list[dict] | dict]:
    """Every object of every kind config manages, by section, adopting those it did not manage yet."""
    rows = {kind.name: {} for kind in KINDS}
    for row in ManagedObject.objects.filter(kind__in=rows):
        rows[row.kind][int(row.object_id)] = row.key
    key_of: dict[str, dict[int, str]] = {}
    sections: dict[str, list[dict]] = {}
    adopted = []
    for kind in KINDS:
        keys = key_of[kind.name] = dict(rows[kind.name])
        taken = set(keys.values())
        content_type = ContentType.objects.get_for_model(kind.model)
        objects = list(kind.objects().order_by("pk"))
        for obj in objects:
            if obj.pk not in keys:
                keys[obj.pk] = key = new_key(kind, obj, taken)
                taken.add(key)
                adopted.append(
                    ManagedObject(
                        kind=kind.name,
                        key=key,
                        content_type=content_type,
                        object_id=str(obj.pk),
                        origin=ManagedObject.Origin.ADOPTED,
                    )
                )
        sections[kind.name] = [_written(kind, keys[obj.pk], kind.current(obj, key_of)) for obj in objects]
        if kind.singleton:  # written as its one mapping
            sections[kind.name] = sections[kind.name][0] if objects else {}
    ManagedObject.objects.bulk_create(adopted)
    return sections


def as_yaml(sections: dict[str, list[dict] | dict]) -> str:
    return yaml.safe_dump(
        {name: items for name, items in sections.items() if items}, sort_keys=False, allow_unicode=True, width=120
    )
