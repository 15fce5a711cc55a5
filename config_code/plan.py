"""The plan: what applying the files would create, update (field by field) and delete.

Reading what exists costs a fixed number of queries whatever the number of objects: all of
ManagedObject at once, then each kind's objects in one `in_bulk` (tests/config_code checks the
count does not grow). Only objects that change are checked by their model (full_clean), since an
object that does not change is already as its model accepted it; the checks across objects are in
config_code.checks.
"""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from .checks import (
    check_cycles,
    check_references,
    check_unique_together,
    model_errors,
    people,
    places,
    self_references,
    taken,
)
from .kinds import KINDS, Kind
from .loader import ConfigError, Entry, Loaded
from .models import ManagedObject

CREATE, UPDATE, DELETE, RELEASE = "create", "update", "delete", "release"


@dataclass
class Change:
    action: str
    kind: Kind
    key: str
    diffs: list[tuple[str, Any, Any]] = field(default_factory=list)  # (field, before, after)
    entry: Entry | None = None
    obj: Model | None = None
    managed: ManagedObject | None = None


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    errors: list[ConfigError] = field(default_factory=list)
    unchanged: int = 0
    kept: list[tuple[str, str]] = field(default_factory=list)  # managed, not in the files, no --prune
    objects: dict[str, dict[str, Model]] = field(default_factory=dict)  # kind -> key -> existing object

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)


def source_hash(definition, secrets: tuple[str, ...] = ()) -> str:
    """What was applied, as a digest; header values and SECRETS (credentials) are left out of it."""
    data = definition.model_dump(mode="json", exclude=set(secrets))
    if isinstance(data.get("headers"), dict):
        data["headers"] = sorted(data["headers"])
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def dependency_order(kind: Kind, changes: list[Change]) -> list[Change]:
    """CHANGES with what an object names of its own kind first (a parent before its children), so
    that each is there when named; the files' order otherwise. Iterative, for long chains; a cycle
    (refused by check_cycles anyway) cannot loop, each change is placed once."""
    by_key = {change.key: change for change in changes}
    ordered: list[Change] = []
    seen: set[str] = set()
    for first in changes:
        if first.key in seen:
            continue
        seen.add(first.key)
        stack = [(first, iter(self_references(kind, first.entry)))]
        while stack:
            change, named = stack[-1]
            key = next((k for _, k in named if k in by_key and k not in seen), None)
            if key is None:
                ordered.append(change)
                stack.pop()
            else:
                seen.add(key)
                stack.append((by_key[key], iter(self_references(kind, by_key[key].entry))))
    return ordered


def _existing() -> tuple[dict[str, dict[str, ManagedObject]], dict[str, dict[str, Model]]]:
    """Managed rows and their objects, by kind and key: one query for the rows, one per kind."""
    rows: dict[str, dict[str, ManagedObject]] = {kind.name: {} for kind in KINDS}
    for row in ManagedObject.objects.all():
        rows.setdefault(row.kind, {})[row.key] = row
    objects: dict[str, dict[str, Model]] = {}
    for kind in KINDS:
        by_pk = kind.objects().in_bulk([int(row.object_id) for row in rows[kind.name].values()])
        objects[kind.name] = {
            key: by_pk[int(row.object_id)] for key, row in rows[kind.name].items() if int(row.object_id) in by_pk
        }
    return rows, objects


def _diffs(kind: Kind, entry: Entry, now: dict | None) -> list[tuple[str, Any, Any]]:
    wanted = entry.definition.model_dump()
    names = [*kind.fields, *kind.nested]
    if now is None:  # a creation: what the file sets
        return [(name, None, wanted[name]) for name in names]
    kept = {name for name in (*kind.secrets, *kind.kept) if wanted[name] is None}  # left out: it stays
    return [(name, now[name], wanted[name]) for name in names if now[name] != wanted[name] and name not in kept]


def _now(kind: Kind, entry: Entry, obj: Model, key_of: dict, default_team_id: int | None) -> dict:
    """OBJ as its definition's fields; an entry naming no team matches DEFAULT_TEAM_ID's object, as a
    service key's files mean its own team when they name none (config_code.service_keys)."""
    now = kind.current(obj, key_of)
    team_field = kind.fields.get("team")
    if (
        default_team_id is not None
        and team_field
        and entry.definition.team is None
        and getattr(obj, f"{team_field}_id") == default_team_id
    ):
        now["team"] = None
    return now


def make_plan(loaded: Loaded, prune: bool = False, default_team_id: int | None = None) -> Plan:
    """The changes that would make Vigil what LOADED says; errors (with places) instead if any.
    DEFAULT_TEAM_ID: the team an entry naming none stands for (a service key's)."""
    rows, plan_objects = _existing()
    plan_objects["users"] = people(loaded)
    plan_objects["locations"] = places(loaded)
    errors = [*loaded.errors, *check_references(loaded, plan_objects), *check_cycles(loaded)]
    errors += check_unique_together(loaded)
    plan = Plan(errors=errors, objects=plan_objects)
    key_of = {name: {obj.pk: key for key, obj in objects.items()} for name, objects in plan.objects.items()}
    for kind in KINDS:
        changes = []
        for key, entry in loaded.entries.get(kind.name, {}).items():
            obj = plan.objects[kind.name].get(key)
            now = _now(kind, entry, obj, key_of, default_team_id) if obj is not None else None
            diffs = _diffs(kind, entry, now)
            if obj is not None and not diffs:
                plan.unchanged += 1
                continue
            if not loaded.flawed(entry):
                plan.errors += model_errors(kind, entry, obj, diffs)
            action = UPDATE if obj is not None else CREATE
            changes.append(Change(action, kind, key, diffs, entry, obj, rows[kind.name].get(key)))
        plan.errors += taken(kind, [c for c in changes if not loaded.flawed(c.entry)])
        plan.changes += dependency_order(kind, changes)
    if prune and not any(loaded.entries.values()) and not loaded.errors and any(rows.values()):
        # An empty body or a glob that matched nothing, far likelier than a wish to delete it all.
        message = "The files define nothing: --prune would delete everything config manages. Refused."
        plan.errors.append(ConfigError("", None, "", message))
    for kind in reversed(KINDS):
        for key, row in rows[kind.name].items():
            if key in loaded.entries.get(kind.name, {}) or key in loaded.invalid_keys.get(kind.name, ()):
                continue  # still in the files (one refused is an error, never a deletion)
            obj = plan.objects[kind.name].get(key)
            if not prune:
                plan.kept.append((kind.name, key))
            elif row.origin == ManagedObject.Origin.CREATED and obj is not None and not kind.singleton:
                plan.changes.append(Change(DELETE, kind, key, obj=obj, managed=row))
            else:  # adopted by vigil_export (a person made it: config lets it go, never deletes it), or gone
                plan.changes.append(Change(RELEASE, kind, key, obj=obj, managed=row))
    return plan
