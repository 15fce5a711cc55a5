"""Property-based fuzzing of the whole REST API with Schemathesis.

The operations come from the OpenAPI schema Vigil itself serves at /api/schema/
(drf-spectacular), loaded in-process from the WSGI application, so an endpoint
added to the API later is fuzzed here with no change to this file.

Every generated request is sent as the admin persona (whose role has every
permission, so every operation, writes included, is reachable), authenticated
the way a real client is: `Authorization: Bearer <API key>`. Each response must

- not be a server error (no 5xx),
- have a status code the schema documents for the operation,
- have a documented content type and documented headers,
- have a body that validates against the schema documented for that status,
- not be a 401 or 403: the key is valid and the admin may do everything, so a
  refusal would mean the run tested nothing but the authentication layer.

Random ids almost never name a row, so a detail operation (PUT, PATCH, DELETE,
actions) would only ever answer 404 and its validation would go untested. A
generated id that is a valid integer (or its digits) is replaced by the id of a row
that exists, read from the operation's collection (the path up to the `{id}`);
invalid ids (strings, floats, ...) are sent as generated, for the 404 path.

Runs are bounded (MAX_EXAMPLES per operation for the fuzzing phase, valid and
invalid, plus the examples phase) and derandomized, so the same code sends the same
requests in CI and on a laptop. FUZZ_COVERAGE=1 adds the coverage phase's valid
boundary values (about two more minutes).
"""

import os
import re
from datetime import timedelta

import pytest
import schemathesis
from django.test import Client
from django.utils import timezone
from hypothesis import settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from comms.models import Stakeholder, StakeholderGroup
from dr_plans import services as dr_services
from dr_plans.models import Backup, CallTreeLevel, DRPlan, Vendor
from incidents.models import (
    Component,
    ComponentGroup,
    EscalationLevel,
    EscalationPolicy,
    Override,
    Rotation,
    RotationMember,
    Schedule,
    Severity,
    SwapRequest,
)
from incidents.services import do_declare
from monitoring.models import CheckResult, MaintenanceWindow, Monitor, StateChange
from postmortems.models import PostMortem
from tests.monitoring.servers import closed_port
from vigil.audit import Actor
from vigil.models import ApiKey
from vigil.services import do_create_api_key

SCHEMA_PATH = "/api/schema/"
# Examples per operation: the suite's budget grows with every endpoint (about 170 operations on
# 5 Dec 2026, when 10 examples took nearly two minutes), so CI keeps it modest;
# FUZZ_MAX_EXAMPLES=200 bin/test tests/test_api_fuzz.py digs deeper.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "7"))
# The coverage phase walks each schema's boundaries. Even its valid half alone more than doubled
# the run (from 1.5 to 3.8 minutes, 27 Nov), so the suite leaves it to FUZZ_COVERAGE=1; invalid
# input comes from the fuzzing phase's negative examples and from each app's own tests of its 400s.
CONFIG = SchemathesisConfig.from_str(
    '[phases.coverage]\ngeneration.mode = "positive"\n'
    if os.environ.get("FUZZ_COVERAGE") == "1"
    else "[phases.coverage]\nenabled = false\n"
)
PATH_PARAMETER = re.compile(r"\{([^}]+)\}")
INTEGER = re.compile(r"-?[0-9]+")


def authorized(ctx, response, case):
    """The admin's key is accepted and the admin is allowed every operation."""
    if response.status_code in (401, 403):
        raise AssertionError(f"The admin's request was refused with {response.status_code}: {response.text[:300]}")


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    authorized,
]


