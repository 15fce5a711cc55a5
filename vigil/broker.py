"""The embedded broker: what Vigil reads and tidies in kombu's SQLAlchemy transport on SQLite.

On one machine without Redis, Celery's broker is a SQLite file (settings.CELERY_BROKER_URL,
"sqla+sqlite:///..."). kombu keeps each message as a row of `kombu_message` and marks it
`visible = 0` when a worker takes it, never deleting it: purge_taken() does, once a taken row
is old enough that no worker can still be holding it unacknowledged (a worker that stops cleanly
puts its unacknowledged messages back as new rows). Plain sqlite3 is enough for both jobs.
"""

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta

from django.conf import settings

PREFIX = "sqla+sqlite:///"


def embedded_path() -> str | None:
    """The SQLite file of the embedded broker, or None when the broker is another (Redis)."""
    url = settings.CELERY_BROKER_URL
    return url.removeprefix(PREFIX) if url.startswith(PREFIX) else None


def _connect(path: str) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=30, isolation_level=None)


def _has_tables(db: sqlite3.Connection) -> bool:
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {"kombu_queue", "kombu_message"} <= names


def queue_lengths(path: str, queues: list[str]) -> dict[str, int]:
    """Messages waiting (not yet taken) in each of QUEUES."""
    counts = dict.fromkeys(queues, 0)
    with closing(_connect(path)) as db:
        if not _has_tables(db):
            return counts  # no worker or sender has opened the broker yet
        rows = db.execute(
            "SELECT q.name, COUNT(*) FROM kombu_message m JOIN kombu_queue q ON q.id = m.queue_id"
            " WHERE m.visible = 1 GROUP BY q.name"
        )
        for name, count in rows:
            if name in counts:
                counts[name] = count
    return counts


def purge_taken(path: str, older_than: timedelta = timedelta(hours=1)) -> int:
    """Delete messages workers took more than OLDER_THAN ago. Returns how many."""
    # kombu writes `timestamp` (its sent_at) as a naive UTC time ("YYYY-MM-DD HH:MM:SS.ffffff").
    cutoff = (datetime.now(UTC) - older_than).replace(tzinfo=None).isoformat(sep=" ")
    with closing(_connect(path)) as db:
        if not _has_tables(db):
            return 0
        return db.execute("DELETE FROM kombu_message WHERE visible = 0 AND timestamp < ?", (cutoff,)).rowcount
