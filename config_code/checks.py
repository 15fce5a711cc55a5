"""The checks a plan makes beyond each object's own definition: what objects name (keys in the
files, people with an account), cycles among objects of one kind, unique names, and the model's
own validation. None costs a query per object: people and names taken are one query each."""

import copy
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Model, UniqueConstraint
from django.db.models.functions import Lower

from monitoring.models import Location

from .kinds import KINDS, Kind
from .loader import ConfigError, Entry, Loaded


def names(kind: Kind, entry: Entry) -> list[tuple[tuple, str, str]]:
    """(location under the entry, kind, key) of every object ENTRY names, nested ones included."""
    plain = [((name,), other, getattr(entry.definition, name)) for name, other in kind.refs.items()]
    nested = [
        ((name, *loc), other, key)
        for name, field in kind.nested.items()
        for loc, other, key in field.names(getattr(entry.definition, name))
    ]
    return [(loc, other, key) for loc, other, key in plain + nested if key is not None]


def _named(loaded: Loaded, other: str) -> set[str]:
    """The keys the files' entries name as OTHER (people's emails, locations' names)."""
    return {
        key
        for kind in KINDS
        for entry in loaded.entries.get(kind.name, {}).values()
        for _, named, key in names(kind, entry)
        if named == other
    }


def people(loaded: Loaded) -> dict[str, Model]:
    """The active accounts the files name ("users", by email), in one query."""
    emails = _named(loaded, "users")
    if not emails:
        return {}
    users = get_user_model().objects.annotate(address=Lower("email")).filter(address__in=emails, is_active=True)
    return {user.address: user for user in users}


def places(loaded: Loaded) -> dict[str, Model]:
    """The active locations the files name ("locations", by name: made in the admin, never in files), in one query."""
    wanted = _named(loaded, "locations")
    if not wanted:
        return {}
    return {location.name: location for location in Location.objects.filter(name__in=wanted, revoked_at__isnull=True)}


# What the files name but never define, found in the database instead: (what, how it is named).
OUTSIDE = {"users": "No active account has the email {!r}.", "locations": "No active location is named {!r}."}


def check_references(loaded: Loaded, outside: dict[str, dict[str, Model]]) -> list[ConfigError]:
    """A key named in a reference must be defined in the files, a person must have an active
    account, a location must exist and not be revoked, and a unique name must be used once.
    OUTSIDE: the people and locations found (people(), places())."""
    errors = []
    for kind in KINDS:
        entries = loaded.entries.get(kind.name, {}).values()
        for entry in entries:
            for loc, other, key in names(kind, entry):
                if other in OUTSIDE:
                    if key not in outside.get(other, {}):
                        errors.append(entry.source.error((*entry.place, *loc), OUTSIDE[other].format(key)))
                    continue
                known = loaded.entries.get(other, {}).keys() | loaded.invalid_keys.get(other, set())
                if key not in known:
                    message = f"There is no {other} with the key {key!r} in the files."
                    errors.append(entry.source.error((*entry.place, *loc), message))
        for name, model_field in kind.fields.items():
            if name in kind.refs or not kind.model._meta.get_field(model_field).unique:
                continue
            seen: dict[Any, Entry] = {}
            for entry in entries:
                value = getattr(entry.definition, name)
                if value in seen:
                    shown = "(hidden)" if name in kind.secrets else repr(value)
                    message = f"{shown} is already the {name} of {kind.name} {seen[value].key!r}; it must be unique."
                    errors.append(entry.error(name, message))
                seen.setdefault(value, entry)
    return errors


def _together(kind: Kind) -> list[tuple[str, ...]]:
    """The definition fields of each unconditional UniqueConstraint over several of KIND's fields
    (a template's event and part)."""
    to_definition = {model_field: name for name, model_field in kind.fields.items()}
    return [
        tuple(to_definition[f] for f in constraint.fields)
        for constraint in kind.model._meta.constraints
        if isinstance(constraint, UniqueConstraint)
        and len(constraint.fields) > 1
        and constraint.condition is None
        and all(f in to_definition for f in constraint.fields)
    ]


def check_unique_together(loaded: Loaded) -> list[ConfigError]:
    """Two entries of a kind may not share the values a constraint makes unique together."""
    errors = []
    for kind in KINDS:
        for names_ in _together(kind):
            seen: dict[tuple, Entry] = {}
            for entry in loaded.entries.get(kind.name, {}).values():
                values = tuple(getattr(entry.definition, name) for name in names_)
                if values in seen:
                    message = f"{kind.name} {seen[values].key!r} has the same {' and '.join(names_)} already."
                    errors.append(entry.error(names_[0], message))
                seen.setdefault(values, entry)
    return errors


def self_references(kind: Kind, entry: Entry) -> list[tuple[str, str]]:
    """(field, key) of each object of ENTRY's own kind that it names (a monitor's parents)."""
    return [(loc[0], key) for loc, other, key in names(kind, entry) if other == kind.name]


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
        links = {key: self_references(kind, entry) for key, entry in entries.items()}
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


NAMED = -1  # the id given a reference the files name, for the model's checks: checked by key instead


def model_errors(kind: Kind, entry: Entry, obj: Model | None, diffs) -> list[ConfigError]:
    """The model's own checks (full_clean) on the object as it would be saved, without a query:
    references are checked against the files (check_references), and unique values against the
    files there and against the database by `taken`, one query a kind."""
    instance = copy.copy(obj) if obj is not None else kind.model()
    left_out = {name for name, _, after in diffs if after is None and name in (*kind.secrets, *kind.kept)}
    for name, _, after in diffs:
        if name in kind.fields and name not in kind.refs and name not in left_out:
            setattr(instance, kind.fields[name], after)
    references = [kind.fields[name] for name in kind.refs]
    for name in kind.refs:  # what a clean() asks of a reference is whether there is one (a window's target)
        attname = kind.model._meta.get_field(kind.fields[name]).attname
        if getattr(instance, attname) is None and getattr(entry.definition, name) is not None:
            setattr(instance, attname, NAMED)
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


def taken(kind: Kind, changes: list) -> list[ConfigError]:
    """Unique values (names) the CHANGES (plan.Change) set that another object has already: one
    query a unique field."""
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
