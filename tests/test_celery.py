"""Celery: tasks are routed to named queues, and a real worker runs them against Redis."""

import gc
import time

import pytest
from django.conf import settings

from vigil.celery import app
from vigil.models import WorkerHeartbeat


def vigil_tasks():
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def test_every_task_has_a_named_queue_and_every_route_a_real_task():
    routes = settings.CELERY_TASK_ROUTES
    tasks = vigil_tasks()
    assert tasks, "no Vigil task was discovered"
    for name in tasks:
        assert any(
            pattern == name or (pattern.endswith("*") and name.startswith(pattern[:-1])) for pattern in routes
        ), f"{name} has no route"
    for pattern in routes:
        prefix = pattern.rstrip("*")
        assert any(name == pattern or name.startswith(prefix) for name in tasks), f"route {pattern} names no task"


def time_limits(name: str) -> tuple[float | None, float | None]:
    """(soft, hard) seconds the worker gives task NAME: its own, else the defaults."""
    task = app.tasks[name]
    return (
        task.soft_time_limit or app.conf.task_soft_time_limit,
        task.time_limit or app.conf.task_time_limit,
    )


def test_every_task_has_a_soft_and_a_hard_time_limit_the_soft_one_first():
    for name in vigil_tasks():
        soft, hard = time_limits(name)
        assert soft and hard, f"{name} can hold a worker slot for ever (no time limit)"
        assert soft < hard, f"{name}: the soft limit must come first, so the task can stop cleanly"


def test_every_time_limit_override_names_a_real_task():
    tasks = vigil_tasks()
    for name in settings.CELERY_TASK_ANNOTATIONS:
        assert name in tasks, f"CELERY_TASK_ANNOTATIONS names {name}, which is no task"


def test_a_page_send_gives_its_slot_back_sooner_than_a_bulk_send():
    assert time_limits("comms.tasks.send_pages")[1] < time_limits("comms.tasks.send")[1]


def test_tasks_are_acked_late_one_at_a_time():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_a_worker_process_leaves_its_startup_heap_out_of_the_garbage_collectors_passes():
    from celery.signals import worker_process_init

    try:
        worker_process_init.send(sender=None)
        assert gc.get_freeze_count() > 10_000  # Django and the apps, at least
    finally:
        gc.unfreeze()


def test_beat_schedules_the_heartbeat():
    entry = settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]
    assert entry["task"] in vigil_tasks()


@pytest.mark.celery_worker
def test_a_real_worker_records_the_heartbeat(celery_worker):
    from vigil.tasks import record_heartbeat

    record_heartbeat.delay("ci-worker")
    record_heartbeat.delay("ci-worker")
    deadline = time.monotonic() + 20
    beat = None
    while time.monotonic() < deadline:
        beat = WorkerHeartbeat.objects.filter(hostname="ci-worker").first()
        if beat and beat.beats == 2:
            break
        time.sleep(0.1)
    assert beat is not None, "the worker never ran the task"
    assert beat.beats == 2
    assert beat.is_alive()


def test_the_system_page_shows_a_stale_worker_as_not_alive(web_clients, settings):
    from datetime import timedelta

    from django.utils import timezone

    WorkerHeartbeat.objects.create(hostname="old", last_seen=timezone.now() - timedelta(minutes=10))
    page = web_clients["viewer"].get("/system/").content.decode()
    assert "No heartbeat" in page
    WorkerHeartbeat.objects.create(hostname="fresh", last_seen=timezone.now())
    page = web_clients["viewer"].get("/system/").content.decode()
    assert 'data-testid="worker-status">Alive' in page
