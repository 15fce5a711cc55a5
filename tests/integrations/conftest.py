"""Fixtures for alert ingestion: integrations, the real example payloads, and a way to post them."""

import copy
import json
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

import incidents.integrations
from incidents.integrations.buffer import repeat_buffer
from incidents.models import Integration
from tests.conftest import need
from vigil.buffers import WriteBehindBuffer

FIXTURES = Path(incidents.integrations.__file__).resolve().parent / "fixtures"


def payload(kind: str, name: str) -> dict:
    """A fresh copy of a stored example payload (fixtures/<kind>/<name>.json)."""
    return copy.deepcopy(json.loads((FIXTURES / kind / f"{name}.json").read_text()))


def post(integration: Integration, body, client: Client | None = None, path: str | None = None):
    """POST BODY (a dict, or raw bytes/str) to the integration's URL, as a sender would: no login."""
    client = client or Client()
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(path or integration.get_ingest_path(), data=data, content_type="application/json")


@pytest.fixture
def make_integration(db):
    def make(kind: str = Integration.Kind.ALERTMANAGER, **fields) -> Integration:
        fields.setdefault("name", f"{kind} integration")
        return Integration.objects.create(kind=kind, **fields)

    return make


@pytest.fixture
def alertmanager(make_integration):
    return make_integration(Integration.Kind.ALERTMANAGER, name="Prometheus")


@pytest.fixture
def grafana(make_integration):
    return make_integration(Integration.Kind.GRAFANA, name="Grafana")


@pytest.fixture
def generic(make_integration):
    return make_integration(Integration.Kind.GENERIC, name="Cron jobs")


@pytest.fixture(autouse=True)
def redis_not_paused(monkeypatch):
    """A test that made Redis fail must not send the next tests to the database path: each test
    gets buffers of its own (a buffer pauses after a Redis error)."""
    monkeypatch.setattr(WriteBehindBuffer, "_instances", {})


@pytest.fixture
def without_redis(settings):
    """The database path for every repeat: as on SQLite, or on PostgreSQL without Redis."""
    settings.REDIS_URL = ""


@pytest.fixture
def postgres():
    need("PostgreSQL", connection.vendor == "postgresql", "this is PostgreSQL's path (set DATABASE_URL)")


@pytest.fixture
def buffer(postgres, redis_url, settings, transactional_db):
    """Repeats counted in Redis (PostgreSQL and Redis), from an empty buffer.

    Transactional: markers are written, and flushes commit, after a commit.
    """
    settings.REDIS_URL = redis_url
    buffer = repeat_buffer()
    buffer.clear()
    yield buffer
    buffer.clear()