@pytest.fixture
def fuzz_seed(transactional_db, admin_user):
    """A few rows, so detail endpoints and related fields have something to find."""
    actor = Actor(user=admin_user, via="cli")
    core = ComponentGroup.objects.create(name="Core")
    api = Component.objects.create(name="API", group=core, description="The public API.")
    Component.objects.create(name="Dashboard", group=core, position=1)
    latency, _ = do_declare(actor, title="API latency above SLO", severity=Severity.SEV2, components=[api])
    do_declare(actor, title="Dashboard slow to load", summary="p95 over 3 s.")
    do_declare(actor, title="Login errors", severity=Severity.SEV1, dedup_key="login-5xx")
    PostMortem.objects.create(incident=latency, title="API latency, March", author=admin_user)
    # A closed loopback port: the fuzzed test-now probes fail at once and never leave the machine.
    health = Monitor.objects.create(
        name="API health", target=f"http://127.0.0.1:{closed_port()}/healthz", component=api
    )
    Monitor.objects.create(name="Nightly backup", kind=Monitor.Kind.HEARTBEAT)
    CheckResult.objects.create(monitor=health, checked_at=timezone.now(), outcome=CheckResult.Outcome.UP, latency_ms=42)
    StateChange.objects.create(monitor=health, from_state=Monitor.State.PENDING, to_state=Monitor.State.UP)
    MaintenanceWindow.objects.create(
        monitor=health, starts_at=timezone.now(), ends_at=timezone.now() + timedelta(hours=1), reason="Upgrade"
    )
    plan = DRPlan.objects.create(name="Region failover", owner=admin_user, rto_minutes=60, rpo_minutes=5)
    plan.components.set([api])
    # A step, an approved version, a backup and a running drill, so the DR detail endpoints find rows.
    dr_services.do_save_step(actor, plan, title="Fail over to the standby region")
    dr_services.do_submit(actor, plan)
    dr_services.do_approve(actor, plan)
    backup = Backup.objects.create(
        system="Primary DB", contents="All", method="pg_dump", frequency_minutes=60, retention_days=7, location="s3"
    )
    backup.plans.add(plan)
    drill = dr_services.do_schedule_drill(actor, plan, scenario="Region down", scheduled_for=timezone.now())
    dr_services.do_start_drill(actor, drill)
    # Contacts, and an action item from the drill that targets the plan.
    dr_services.do_file_finding(actor, drill, title="Lower the DNS TTL", updates_plan=True)
    dba = Stakeholder.objects.create(name="Dana DBA", kind=Stakeholder.Kind.ENGINEER, phone="+14155550100")
    CallTreeLevel.objects.create(plan=plan).people.add(dba)
    vendor = Stakeholder.objects.create(name="Support", organisation="CloudCo", kind=Stakeholder.Kind.VENDOR)
    plan.vendors.add(Vendor.objects.create(stakeholder=vendor, sla="1 h"))
    executives = StakeholderGroup.objects.create(name="Executives", description="Told about every SEV1.")
    cto = Stakeholder.objects.create(name="Dana CTO", kind=Stakeholder.Kind.EXECUTIVE, email="dana@example.com")
    cto.groups.set([executives])
    # On-call and escalation, so their detail endpoints and actions are exercised too.
    now = timezone.now()
    schedule = Schedule.objects.create(name="Primary", time_zone="Europe/Paris")
    rotation = Rotation.objects.create(schedule=schedule, starts_at=now - timedelta(days=3), shift_unit="days")
    RotationMember.objects.create(rotation=rotation, user=admin_user)
    Override.objects.create(
        schedule=schedule, user=admin_user, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2)
    )
    for day in range(3):
        SwapRequest.objects.create(
            schedule=schedule,
            requester=admin_user,
            covering_user=admin_user,
            starts_at=now + timedelta(days=day),
            ends_at=now + timedelta(days=day, hours=5),
        )
    policy = EscalationPolicy.objects.create(name="Platform")
    EscalationLevel.objects.create(policy=policy, timeout_minutes=5).schedules.add(schedule)
    # A team with a service key, so the service keys' create finds a team and revoke finds a key.
    from accounts.services import do_create_service_key
    from incidents.models import Team

    do_create_service_key(actor, Team.objects.create(name="Platform"), "terraform", "write", ["monitoring.monitor"])


@pytest.fixture
def admin_bearer(transactional_db, admin_user):
    """A callable returning the admin's `Authorization` header, with a real, active API key.

    The fuzzer exercises POST /api/v1/api-keys/{id}/revoke/ too, and may revoke the very
    key it is using; a fresh key is then made, so later requests stay authenticated.
    """
    state = {}

    def header() -> dict[str, str]:
        key = state.get("key")
        if key is None or not ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).exists():
            state["key"], state["raw"] = do_create_api_key(Actor(user=admin_user, via="cli"), admin_user, "fuzz")
        return {"Authorization": f"Bearer {state['raw']}"}

    return header


class ExistingIds:
    """Ids of rows that exist, per collection URL, read through the API (cached until a row goes)."""

    def __init__(self, admin_bearer):
        self.admin_bearer = admin_bearer
        self.client = Client()
        self.cache: dict[str, list] = {}

    def of(self, collection: str) -> list:
        if collection not in self.cache:
            headers = {"HTTP_AUTHORIZATION": self.admin_bearer()["Authorization"]}
            response = self.client.get(collection, {"page_size": 500}, **headers)
            rows = []
            if response.status_code == 200 and response.headers.get("Content-Type", "").startswith("application/json"):
                body = response.json()
                rows = body.get("results", []) if isinstance(body, dict) else body
            self.cache[collection] = [row["id"] for row in rows if isinstance(row, dict) and "id" in row]
        return self.cache[collection]

    def forget(self, collection: str) -> None:
        self.cache.pop(collection, None)

    def point_at_rows(self, case) -> list[str]:
        """Replace each valid integer path parameter by an existing row's id. Returns the collections used."""
        used = []
        params = case.path_parameters or {}
        template = case.operation.full_path  # with the schema's base path, if it ever has one
        for match in PATH_PARAMETER.finditer(template):
            name = match.group(1)
            value = params.get(name)
            if isinstance(value, bool) or not INTEGER.fullmatch(str(value)):
                continue  # an invalid id, kept as generated: the 404 path is tested too
            collection = PATH_PARAMETER.sub(lambda m: str(params.get(m.group(1), "")), template[: match.start()])
            ids = self.of(collection)
            if ids:
                params[name] = ids[int(value) % len(ids)]
                used.append(collection)
        return used


@pytest.fixture
def existing_ids(admin_bearer):
    return ExistingIds(admin_bearer)


@pytest.fixture
def api_schema(transactional_db, fuzz_seed, admin_bearer):
    from vigil.wsgi import application

    # The schema is served to signed-in people and API keys only.
    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, application, config=CONFIG, headers=admin_bearer())


# POST /api/v1/monitors/test/ (issue #15) probes whatever target a request names: fuzzed, it would look up and
# connect to generated hosts off this machine. tests/monitoring/test_api_tests_and_groups.py covers it on loopback.
schema = schemathesis.pytest.from_fixture("api_schema").exclude(path="/api/v1/monitors/test/", method="POST")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True)
def test_api(case, admin_bearer, existing_ids):
    collections = existing_ids.point_at_rows(case)
    response = case.call_and_validate(headers=admin_bearer(), checks=CHECKS)
    if collections and (case.method.upper() == "DELETE" or response.status_code == 404):
        for collection in collections:
            existing_ids.forget(collection)
