"""Every SQL statement of alert ingestion, written out: the paths every alert takes, and the flush
of buffered repeats.

On these paths compiling the ORM's version of a statement cost more than running it, and a
transaction's BEGIN and COMMIT (or a savepoint's two statements) cost more round trips than
the work (bench/alerts.py). Each function here is one statement; the pipeline's paths
(paths/*.py) and the buffer's flush (buffer.py) decide when to run which, and keep the ORM for
everything else.
"""

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import NamedTuple

from django.db import DatabaseError, connection
from django.utils import timezone

from incidents.models import Alert, Incident, IncidentEvent, Integration, Status

from .parsers import ParsedAlert


@functools.cache
def _repeat_sql(placeholders: tuple[str, ...] = ("%s",) * 8) -> str:
    alert, integration, incident = (model._meta.db_table for model in (Alert, Integration, Incident))
    now, title, annotations, fingerprint, token, kind, enabled, resolved = placeholders
    # Table names come from the models; every value is a parameter but the status: the index of
    # alert_one_firing_per_fingerprint serves only a statement that says status = 'firing' in its
    # text. With a parameter there, the prepared statement's generic plan read every alert row
    # of the integration, so a repeat cost more the more alerts it had.
    return f"""
        UPDATE {alert}
        SET received_count = received_count + 1, last_received_at = {now}, title = {title}, annotations = {annotations}
        WHERE fingerprint = {fingerprint} AND status = '{Alert.Status.FIRING.value}'
          AND integration_id = (
            SELECT id FROM {integration} WHERE token = {token} AND kind = {kind} AND enabled = {enabled}
          )
          AND EXISTS (
            SELECT 1 FROM {incident} WHERE {incident}.id = {alert}.incident_id AND {incident}.status <> {resolved}
          )
        RETURNING id, incident_id, integration_id,
          (SELECT last_received_at FROM {integration} WHERE {integration}.id = {alert}.integration_id)
    """  # noqa: S608


# The hot path's statement, prepared once per PostgreSQL session (_execute_prepared_repeat).
# Its name changes with its text: a pooled session may hold an older version.
REPEAT_STATEMENT = "vigil_alert_repeat_2"
REPEAT_TYPES = "timestamptz, text, jsonb, text, text, text, boolean, text"
UNDEFINED_PREPARED_STATEMENT = "26000"


class Repeat(NamedTuple):
    """A repeat counted in the database: its row, and its integration's last_received_at before it."""

    alert_id: int
    incident_id: int
    integration_id: int
    integration_received_at: datetime | None


def count_repeat(kind: str, token: str, parsed: ParsedAlert, now: datetime, hot: bool = False) -> Repeat | None:
    """Count a known firing alert whose incident is open, in one statement.

    Returns None if there is no such row (or no enabled integration of KIND has TOKEN).
    At most one row matches: the partial unique constraint alert_one_firing_per_fingerprint,
    whose index this UPDATE uses, relies on the same condition.
    """
    field = Alert._meta.get_field
    params = [
        field("last_received_at").get_db_prep_save(now, connection),
        parsed.title,
        field("annotations").get_db_prep_save(parsed.annotations, connection),
        parsed.fingerprint,
        token,
        kind,
        True,
        Status.RESOLVED.value,
    ]
    if hot and connection.vendor == "postgresql" and not connection.in_atomic_block:
        row = _execute_prepared_repeat(params)
    else:
        with connection.cursor() as cursor:
            cursor.execute(_repeat_sql(), params)
            row = cursor.fetchone()
    if row is None:
        return None
    return Repeat(row[0], row[1], row[2], _as_aware(row[3]))


