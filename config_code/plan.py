"""The plan: what applying the files would create, update (field by field) and delete.

Reading what exists costs a fixed number of queries whatever the number of objects: all of
ManagedObject at once, then each kind's objects in one `in_bulk` (tests/config_code checks the
count does not grow). Only objects that change are checked by their model (full_clean), since an
object that does not change is already as its model accepted it.
"""

import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Model
from django.db.models.functions import Lower

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


def source_hash(definition) -> str:
    """What was applied, as a digest; header values (credentials) are left out of it."""
    data = definition.model_dump(mode="json")
    if isinstance(data.get("headers"), dict):
        data["headers"] = sorted(data["headers"])
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _names(kind: Kind, entry: Entry) -> list[tuple[tuple, str, str]]:
    """(location under the entry, kind, key) of every object ENTRY names, nested ones included."""
    plain = [((name,), other, getattr(entry.definition, name)) for name, other in kind.refs.items()]
    nested = [
        ((name, *loc), other, key)
        for name, field in kind.nested.items()
        for loc, other, key in field.names(getattr(entry.definition, name))
    ]
    return [(loc, other, key) for loc, other, key in plain + nested if key is not None]


def people(loaded: Loaded) -> dict[str, Model]:
    """The active accounts the files name ("users", by email), in one query."""
    emails = {
        key
        for kind in KINDS
        for entry in loaded.entries.get(kind.name, {}).values()
        for _, other, key in _names(kind, entry)
        if other == "users"
    }
    if not emails:
        return {}
    users = get_user_model().objects.annotate(address=Lower("email")).filter(address__in=emails, is_active=True)
    return {user.address: user for user in users}


def check_references(loaded: Loaded, users: dict[str, Model]) -> list[ConfigError]:
    """A key named in a reference must be defined in the files, a person must have an active
    account, and a unique name must be used once."""
    errors = []
    for kind in KINDS:
        entries = loaded.entries.get(kind.name, {}).values()
        for entry in entries:
            for loc, other, key in _names(kind, entry):
                if other == "users":
                    if key not in users:
                        errors.append(
                            entry.source.error(
                                (kind.name, entry.index, *loc), f"No active account has the email {key!r}."
                            )
                        )
                    continue
                known = loaded.entries.get(other, {}).keys() | loaded.invalid_keys.get(other, set())
                if key not in known:
                    message = f"There is no {other} with the key {key!r} in the files."
                    errors.append(entry.source.error((kind.name, entry.index, *loc), message))
        for name, model_field in kind.fields.items():
            if name in kind.refs or not kind.model._meta.get_field(model_field).unique:
                continue
            seen: dict[Any, Entry] = {}
            for entry in entries:
                value = getattr(entry.definition, name)
                if value in seen:
                    message = f"{value!r} is already the {name} of {kind.name} {seen[value].key!r}; it must be unique."
                    errors.append(entry.error(name, message))
                seen.setdefault(value, entry)
    return errors


def _self_references(kind: Kind, entry: Entry) -> list[tuple[str, str]]:
    """(field, key) of each object of ENTRY's own kind that it names (a monitor's parents)."""
    return [(loc[0], key) for loc, other, key in _names(kind, entry) if other == kind.name]


def _find_cycle(graph: dict[str, list[str]], start: str, done: set[str]) -> list[str] | None:
    """A cycle through objects reachable from START not yet DONE, as the keys on it, or None.
    Iterative: a chain of thousands of monitors must not reach Python's recursion limit."""
    path, stack = [start], [iter(graph[start])]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            done.add(path.pop())
            stack.pop()
        elif child in path:
            return path[path.index(child) :]
        elif child in graph and child not in done:
            path.append(child)
            stack.append(iter(graph[child]))
    return None


def check_cycles(loaded: Loaded) -> list[ConfigError]:
    """An object may not depend on itself through objects of its kind (monitors' parents): one error
    a cycle, at the object of the cycle written first."""
    errors = []
    for kind in KINDS:
        entries = loaded.entries.get(kind.name, {})
        links = {key: _self_references(kind, entry) for key, entry in entries.items()}
        graph = {key: [other for _, other in refs] for key, refs in links.items() if refs}
        graph = {key: [k for k in others if k in graph] for key, others in graph.items()}
        done: set[str] = set()
        for start in graph:
            cycle = _find_cycle(graph, start, done) if start not in done else None
            if cycle is None:
                continue
            done.update(cycle)
            at = cycle.index(min(cycle, key=lambda k: entries[k].index))
            loop = " -> ".join([*cycle[at:], *cycle[:at], cycle[at]])
            errors.append(entries[cycle[at]].error(links[cycle[at]][0][0], f"It depends on itself: {loop}."))
    return errors


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
        stack = [(first, iter(_self_references(kind, first.entry)))]
        while stack:
            change, named = stack[-1]
            key = next((k for _, k in named if k in by_key and k not in seen), None)
            if key is None:
                ordered.append(change)
                stack.pop()
            else:
                seen.add(key)
                stack.append((by_key[key], iter(_self_references(kind, by_key[key].entry))))
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


