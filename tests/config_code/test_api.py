"""POST /api/v1/config/plan and /apply (of people, admins only; service keys: test_service_keys.py).
And the schema for editors."""

import json

import pytest

from config_code.plan import make_plan
from config_code.schema import json_schema_text
from incidents.models import Team
from monitoring.models import Monitor
from vigil.models import AuditEntry

from .conftest import loaded

TEAMS_YAML = "teams:\n  - key: payments\n    name: Payments\n"
ROLES = ["admin", "responder", "viewer", "anonymous"]


def post(client, path: str, body: str, content_type: str = "application/yaml"):
    return client.post(path, data=body, content_type=content_type)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["plan", "apply"])
def test_only_admins_plan_and_apply(api_clients, role, action):
    response = post(api_clients[role], f"/api/v1/config/{action}", TEAMS_YAML)
    assert response.status_code == (200 if role == "admin" else 401 if role == "anonymous" else 403)
    assert Team.objects.filter(name="Payments").exists() == (role == "admin" and action == "apply")


def test_a_plan_lists_the_changes_and_an_apply_makes_them_as_the_admin_via_config(api_clients, admin_user):
    admin = api_clients["admin"]
    plan = post(admin, "/api/v1/config/plan", TEAMS_YAML).json()
    assert plan["changes"] == [
        {
            "action": "create",
            "kind": "teams",
            "key": "payments",
            "fields": {"name": {"before": None, "after": "Payments"}},
        }
    ]
    applied = post(
        admin,
        "/api/v1/config/apply",
        json.dumps({"teams": [{"key": "payments", "name": "Payments"}]}),
        "application/json",
    )
    assert applied.status_code == 200 and applied.json()["summary"].startswith("Plan: 1 to create")
    entry = AuditEntry.objects.get(action="team.create")
    assert (entry.actor, entry.via) == (admin_user, "config")
    assert post(admin, "/api/v1/config/plan", TEAMS_YAML).json()["changes"] == []


def test_an_invalid_body_is_a_400_with_each_error_placed_and_nothing_applied(api_clients):
    response = post(api_clients["admin"], "/api/v1/config/apply", TEAMS_YAML + "    colour: blue\n")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"file": "request", "line": 4, "path": "teams[0].colour", "message": "Extra inputs are not permitted"}
    ]
    assert response.json()["changes"] == [] and response.json()["summary"] == "1 error(s): nothing applied."
    assert not Team.objects.exists()


def test_an_object_made_invalid_is_an_error_and_never_planned_for_deletion(api_clients):
    admin = api_clients["admin"]
    post(admin, "/api/v1/config/apply", TEAMS_YAML)
    response = post(admin, "/api/v1/config/apply?prune=1", TEAMS_YAML + "    colour: blue\n")
    assert response.status_code == 400 and Team.objects.filter(name="Payments").exists()
    plan = make_plan(loaded(TEAMS_YAML + "    colour: blue\n"), prune=True)
    assert plan.changes == [] and len(plan.errors) == 1


def test_the_schema_is_served_to_anyone_as_committed(client):
    response = client.get("/api/v1/config/schema.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/schema+json"
    assert response.content.decode() == json_schema_text()


def test_admins_see_what_config_manages_in_the_django_admin(web_clients):
    from config_code.apply import apply_loaded

    apply_loaded(loaded(TEAMS_YAML))
    page = web_clients["admin"].get("/admin/config_code/managedobject/")
    assert page.status_code == 200 and "payments" in page.content.decode()
    assert web_clients["viewer"].get("/admin/config_code/managedobject/").status_code in (302, 403)


def test_several_files_in_a_multipart_form_are_read_as_one_configuration_with_their_names(api_clients):
    from django.core.files.uploadedfile import SimpleUploadedFile

    teams = SimpleUploadedFile("teams.yaml", TEAMS_YAML.encode())
    components = SimpleUploadedFile("components.yaml", b"components:\n  - key: api\n    name: API\n    team: nobody\n")
    response = api_clients["admin"].post("/api/v1/config/plan", {"file": [teams, components]}, format="multipart")
    assert response.status_code == 400
    assert [(e["file"], e["line"], e["path"]) for e in response.json()["errors"]] == [
        ("components.yaml", 4, "components[0].team")
    ]


def test_over_the_api_a_file_reads_only_vigils_own_config_variables(api_clients, monkeypatch):
    monkeypatch.setenv("VIGIL_CONFIG_CHECKOUT_TOKEN", "s3cret")
    monkeypatch.setenv("SECRET_KEY", "never-readable")
    monitor = "monitors:\n  - key: m\n    name: M\n    target: https://m.example\n    headers: {{X: '${{env:{}}}'}}\n"
    refused = post(api_clients["admin"], "/api/v1/config/plan", monitor.format("SECRET_KEY")).json()
    assert refused["errors"][0]["message"] == (
        "The environment variable SECRET_KEY is not set "
        "(over the API, only Vigil's own VIGIL_CONFIG_* variables are read)."
    )
    applied = post(api_clients["admin"], "/api/v1/config/apply", monitor.format("VIGIL_CONFIG_CHECKOUT_TOKEN"))
    assert applied.status_code == 200
    assert Monitor.objects.get().headers == {"X": "s3cret"}
