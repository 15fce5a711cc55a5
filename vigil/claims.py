"""Claiming due rows, so that several workers (or two beat processes) can run side by side.

One mechanism for every "take what is due" loop: the dispatcher's monitors
(monitoring.dispatch), the outbox's rows (comms.outbox), the reputation feeds. The caller
describes the due rows as a queryset, in the order to take them, and what a claimed row
becomes (a lease moved forward, a state and a claim token); claim() takes up to LIMIT of them
and commits, so no other worker takes the same row before the lease runs out.

How a row is kept from two workers:
- PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED. A worker skips the rows another is claiming,
  so two claims split the due rows between them instead of waiting for each other.
- SQLite: the transaction is BEGIN IMMEDIATE (vigil/settings/framework.py), which takes the database's
  one write lock before the SELECT: a second claim waits, then sees the first one's changes.
- Any other backend (neither lock): Healthchecks' way, one conditional UPDATE per candidate
  with the due filter again; a row another worker changed meanwhile updates nothing and is
  left to it ("another worker got there first").
In the first two cases the UPDATE still carries the due filter: it is the same statement's
guard, and costs nothing more than the primary keys it names.
"""

from collections.abc import Sequence
from datetime import datetime

from django.db import connection, transaction
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Func, QuerySet, Value
from django.db.models.expressions import RawSQL


def claim(due: QuerySet, limit: int, fields: Sequence[str] = (), **changes) -> list[tuple]:
    """Claim up to LIMIT rows of DUE, in DUE's order: set CHANGES on them (values or expressions such as
    F("attempts") + 1) and commit. Returns (pk, *FIELDS) of each claimed row as it was before the claim,
    in that order. Runs in its own transaction (a savepoint inside the caller's)."""
    with transaction.atomic():
        rows = list(_locked(due).values_list("pk", *fields)[:limit])
        if not rows:
            return []
        if _holds_rows():
            due.filter(pk__in=_each([row[0] for row in rows])).update(**changes)
            return rows
        return [row for row in rows if due.filter(pk=row[0]).update(**changes) == 1]


def _locked(due: QuerySet) -> QuerySet:
    if connection.features.has_select_for_update_skip_locked:
        # Only the claimed table's rows: a filter through a relation must not lock its rows too.
        of = ("self",) if connection.features.has_select_for_update_of else ()
        return due.select_for_update(skip_locked=True, of=of)
    return due


def _each(keys: list) -> list | RawSQL:
    """KEYS for an IN: on PostgreSQL one array parameter (psycopg adapts it in C), not one per key,
    which Django prepares one by one in Python (measured on a claim of 2,500 monitors: 7 ms of client
    CPU against 10; the raw statement this helper replaced in monitoring.dispatch took 3)."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s)", (keys,))
    return keys


def _holds_rows() -> bool:
    """The rows just read stay as they are until this transaction commits (see the module docstring)."""
    if connection.features.has_select_for_update_skip_locked:
        return True
    options = connection.settings_dict.get("OPTIONS", {})
    return connection.vendor == "sqlite" and str(options.get("transaction_mode", "")).upper() == "IMMEDIATE"


class Seconds(Func):
    """A duration of as many seconds as an integer column holds (Django multiplies no integer by a
    duration on SQLite, where a duration is a count of microseconds; PostgreSQL has intervals)."""

    output_field = DurationField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} * 1000000)", params

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"make_interval(secs => {sql})", params


def lease_until(now: datetime, seconds_column: str) -> ExpressionWrapper:
    """NOW plus each row's own SECONDS_COLUMN, for a lease that differs by row (claim's CHANGES)."""
    return ExpressionWrapper(Value(now) + Seconds(F(seconds_column)), output_field=DateTimeField())
