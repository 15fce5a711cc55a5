"""The OpenAPI schema and its docs: for signed-in people and API keys only, and generated once per process."""

import time

import pytest
from drf_spectacular.generators import SchemaGenerator

from vigil.api import schema as schema_view


@pytest.fixture
def generations(monkeypatch):
    """How many times the schema is generated (drf-spectacular's generator, spied on and still run)."""
    schema_view.clear()
    calls = []
    real = SchemaGenerator.get_schema

    def counted(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counted)
    yield calls
    schema_view.clear()


def test_the_schema_and_docs_ask_who_is_asking(api_clients, web_clients, generations):
    anonymous = api_clients["anonymous"].get("/api/schema/?format=json")
    assert anonymous.status_code == 401
    assert anonymous.json()["type"] == "client_error"
    assert generations == []  # refused before any work
    docs = web_clients["anonymous"].get("/api/docs/")
    assert docs.status_code == 302 and "/login/" in docs["Location"]
    assert api_clients["viewer"].get("/api/schema/?format=json").json()["openapi"].startswith("3.")
    assert web_clients["viewer"].get("/api/docs/").status_code == 200


def test_the_second_request_is_served_from_memory_without_generating_the_schema(api_clients, generations):
    viewer = api_clients["viewer"]
    started = time.perf_counter()
    first = viewer.get("/api/schema/")  # YAML, the default
    first_took = time.perf_counter() - started
    assert first.status_code == 200 and len(generations) == 1

    started = time.perf_counter()
    second = viewer.get("/api/schema/")
    second_took = time.perf_counter() - started
    assert second.status_code == 200 and second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert len(generations) == 1, "the second request generated the schema again"
    assert second_took < first_took / 5, (first_took, second_took)

    as_json = viewer.get("/api/schema/?format=json")  # another format: rendered once too, from a new generation
    assert as_json.json()["info"]["title"] == "Vigil API"
    viewer.get("/api/schema/?format=json")
    assert len(generations) == 2
