"""The embedded broker (kombu's SQLAlchemy transport on SQLite): messages are whole, and taken ones are tidied."""

import sqlite3
from datetime import UTC, datetime, timedelta

from kombu import Connection

from vigil import broker


def _url(tmp_path) -> str:
    return f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"


def _age_all_rows(path: str, by: timedelta) -> None:
    then = (datetime.now(UTC) - by).replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE kombu_message SET timestamp = ?", (then,))


def test_the_purge_deletes_old_taken_messages_and_keeps_waiting_ones(tmp_path):
    url = _url(tmp_path)
    with Connection(url) as connection, connection.SimpleQueue("default") as queue:
        for n in range(3):
            queue.put({"n": n})
        queue.get(timeout=5).ack()
    path = str(tmp_path / "broker.sqlite3")
    _age_all_rows(path, timedelta(hours=2))

    assert broker.purge_taken(path) == 1
    assert broker.queue_lengths(path, ["default"]) == {"default": 2}
    with Connection(url) as connection, connection.SimpleQueue("default") as queue:
        assert queue.get(timeout=5).payload == {"n": 1}


def test_the_purge_leaves_a_recently_taken_message_alone(tmp_path):
    """A worker may still hold a message it took a moment ago: only old ones go."""
    with Connection(_url(tmp_path)) as connection, connection.SimpleQueue("default") as queue:
        queue.put({"n": 0})
        queue.get(timeout=5)
    assert broker.purge_taken(str(tmp_path / "broker.sqlite3")) == 0


def test_a_broker_nobody_opened_yet_has_empty_queues(tmp_path):
    path = str(tmp_path / "broker.sqlite3")
    assert broker.queue_lengths(path, ["default"]) == {"default": 0}
    assert broker.purge_taken(path) == 0


def test_the_purge_task_is_a_no_op_on_redis(settings):
    from vigil.tasks import purge_embedded_broker

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    assert purge_embedded_broker() == 0
