"""The API's shared behaviour: field errors, pagination, the schema and its docs."""

from incidents.models import Incident
from incidents.services import do_declare
from vigil.audit import Actor


def test_bad_input_gets_400_with_field_errors_and_stores_nothing(api_clients):
    response = api_clients["responder"].post(
        "/api/v1/incidents/", {"title": "", "severity": "sev9", "components": [999]}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    fields = {e["attr"] for e in body["errors"]}
    assert {"title", "severity", "components"} <= fields
    assert Incident.objects.count() == 0


def test_malformed_json_is_a_clear_400(api_clients):
    response = api_clients["responder"].post("/api/v1/incidents/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_lists_are_paginated(api_clients, responder):
    for n in range(7):
        do_declare(Actor(user=responder), title=f"Incident {n}")
    page = api_clients["viewer"].get("/api/v1/incidents/?page_size=5").json()
    assert page["count"] == 7 and len(page["results"]) == 5 and page["next"]
    second = api_clients["viewer"].get(page["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None


def test_a_missing_object_is_a_404_in_the_same_shape(api_clients):
    response = api_clients["viewer"].get("/api/v1/incidents/999999/")
    assert response.status_code == 404
    assert response.json()["type"] == "client_error"


def test_the_schema_and_docs_are_served(web_clients):
    client = web_clients["viewer"]  # signed in: the schema and docs are not public (tests/test_api_schema.py)
    schema = client.get("/api/schema/?format=json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/incidents/{id}/acknowledge/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI comes from the sidecar package, not from a CDN.
    assert b"cdn" not in docs.content.lower()


def test_healthz_answers_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


def test_the_audit_log_page_shows_who_did_what(web_clients, responder):
    do_declare(Actor(user=responder, ip="192.0.2.10"), title="Audited")
    page = web_clients["admin"].get("/system/audit/?action=incident.").content.decode()
    assert "incident.declare" in page and responder.username in page and "192.0.2.10" in page
