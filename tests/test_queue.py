"""vigil.queue: tasks queued by name, on their routed queue, after the commit, loudly when misnamed."""

import base64
import json
import logging

import pytest
from celery.exceptions import NotRegistered
from django.conf import settings
from django.db import transaction

from vigil.models import WorkerHeartbeat
from vigil.queue import enqueue, task


@pytest.fixture
def sent(monkeypatch):
    """What reaches the broker from comms.tasks.kick and comms.tasks.send: [(name, args, options)]."""
    sent = []
    for name in ("comms.tasks.kick", "comms.tasks.send"):
        chosen = task(name)

        def record(args=None, kwargs=None, *, _name=name, **options):
            sent.append((_name, tuple(args or ()), {**options, **({"kwargs": kwargs} if kwargs else {})}))

        monkeypatch.setattr(chosen, "apply_async", record)
    return sent


@pytest.fixture
def broker(redis_url):
    """The Redis broker the suite runs with, its Vigil queues emptied before and after."""
    import redis

    from vigil.celery import app

    assert app.conf.broker_url.startswith("redis"), "routing is checked on the Redis broker (REDIS_URL)"
    client = redis.Redis.from_url(redis_url)
    queues = sorted({route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {"probes", "elsewhere"})
    client.delete(*queues)
    yield client
    client.delete(*queues)


def waiting(client, queue: str) -> list[tuple[str, list, dict]]:
    """(task name, args, headers) of each message waiting in QUEUE, as kombu's Redis transport stores them."""
    found = []
    for raw in client.lrange(queue, 0, -1):
        message = json.loads(raw)
        args = json.loads(base64.b64decode(message["body"]))[0]
        found.append((message["headers"]["task"], args, message["headers"]))
    return found


def test_a_task_queued_by_name_lands_on_the_queue_its_route_names(broker):
    enqueue("comms.tasks.send_pages", "sandbox", on_commit=False)
    enqueue("comms.tasks.send", "sendgrid", on_commit=False)
    enqueue("incidents.tasks.escalate", 7, "0f0f", 2, on_commit=False, countdown=60)
    enqueue("vigil.tasks.record_heartbeat", "host", on_commit=False)
    assert [(name, args) for name, args, _ in waiting(broker, "pages")] == [("comms.tasks.send_pages", ["sandbox"])]
    assert [(name, args) for name, args, _ in waiting(broker, "comms")] == [("comms.tasks.send", ["sendgrid"])]
    ((name, args, headers),) = waiting(broker, "escalation")
    assert (name, args) == ("incidents.tasks.escalate", [7, "0f0f", 2])
    assert headers["eta"], "countdown reached apply_async"
    assert [name for name, _, _ in waiting(broker, "default")] == ["vigil.tasks.record_heartbeat"]


def test_an_explicit_queue_and_expiry_win_over_the_route(broker):
    enqueue("comms.tasks.send", "sendgrid", on_commit=False, queue="elsewhere", expires=60)
    assert waiting(broker, "comms") == []
    ((name, args, headers),) = waiting(broker, "elsewhere")
    assert (name, args) == ("comms.tasks.send", ["sendgrid"]) and headers["expires"]


@pytest.mark.django_db(transaction=True)
def test_it_is_sent_once_the_transaction_commits_not_before(sent):
    with transaction.atomic():
        enqueue("comms.tasks.send", "sandbox", expires=60)
        assert sent == []
    assert sent == [("comms.tasks.send", ("sandbox",), {"expires": 60})]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_queues_nothing(sent):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue("comms.tasks.kick")
        raise RuntimeError("the action failed")
    assert sent == []


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_and_without_on_commit_it_is_sent_at_once(sent):
    enqueue("comms.tasks.kick")
    assert sent == [("comms.tasks.kick", (), {})]
    with transaction.atomic():
        enqueue("comms.tasks.send", "twilio_sms", on_commit=False, kwargs={"extra": 1})
        assert sent[1] == ("comms.tasks.send", ("twilio_sms",), {"kwargs": {"extra": 1}})


@pytest.mark.django_db(transaction=True)
def test_in_eager_mode_the_task_runs_in_place(eager_celery):
    enqueue("vigil.tasks.record_heartbeat", "eager-host")
    assert WorkerHeartbeat.objects.filter(hostname="eager-host").exists()


@pytest.mark.django_db(transaction=True)
def test_an_unknown_name_fails_loudly_in_the_caller_not_after_the_commit(sent):
    with pytest.raises(NotRegistered, match=r"comms\.tasks\.no_such_task"), transaction.atomic():
        enqueue("comms.tasks.no_such_task", 1)
    with pytest.raises(NotRegistered, match=r"nosuchapp\.tasks\.work"):
        enqueue("nosuchapp.tasks.work")
    with pytest.raises(NotRegistered):
        task("fan_out")
    assert sent == []


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_raises_unless_the_work_has_a_sweeper(monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(task("comms.tasks.kick"), "apply_async", down)
    with pytest.raises(ConnectionError):
        enqueue("comms.tasks.kick", on_commit=False)
    with caplog.at_level(logging.ERROR, logger="vigil.queue"), transaction.atomic():
        enqueue("comms.tasks.kick", robust=True)  # after the commit, which the failure must not undo
    assert "Could not queue comms.tasks.kick" in caplog.text


def test_a_task_module_that_cannot_be_imported_says_why(tmp_path, monkeypatch):
    (tmp_path / "brokenapp_h16").mkdir()
    (tmp_path / "brokenapp_h16" / "__init__.py").write_text("")
    (tmp_path / "brokenapp_h16" / "tasks.py").write_text("import no_such_dependency_h16  # noqa\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_h16"):
        task("brokenapp_h16.tasks.work")
