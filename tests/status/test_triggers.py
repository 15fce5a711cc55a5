"""The snapshot is rebuilt after the commit of each kind of change it shows, once per transaction, in the
process that made the change (issue #15: no wait behind the workers' queue)."""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from comms.models import ScheduledMaintenance, StatusPageBranding
from comms.status import services as maintenance_services
from comms.status import snapshot as snapshots
from comms.status import tasks, triggers
from incidents.models import Component, ComponentGroup, PublicStatus
from incidents.services import do_change_status, do_declare, do_post_update, do_reopen, do_resolve, do_set_components
from vigil.celery import app


def summary() -> dict:
    return json.loads(snapshots.current().documents["api/v2/summary.json"].body)


def page() -> str:
    return snapshots.current().documents["index.html"].body.decode()


# Real commits: on_commit callbacks run as they do in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def rebuilds(monkeypatch):
    """Counts the rebuilds made after commits (each runs for real, in this process)."""
    built = []
    real = snapshots.rebuild

    def rebuild(*args, **kwargs):
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(snapshots, "rebuild", rebuild)
    return built


def test_a_component_change_is_on_the_page_after_commit(api, rebuilds):
    rebuilds.clear()
    with transaction.atomic():
        Component.objects.create(name="Search", position=9)
    assert rebuilds == [1]
    assert "Search" in page()
    with transaction.atomic():
        api.name = "Public REST API"
        api.save()
    assert "Public REST API" in page()
    with transaction.atomic():
        Component.objects.get(name="Search").delete()
    assert "Search" not in page()


def test_a_component_made_private_leaves_the_page(api, rebuilds):
    with transaction.atomic():
        api.public = False
        api.save()
    assert all(c["name"] != "Public API" for c in summary()["components"])


def test_a_group_change_is_on_the_page(api, core, rebuilds):
    with transaction.atomic():
        core.name = "Platform"
        core.save()
    assert any(c["name"] == "Platform" and c["group"] for c in summary()["components"])
    with transaction.atomic():
        ComponentGroup.objects.create(name="Empty group")  # no public component: not shown
    assert all(c["name"] != "Empty group" for c in summary()["components"])


def test_incident_actions_each_rebuild_the_page(actor, api, rebuilds):
    with transaction.atomic():
        incident, _ = do_declare(actor, title="Database failover", components={api: "major_outage"})
    assert summary()["status"]["indicator"] == "critical"  # the component's status is public at once
    assert summary()["incidents"] == []  # the incident itself only with a public update
    with transaction.atomic():
        do_post_update(actor, incident, PublicStatus.INVESTIGATING, "Failing over the primary.")
    assert summary()["incidents"][0]["name"] == "Database failover"
    with transaction.atomic():
        do_change_status(actor, incident, "monitoring")
    assert summary()["incidents"][0]["status"] == "monitoring"
    with transaction.atomic():
        do_set_components(actor, incident, {api: "degraded_performance"})
    assert summary()["status"]["indicator"] in ("minor", "critical")
    assert next(c for c in summary()["components"] if c["name"] == "Public API")["status"] == "degraded_performance"
    with transaction.atomic():
        do_resolve(actor, incident)
    assert summary()["incidents"] == []
    assert summary()["status"]["indicator"] == "none"
    with transaction.atomic():
        do_reopen(actor, incident)
    assert summary()["incidents"][0]["status"] == "investigating"


def test_a_public_incidents_title_edit_is_on_the_page(outage, rebuilds):
    with transaction.atomic():
        outage.title = "API errors after a deploy"
        outage.save()
    assert "API errors after a deploy" in page()


def test_maintenance_changes_rebuild_the_page(actor, api, rebuilds):
    start = timezone.now() + timedelta(hours=2)
    with transaction.atomic():
        maintenance = maintenance_services.do_schedule_maintenance(
            actor, title="Database upgrade", message="Ten minutes of read-only mode.", components=[api],
            starts_at=start, ends_at=start + timedelta(hours=1),
        )  # fmt: skip
    assert "Database upgrade" in page()
    with transaction.atomic():
        maintenance_services.do_move_maintenance(actor, maintenance, "in_progress")
    assert summary()["scheduled_maintenances"][0]["status"] == "in_progress"
    with transaction.atomic():
        maintenance_services.do_cancel_maintenance(actor, ScheduledMaintenance.objects.get())
    assert "Database upgrade" not in page()


def test_a_branding_change_rebuilds_the_page(db, rebuilds):
    with transaction.atomic():
        branding = StatusPageBranding.load()
        branding.name = "Acme Status"
        branding.save()
    assert "<title>Acme Status</title>" in page()


def test_many_changes_in_one_transaction_queue_one_rebuild(actor, api, website, rebuilds):
    rebuilds.clear()
    with transaction.atomic(), transaction.atomic():
        for n in range(5):
            Component.objects.create(name=f"Edge {n}")
        api.description = "Changed"
        api.save()
        website.delete()
    assert rebuilds == [1]
    assert "Edge 4" in page()