def model_errors(kind: Kind, entry: Entry, obj: Model | None, diffs) -> list[ConfigError]:
    """The model's own checks (full_clean) on the object as it would be saved, without a query:
    references are checked against the files (check_references), and unique values against the
    files there and against the database by `taken`, one query a kind."""
    instance = copy.copy(obj) if obj is not None else kind.model()
    for name, _, after in diffs:
        if name in kind.fields and name not in kind.refs:
            setattr(instance, kind.fields[name], after)
    references = [kind.fields[name] for name in kind.refs]
    try:
        instance.full_clean(exclude=references, validate_unique=False)
    except ValidationError as exc:
        to_definition = {model_field: name for name, model_field in kind.fields.items()}
        return [
            entry.error(None if field_name == NON_FIELD_ERRORS else to_definition.get(field_name), message)
            for field_name, messages in exc.message_dict.items()
            for message in messages
        ]
    return []


def taken(kind: Kind, changes: list[Change]) -> list[ConfigError]:
    """Unique values (names) the CHANGES set that another object has already, one query a field."""
    errors = []
    for name, model_field in kind.fields.items():
        field = kind.model._meta.get_field(model_field)
        if name in kind.refs or not field.unique:
            continue
        wanted = {after: change for change in changes for n, _, after in change.diffs if n == name}
        if not wanted:
            continue
        for pk, value in kind.model.objects.filter(**{f"{model_field}__in": wanted}).values_list("pk", model_field):
            change = wanted[value]
            if change.obj is None or change.obj.pk != pk:
                message = kind.model().unique_error_message(kind.model, (model_field,)).messages[0]
                errors.append(change.entry.error(name, f"{message} (not one the files manage under this key)"))
    return errors


def _diffs(kind: Kind, entry: Entry, now: dict | None) -> list[tuple[str, Any, Any]]:
    wanted = entry.definition.model_dump()
    names = [*kind.fields, *kind.nested]
    if now is None:  # a creation: what the file sets
        return [(name, None, wanted[name]) for name in names]
    return [(name, now[name], wanted[name]) for name in names if now[name] != wanted[name]]


def make_plan(loaded: Loaded, prune: bool = False) -> Plan:
    """The changes that would make Vigil what LOADED says; errors (with places) instead if any."""
    rows, plan_objects = _existing()
    plan_objects["users"] = people(loaded)
    errors = [*loaded.errors, *check_references(loaded, plan_objects["users"]), *check_cycles(loaded)]
    plan = Plan(errors=errors, objects=plan_objects)
    key_of = {name: {obj.pk: key for key, obj in objects.items()} for name, objects in plan.objects.items()}
    for kind in KINDS:
        changes = []
        for key, entry in loaded.entries.get(kind.name, {}).items():
            obj = plan.objects[kind.name].get(key)
            diffs = _diffs(kind, entry, kind.current(obj, key_of) if obj is not None else None)
            if obj is not None and not diffs:
                plan.unchanged += 1
                continue
            if not loaded.flawed(entry):
                plan.errors += model_errors(kind, entry, obj, diffs)
            action = UPDATE if obj is not None else CREATE
            changes.append(Change(action, kind, key, diffs, entry, obj, rows[kind.name].get(key)))
        plan.errors += taken(kind, [c for c in changes if not loaded.flawed(c.entry)])
        plan.changes += dependency_order(kind, changes)
    for kind in reversed(KINDS):
        for key, row in rows[kind.name].items():
            if key in loaded.entries.get(kind.name, {}) or key in loaded.invalid_keys.get(kind.name, ()):
                continue  # still in the files (one refused is an error, never a deletion)
            obj = plan.objects[kind.name].get(key)
            if not prune:
                plan.kept.append((kind.name, key))
            elif row.origin == ManagedObject.Origin.CREATED and obj is not None:
                plan.changes.append(Change(DELETE, kind, key, obj=obj, managed=row))
            else:  # adopted by vigil_export (a person made it: config lets it go, never deletes it), or gone
                plan.changes.append(Change(RELEASE, kind, key, obj=obj, managed=row))
    return plan
