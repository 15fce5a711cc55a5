"""Applying a plan: through the apps' actions, in one transaction, one apply at a time.

`apply_files` takes the apply lock (ApplyLock's one row) first thing in its transaction and only
then plans, so a second apply started meanwhile waits for the first to commit and plans against
what it wrote: applying the same files twice, even at once, makes the changes once. Any error
rolls everything back: the files are applied whole or not at all.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from vigil.audit import Actor

from .kinds import ACTION_ERRORS
from .loader import ConfigError, Loaded, load
from .models import ApplyLock, ManagedObject
from .plan import CREATE, DELETE, RELEASE, UPDATE, Change, Plan, make_plan, source_hash

CONFIG_ACTOR = Actor(via="config")


class ConfigInvalid(Exception):
    """The files cannot be applied; ERRORS say where and why. Nothing was written."""

    def __init__(self, plan: Plan):
        super().__init__("\n".join(str(error) for error in plan.errors))
        self.plan = plan


class ConfigRefused(ConfigInvalid):
    """The files are valid, but the one applying may not make some of their changes (a service key:
    config_code.service_keys). Nothing was written."""


def take_apply_lock(actor: Actor) -> None:
    """Hold the apply lock until the transaction ends. The UPDATE locks the row on PostgreSQL and
    takes the database's write lock on SQLite: either way the next apply waits here."""
    now = timezone.now()
    if not ApplyLock.objects.filter(pk=1).update(last_applied_at=now, last_applied_by=actor.label):
        ApplyLock.objects.get_or_create(pk=1)  # a new database: the row is made once, then locked
        ApplyLock.objects.filter(pk=1).update(last_applied_at=now, last_applied_by=actor.label)


@dataclass
class _Run:
    actor: Actor
    objects: dict[str, dict[str, Model]]
    default_team: Model | None = None  # what a creation naming no team gets (a service key's team)
    new_rows: list[ManagedObject] = field(default_factory=list)  # inserted together at the end

    def resolve(self, kind: str, key: str | None) -> Model | None:
        return None if key is None else self.objects[kind][key]

    def apply(self, change: Change) -> None:
        kind, entry = change.kind, change.entry
        if change.action == CREATE:
            values = kind.model_values(entry.definition, self.resolve)
            if "team" in kind.fields and values[kind.argument("team")] is None:
                values[kind.argument("team")] = self.default_team
            obj = kind.create(self.actor, values)
            self.objects[kind.name][change.key] = obj
            row = change.managed or ManagedObject(kind=kind.name, key=change.key)
            row.content_type = ContentType.objects.get_for_model(obj)
            row.object_id, row.origin = str(obj.pk), ManagedObject.Origin.CREATED
            row.source_hash, row.applied_at = source_hash(entry.definition, kind.secrets), timezone.now()
            if row.pk:  # made again after a deletion in the dashboard
                row.save()
            else:
                self.new_rows.append(row)
        elif change.action == UPDATE:
            values = kind.model_values(entry.definition, self.resolve)
            changed = {kind.argument(name): values[kind.argument(name)] for name, _, _ in change.diffs}
            obj = self.objects[kind.name][change.key] = kind.update(self.actor, change.obj, changed)
            digest = source_hash(entry.definition, kind.secrets)
            ManagedObject.objects.filter(pk=change.managed.pk).update(  # a template moved is another row
                object_id=str(obj.pk), source_hash=digest, applied_at=timezone.now()
            )
        elif change.action == DELETE:
            kind.delete(self.actor, change.obj)
            change.managed.delete()
        elif change.action == RELEASE:
            change.managed.delete()


def _order(plan: Plan) -> list[Change]:
    """Creations and updates in kind order (what is named before what names it), then deletions,
    dependents first: by then nothing config keeps names what goes (a schedule a policy pages)."""
    going = [c for c in plan.changes if c.action in (DELETE, RELEASE)]
    return [c for c in plan.changes if c.action in (CREATE, UPDATE)] + going


def apply_loaded(
    loaded: Loaded,
    actor: Actor = CONFIG_ACTOR,
    prune: bool = False,
    refuse: Callable[[Plan], list[ConfigError]] | None = None,
    default_team: Model | None = None,
) -> Plan:
    """Apply LOADED and return the plan that was applied; ConfigInvalid (nothing written) if it cannot be.
    REFUSE lists the plan's changes the one applying may not make (ConfigRefused if any); DEFAULT_TEAM
    is what an object naming no team is created with (both for a service key: config_code.service_keys)."""
    with transaction.atomic():
        take_apply_lock(actor)
        plan = make_plan(loaded, prune=prune, default_team_id=getattr(default_team, "pk", None))
        if plan.errors:
            raise ConfigInvalid(plan)
        if refuse is not None and (refusals := refuse(plan)):
            plan.errors += refusals
            raise ConfigRefused(plan)
        run = _Run(actor, {name: dict(objects) for name, objects in plan.objects.items()}, default_team)
        for change in _order(plan):
            try:
                run.apply(change)
            except (ValidationError, *ACTION_ERRORS) as exc:  # what the plan's checks could not see; rolls back all
                plan.errors += _placed(change, exc)
                raise ConfigInvalid(plan) from exc
        ManagedObject.objects.bulk_create(run.new_rows, batch_size=1000)
    return plan


def apply_files(files: Iterable[tuple[str, str]], actor: Actor = CONFIG_ACTOR, prune: bool = False) -> Plan:
    return apply_loaded(load(files), actor, prune)


def _placed(change: Change, exc: Exception) -> list[ConfigError]:
    to_definition = {change.kind.argument(name): name for name in [*change.kind.fields, *change.kind.nested]}
    if not isinstance(exc, ValidationError):
        exc = ValidationError(str(exc))
    messages = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    where = change.entry.error if change.entry else (lambda _, message: ConfigError("", None, change.key, message))
    return [where(to_definition.get(name), message) for name, texts in messages.items() for message in texts]
