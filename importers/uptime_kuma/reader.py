"""Reading an Uptime Kuma SQLite database (kuma.db), read-only.

The schema is Uptime Kuma's own (db/kuma.db, db/old_migrations/patch-*.sql and
db/knex_migrations/*.js in louislam/uptime-kuma). Columns come and go between its versions, so rows
are plain dicts read with `SELECT *` and the mapping asks for columns with .get().
"""

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from ..base import SourceError


@dataclass
class KumaData:
    monitors: list[dict]
    notifications: list[dict] = field(default_factory=list)
    notifications_of: dict[int, list[int]] = field(default_factory=dict)  # monitor id -> notification ids
    status_pages: list[dict] = field(default_factory=list)
    groups: list[dict] = field(default_factory=list)  # status page groups, in page then weight order
    group_monitors: dict[int, list[int]] = field(default_factory=dict)  # group id -> monitor ids
    tags_of: dict[int, list[str]] = field(default_factory=dict)  # monitor id -> tag names
    counts: dict[str, int] = field(default_factory=dict)  # rows of tables that are not imported


NOT_IMPORTED = ["heartbeat", "maintenance", "incident", "proxy", "docker_host", "api_key"]


def connect(path: str) -> sqlite3.Connection:
    """A read-only connection (SQLite's mode=ro: the file is never written, not even its journal)."""
    file = Path(path)
    if not file.is_file():
        raise SourceError(f"{path}: no such file (give the path of Uptime Kuma's kuma.db with --db)")
    uri = f"file:{quote(str(file.resolve()))}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
        connection.row_factory = sqlite3.Row
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise SourceError(f"{path} cannot be read as an SQLite database: {exc}") from None
    if "monitor" not in tables:
        connection.close()
        raise SourceError(f"{path} is not an Uptime Kuma database: it has no monitor table")
    return connection


def read(path: str) -> KumaData:
    connection = connect(path)
    try:
        return _read(connection)
    except sqlite3.DatabaseError as exc:
        raise SourceError(f"{path} cannot be read: {exc}") from None
    finally:
        connection.close()


def _rows(connection: sqlite3.Connection, sql: str) -> list[dict]:
    return [dict(row) for row in connection.execute(sql)]


def _tables(connection: sqlite3.Connection) -> set[str]:
    return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _read(connection: sqlite3.Connection) -> KumaData:
    tables = _tables(connection)
    data = KumaData(monitors=_rows(connection, "SELECT * FROM monitor ORDER BY id"))
    if {"notification", "monitor_notification"} <= tables:
        data.notifications = _rows(connection, "SELECT * FROM notification ORDER BY id")
        for row in connection.execute("SELECT monitor_id, notification_id FROM monitor_notification ORDER BY id"):
            data.notifications_of.setdefault(row[0], []).append(row[1])
    if {"status_page", "group", "monitor_group"} <= tables:
        data.status_pages = _rows(connection, "SELECT * FROM status_page ORDER BY id")
        data.groups = _rows(
            connection,
            'SELECT * FROM "group" WHERE status_page_id IS NOT NULL ORDER BY status_page_id, weight, id',
        )
        for row in connection.execute("SELECT group_id, monitor_id FROM monitor_group ORDER BY weight, id"):
            data.group_monitors.setdefault(row[0], []).append(row[1])
    if {"tag", "monitor_tag"} <= tables:
        sql = "SELECT monitor_tag.monitor_id, tag.name FROM monitor_tag JOIN tag ON tag.id = monitor_tag.tag_id"
        for row in connection.execute(sql + " ORDER BY monitor_tag.id"):
            data.tags_of.setdefault(row[0], []).append(row[1])
    for table in NOT_IMPORTED:
        if table in tables:
            data.counts[table] = connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608 (a fixed name)
    return data