def _execute_prepared_repeat(params: list):
    """The hot path on PostgreSQL, outside any transaction: two savings, measured by bench/alerts.py.

    - The statement is prepared once per session, so it is not planned again each time
      (half the database's work for a repeat). A session that lost it (a pooler's
      DISCARD ALL) prepares it again.
    - It commits without waiting for the WAL flush (synchronous_commit off for this one
      statement): the wait was most of a repeat's time. A database crash can then lose
      the last fraction of a second of repeat counts and times; never an alert row, an
      incident or a resolution, which commit as usual. The sender repeats the alert anyway.
    """
    arguments = ", ".join(["%s"] * len(params))
    # Two statements in one query run as one implicit transaction: SET LOCAL applies to it alone.
    sql = f"SET LOCAL synchronous_commit TO OFF; EXECUTE {REPEAT_STATEMENT} ({arguments})"
    with connection.cursor() as cursor:
        try:
            cursor.execute(sql, params)
        except DatabaseError as exc:
            if getattr(exc.__cause__, "pgcode", None) != UNDEFINED_PREPARED_STATEMENT:
                raise
            numbered = tuple(f"${n}" for n in range(1, len(params) + 1))
            cursor.execute(f"PREPARE {REPEAT_STATEMENT} ({REPEAT_TYPES}) AS {_repeat_sql(numbered)}")
            cursor.execute(sql, params)
        return cursor.fetchone()


def _as_aware(value) -> datetime | None:
    """A datetime read by raw SQL: SQLite returns text, naive and in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def create_firing(integration: Integration, parsed: ParsedAlert, incident_id: int, now: datetime) -> int | None:
    """A new firing row in the incident: its id, or None if the alert already has one.

    The ORM's create() needed a savepoint around it, for the IntegrityError: two more round trips.
    """
    row = _firing_row(integration, parsed, incident_id, now)
    sql = f"""
        INSERT INTO {Alert._meta.db_table} ({", ".join(row)}) VALUES ({", ".join(["%s"] * len(row))})
        {ON_FIRING_CONFLICT} RETURNING id
    """  # noqa: S608 (names from the models; every value is a parameter)
    with connection.cursor() as cursor:
        cursor.execute(sql, list(row.values()))
        created = cursor.fetchone()
    return created[0] if created else None


# The conflict target is alert_one_firing_per_fingerprint: its fields and its condition.
ON_FIRING_CONFLICT = (
    f"ON CONFLICT (integration_id, fingerprint) WHERE status = '{Alert.Status.FIRING.value}' DO NOTHING"
)


def _firing_row(integration: Integration, parsed: ParsedAlert, incident_id: int | None, now: datetime) -> dict:
    """Column -> database value of a new firing alert row."""
    return _db_values(
        Alert,
        integration=integration.pk,
        fingerprint=parsed.fingerprint,
        group_key=parsed.group_key,
        status=Alert.Status.FIRING.value,
        title=parsed.title,
        labels=parsed.labels,
        annotations=parsed.annotations,
        source_url=parsed.source_url,
        incident=incident_id,
        starts_at=parsed.starts_at or now,
        ends_at=None,
        received_count=1,
        last_received_at=now,
    )


def _db_values(model, **values) -> dict:
    """Column -> database value, for statements written out: what the ORM would send."""
    fields = {name: model._meta.get_field(name) for name in values}
    return {fields[name].column: fields[name].get_db_prep_save(value, connection) for name, value in values.items()}


def join_open_incident(
    integration: Integration, parsed: ParsedAlert, dedup_key: str, event: IncidentEvent, now: datetime
) -> tuple[int, int] | None:
    """A new firing alert joining its group's open incident, the usual new alert, in one statement.

    What paths.general._take_new writes for it (the incident with DEDUP_KEY locked, the alert row,
    its timeline row EVENT), in one round trip instead of five: a transaction's BEGIN and
    COMMIT and the ORM's compiling cost more than the statements (bench/alerts.py).
    PostgreSQL, outside a transaction. Returns (alert id, incident id), or None when the
    group has no open incident or the alert has a firing row already.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    alert = _firing_row(integration, parsed, None, now)
    event_row = {
        field.column: field.get_db_prep_save(field.pre_save(event, add=True), connection)
        for field in IncidentEvent._meta.concrete_fields
        if not field.primary_key
    }
    # Filled in by the statement: the locked incident's id, and the new row's id in the event's data.
    alert_sql = {"incident_id": "locked.id"}
    event_sql = {"incident_id": "added.incident_id", "data": "%s::jsonb || jsonb_build_object('alert', added.id)"}
    params = [dedup_key, Status.RESOLVED.value]
    params += [value for column, value in alert.items() if column not in alert_sql]
    params += [value for column, value in event_row.items() if column != "incident_id"]
    sql = f"""
        WITH locked AS (
            SELECT id FROM {Incident._meta.db_table} WHERE dedup_key = %s AND status <> %s FOR UPDATE
        ), added AS (
            INSERT INTO {Alert._meta.db_table} ({", ".join(alert)})
            SELECT {", ".join(alert_sql.get(column, "%s") for column in alert)} FROM locked
            {ON_FIRING_CONFLICT} RETURNING id, incident_id
        ), event AS (
            INSERT INTO {IncidentEvent._meta.db_table} ({", ".join(event_row)})
            SELECT {", ".join(event_sql.get(column, "%s") for column in event_row)} FROM added
        )
        SELECT id, incident_id FROM added
    """  # noqa: S608 (names from the models; every value is a parameter)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        joined = cursor.fetchone()
    return (joined[0], joined[1]) if joined else None


