"""The importer framework (issue #17): a plan first, then one transaction per object.

An importer reads another tool's data and returns a Plan: the objects it will create (each with
what maps only approximately), what cannot map and why, and the rows already known to be bad.
`manage.py import_from SOURCE --dry-run` prints the plan and writes nothing; a real run applies it.

Rules every importer keeps, because Importer.apply enforces them:
- Objects are made through the apps' do_* actions with the importer's Actor, so the audit log
  and the signals are the same as for any other front door.
- Each object is created in its own transaction together with its ImportedObject row: an object
  either exists with its record or not at all, and a failure leaves the others imported.
- A (source, kind, source id) recorded before is skipped: running twice duplicates nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction

from vigil.audit import Actor

from .models import ImportedObject

# The actor every import writes with: the audit log shows `import` as the door.
IMPORT_ACTOR = Actor(via="import")


class SourceError(Exception):
    """The source cannot be read at all (missing file, not the tool's database...)."""


Key = tuple[str, str]  # (kind, source id)


@dataclass
class Item:
    """One object to create. build(ctx) creates it through the apps' actions and returns it."""

    kind: str
    source_id: str
    summary: str
    build: Callable[["Context"], object]
    approximations: list[str] = field(default_factory=list)
    needs: list[Key] = field(default_factory=list)

    @property
    def key(self) -> Key:
        return (self.kind, self.source_id)


@dataclass
class Plan:
    source: str
    items: list[Item] = field(default_factory=list)
    cannot_map: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (what, error): bad rows, never created
    imported: set[Key] = field(default_factory=set)  # created by an earlier run

    def cannot(self, what: str, why: str) -> None:
        self.cannot_map.append((what, why))

    @property
    def to_create(self) -> list[Item]:
        return [item for item in self.items if item.key not in self.imported]


@dataclass
class Result:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Context:
    """What an Item's build sees: the actor and the objects imported so far, by source key."""

    def __init__(self, source: str, actor: Actor):
        self.source = source
        self.actor = actor

    def get(self, kind: str, source_id: str):
        row = ImportedObject.objects.filter(source=self.source, kind=kind, source_id=source_id).first()
        return row.target if row else None


class Importer:
    """One source tool. Subclasses set `name`, add their options and build the plan."""

    name = ""

    def __init__(self, **options):
        self.options = options

    @classmethod
    def add_arguments(cls, parser) -> None:
        """Options of this source, added to `import_from`'s parser."""

    @property
    def source(self) -> str:
        """The key ImportedObject rows are stored under: the tool and which instance of it."""
        return f"{self.name}/{self.options.get('instance') or 'default'}"

    def build_plan(self) -> Plan:
        raise NotImplementedError

    def plan(self) -> Plan:
        plan = self.build_plan()
        done = ImportedObject.objects.filter(source=self.source).values_list("kind", "source_id")
        plan.imported = {(kind, source_id) for kind, source_id in done}
        return plan

    def apply(self, plan: Plan, actor: Actor = IMPORT_ACTOR) -> Result:
        result = Result()
        context = Context(self.source, actor)
        failed: set[Key] = set()
        for item in plan.items:
            if item.key in plan.imported:
                result.skipped.append(item.summary)
                continue
            missing = [key for key in item.needs if key in failed]
            if missing:
                failed.add(item.key)
                result.errors.append(f"{item.summary}: not imported, it needs {missing[0][0]} {missing[0][1]}")
                continue
            try:
                with transaction.atomic():
                    created = item.build(context)
                    ImportedObject.objects.create(
                        source=self.source,
                        kind=item.kind,
                        source_id=item.source_id,
                        content_type=ContentType.objects.get_for_model(created),
                        object_id=str(created.pk),
                    )
            except Exception as exc:  # one bad object must not stop the others; each is listed
                failed.add(item.key)
                result.errors.append(f"{item.summary}: {describe(exc)}")
            else:
                result.created.append(item.summary)
        result.errors[:0] = [f"{what}: {error}" for what, error in plan.invalid]
        return result


def describe(exc: Exception) -> str:
    """A one-line reason: a ValidationError's messages by field, or the exception's text."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{name}: {' '.join(errors)}" for name, errors in exc.message_dict.items())
        return " ".join(exc.messages)
    return f"{type(exc).__name__}: {exc}"