def test_a_rolled_back_transaction_queues_nothing_and_the_next_one_does(db, rebuilds):
    with pytest.raises(RuntimeError), transaction.atomic():
        Component.objects.create(name="Ghost")
        raise RuntimeError("rolled back")
    assert rebuilds == []
    with transaction.atomic():
        Component.objects.create(name="Real")
    assert rebuilds == [1]


def test_a_savepoint_rolled_back_inside_a_transaction_still_leaves_one_rebuild(db, rebuilds):
    with transaction.atomic():
        Component.objects.create(name="Kept")
        with pytest.raises(RuntimeError), transaction.atomic():
            Component.objects.create(name="Undone")
            raise RuntimeError("rolled back to the savepoint")
        Component.objects.create(name="Also kept")
    assert rebuilds == [1]
    assert "Also kept" in page() and "Undone" not in page()


def test_while_another_process_builds_a_change_is_left_to_it_and_it_builds_once_more(db, rebuilds, monkeypatch):
    # Was: while a queued rebuild waited, more changes queued nothing. Now the builder is a process,
    # and a change made during its build is in its next one (the change counter moved).
    from django.core.cache import cache

    cache.set(triggers.BUILDING_KEY, "another process", timeout=30)
    rebuilds.clear()
    with transaction.atomic():
        Component.objects.create(name="One")
    assert rebuilds == []  # not built alongside the other process
    cache.delete(triggers.BUILDING_KEY)
    with transaction.atomic():
        Component.objects.create(name="Two")
    assert rebuilds == [1]
    assert "One" in page() and "Two" in page()


def test_a_change_during_a_build_is_built_again_at_once(db, rebuilds, monkeypatch):
    real = snapshots.rebuild
    changes = []

    def rebuild(*args, **kwargs):
        result = real(*args, **kwargs)
        if not changes:  # another process commits while this one renders
            changes.append(1)
            Component.objects.create(name="Committed meanwhile")
            triggers._note_change()
        return result

    monkeypatch.setattr(snapshots, "rebuild", rebuild)
    with transaction.atomic():
        Component.objects.create(name="First")
    assert "Committed meanwhile" in page()


def test_without_a_broker_the_page_is_rebuilt_in_the_process(db, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.rebuild_status_page, "apply_async", broken)
    with transaction.atomic():
        Component.objects.create(name="Rebuilt inline")
    assert "Rebuilt inline" in page()


def test_a_build_that_fails_here_is_handed_to_a_worker(db, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.rebuild_status_page, "apply_async", lambda *args, **kw: queued.append(1))

    def broken(*args, **kwargs):
        raise RuntimeError("renderer down")

    monkeypatch.setattr(snapshots, "rebuild", broken)
    with transaction.atomic():
        Component.objects.create(name="Handed on")
    assert queued == [1]


def test_a_cache_that_fails_never_breaks_the_committed_change_and_the_page_still_follows(db, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "incr", down)
    with transaction.atomic():
        Component.objects.create(name="Built without the cache")
    assert "Built without the cache" in page()
    monkeypatch.undo()
    monkeypatch.setattr(cache, "get", down)  # fails mid-way, after the lock was taken
    monkeypatch.setattr(tasks.rebuild_status_page, "apply_async", lambda *args, **kw: None)
    with transaction.atomic():
        Component.objects.create(name="Handed on quietly")
    assert Component.objects.filter(name="Handed on quietly").exists()


def test_a_real_queue_round_trip_rebuilds_through_celery(api, eager_celery, monkeypatch):
    monkeypatch.undo()  # the task's own delay(), run inline by Celery's eager mode: beat's path
    Component.objects.filter(pk=api.pk).update(name="Through Celery")  # a raw UPDATE: no signal
    tasks.rebuild_status_page.delay()
    assert "Through Celery" in page()


def test_the_tasks_go_to_the_default_queue_and_beat_entries_name_real_tasks():
    app.loader.import_default_modules()
    for name in ("comms.status.tasks.rebuild_status_page", "comms.status.tasks.advance_maintenances"):
        assert name in app.tasks
        assert app.amqp.router.route({}, name)["queue"].name == settings.CELERY_TASK_DEFAULT_QUEUE == "default"
    proposed = {
        "status-page-rebuild": ("comms.status.tasks.rebuild_status_page", 60.0),
        "status-maintenance-advance": ("comms.status.tasks.advance_maintenances", 15.0),
    }
    for task, _schedule in proposed.values():
        assert task in app.tasks


def test_the_beat_rebuild_refreshes_the_snapshot_time(outage):
    first = snapshots.rebuild()
    second_version = tasks.rebuild_status_page.apply().get()
    assert second_version > first.version
    assert snapshots.current().taken_at >= first.taken_at
