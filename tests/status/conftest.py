"""Fixtures for the public status page: a clean snapshot store, inline rebuilds, a page with some history."""

import contextlib
from datetime import timedelta

import pytest
import redis
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from comms.status import snapshot as snapshots
from comms.status.triggers import BUILDING_KEY, CHANGES_KEY
from incidents.models import Component, ComponentGroup, PublicStatus
from incidents.services import do_declare, do_post_update, do_resolve
from vigil.audit import Actor


@pytest.fixture(autouse=True)
def clean_snapshot_store(settings, tmp_path):
    """Each test has its own snapshot directory, no snapshot held in memory and no rebuild marked running."""
    settings.VIGIL_STATUS_DIR = str(tmp_path / "status")
    forget_snapshots()
    yield
    forget_snapshots()


def forget_snapshots() -> None:
    snapshots._held.reset()
    cache.delete_many([BUILDING_KEY, CHANGES_KEY])
    client = snapshots._redis()
    if client is not None:
        # A test may have pointed REDIS_URL at a closed port.
        with contextlib.suppress(redis.RedisError):
            client.delete(snapshots.REDIS_DATA_KEY, snapshots.REDIS_VERSION_KEY)


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user, via="web")


@pytest.fixture
def public_client():
    return Client()


@pytest.fixture
def core(db):
    return ComponentGroup.objects.create(name="Core platform", position=1)


@pytest.fixture
def api(core):
    return Component.objects.create(name="Public API", group=core, position=1, description="The REST API.")


@pytest.fixture
def website(core):
    return Component.objects.create(name="Website", group=core, position=2)


@pytest.fixture
def email_component(db):
    return Component.objects.create(name="Email delivery", position=5)


@pytest.fixture
def outage(actor, api):
    """An open incident on the API with two public updates."""
    incident, _ = do_declare(actor, title="Elevated API errors", severity="sev2", components={api: "partial_outage"})
    do_post_update(actor, incident, PublicStatus.INVESTIGATING, "We are looking into errors on the API.")
    do_post_update(actor, incident, PublicStatus.IDENTIFIED, "A bad deploy; rolling back.")
    return incident


@pytest.fixture
def past_incident(actor, website):
    """A resolved incident, three days ago."""
    incident, _ = do_declare(actor, title="Slow website", components={website: "degraded_performance"})
    do_post_update(actor, incident, PublicStatus.INVESTIGATING, "Pages load slowly.")
    do_resolve(actor, incident)
    do_post_update(actor, incident, PublicStatus.RESOLVED, "Fixed: a cache was cold.")
    earlier = timezone.now() - timedelta(days=3)
    type(incident).objects.filter(pk=incident.pk).update(started_at=earlier, resolved_at=earlier + timedelta(hours=1))
    incident.updates.update(created_at=earlier + timedelta(minutes=5), updated_at=earlier + timedelta(minutes=5))
    return incident


@pytest.fixture(autouse=True)
def fresh_rate_limits(monkeypatch):
    """Each test counts subscription requests from zero: the cache (a file, or Redis) outlives tests."""
    import uuid

    from vigil import ratelimit

    prefix = f"vigil:test-{uuid.uuid4().hex}:"
    monkeypatch.setattr(ratelimit, "prefix", lambda: prefix)