def lock_open_incident(dedup_key: str) -> int | None:
    """The id of the open incident with DEDUP_KEY (at most one: incident_one_open_per_dedup_key), locked."""
    incident = Incident._meta.db_table
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        # Written out for the same reason as create_firing; Incident.objects.open() is status <> resolved.
        cursor.execute(
            f"SELECT id FROM {incident} WHERE dedup_key = %s AND status <> %s{lock}",  # noqa: S608
            [dedup_key, Status.RESOLVED.value],
        )
        row = cursor.fetchone()
    return row[0] if row else None


# --- The flush of buffered repeats (buffer.py) ------------------------------------------------------

ADD_CHUNK = 5000  # alert rows per statement (3 parameters each)


def add_repeats(counts: Mapping[int, int], latest: Mapping[int, datetime]) -> tuple[int, int]:
    """Add COUNTS (alert id -> repeats) to the alert rows, and move their last_received_at and their
    integration's forward to LATEST (alert id -> time). Returns (rows counted, repeats added).

    Alert rows deleted since are skipped: their repeats have nothing left to count.
    """
    rows = added = 0
    ids = sorted(counts)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), ADD_CHUNK):
            chunk = ids[start : start + ADD_CHUNK]
            cursor.execute(_add_sql(len(chunk)), [v for pk in chunk for v in (pk, counts[pk], latest.get(pk))])
            chunk_rows, chunk_added = cursor.fetchone()
            rows, added = rows + chunk_rows, added + chunk_added
    return rows, added


def _add_sql(rows: int) -> str:
    alert, integration = Alert._meta.db_table, Integration._meta.db_table
    values = ", ".join(["(%s::bigint, %s::integer, %s::timestamptz)"] * rows)
    # Table names come from the models; every value is a parameter.
    return f"""
        WITH batch (id, n, at) AS (VALUES {values}),
        counted AS (
            UPDATE {alert} SET
                received_count = {alert}.received_count + batch.n,
                last_received_at = GREATEST({alert}.last_received_at, batch.at)
            FROM batch WHERE {alert}.id = batch.id
            RETURNING {alert}.integration_id, batch.n, batch.at
        ),
        latest AS (SELECT integration_id, max(at) AS at FROM counted GROUP BY integration_id),
        touched AS (
            UPDATE {integration} SET last_received_at = latest.at FROM latest
            WHERE {integration}.id = latest.integration_id
              AND ({integration}.last_received_at IS NULL OR {integration}.last_received_at < latest.at)
        )
        SELECT count(*), coalesce(sum(n), 0) FROM counted
    """  # noqa: S608


def set_lock_timeout(timeout: str) -> None:
    """How long this transaction's statements wait for a row lock (PostgreSQL's lock_timeout, e.g. "500ms")."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [timeout])


def current_transaction_id() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_current()")
        return str(cursor.fetchone()[0])


def transaction_status(txid: str) -> str | None:
    """'committed', 'aborted' or 'in progress'; None when PostgreSQL no longer remembers it (long ended)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_status(%s)", [int(txid)])
        return cursor.fetchone()[0]
