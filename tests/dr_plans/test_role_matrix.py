"""Viewers read, responders run drills and incident checklists, admins write and approve plans."""

from datetime import UTC, datetime

import pytest
from django.db import transaction

from comms.models import Stakeholder
from dr_plans import services
from dr_plans.models import Backup, CallTreeLevel, Vendor
from incidents.services import do_declare
from tests.conftest import assert_api_outcome, assert_web_outcome

from .conftest import make_plan

ROLES = ["admin", "responder", "viewer", "anonymous"]
READ = {"admin", "responder", "viewer"}
RUN = {"admin", "responder"}
ADMIN = {"admin"}
WHEN_AT = datetime(2030, 1, 1, tzinfo=UTC)
WHEN = WHEN_AT.isoformat()


@pytest.fixture
def world(admin_actor, admin_user):
    approved = make_plan(admin_actor, name="Approved")
    draft = make_plan(admin_actor, name="Draft", approve=False)
    in_review = make_plan(admin_actor, name="In review", approve=False)
    services.do_submit(admin_actor, in_review)
    drill = services.do_schedule_drill(admin_actor, approved, scenario="Region down", scheduled_for=WHEN_AT)
    running = services.do_schedule_drill(admin_actor, approved, scenario="DB lost", scheduled_for=WHEN_AT)
    services.do_start_drill(admin_actor, running)
    backup = Backup.objects.create(
        system="DB", contents="All", method="dump", frequency_minutes=60, retention_days=7, location="s3"
    )
    incident, _ = do_declare(admin_actor, title="Down")
    person = Stakeholder.objects.create(name="Dana DBA", kind="engineer", phone="+14155550100")
    level = CallTreeLevel.objects.create(plan=approved)
    level.people.add(person)
    vendor_contact = Stakeholder.objects.create(name="Support", organisation="CloudCo", kind="vendor")
    vendor = Vendor.objects.create(stakeholder=vendor_contact, sla="1 h")
    approved.vendors.add(vendor)
    done = services.do_schedule_drill(admin_actor, approved, scenario="Done", scheduled_for=WHEN_AT)
    services.do_start_drill(admin_actor, done)
    services.do_finish_drill(admin_actor, done, data_loss_minutes=1, findings="Lower the DNS TTL")
    return {
        "approved": approved.pk,
        "draft": draft.pk,
        "review": in_review.pk,
        "step": approved.steps.first().pk,
        "version": approved.latest_version().pk,
        "drill": drill.pk,
        "running": running.pk,
        "dstep": running.steps.first().pk,
        "backup": backup.pk,
        "incident": incident.pk,
        "person": person.pk,
        "level": level.pk,
        "vendor": vendor.pk,
        "done": done.pk,
    }


API_MATRIX = [
    ("get", "/api/v1/dr-plans/", None, READ),
    ("get", "/api/v1/dr-plans/{approved}/", None, READ),
    ("post", "/api/v1/dr-plans/", {"name": "New", "rto_minutes": 60, "rpo_minutes": 5}, ADMIN),
    ("patch", "/api/v1/dr-plans/{draft}/", {"rto_minutes": 45}, ADMIN),
    ("post", "/api/v1/dr-plans/{draft}/submit/", None, ADMIN),
    ("post", "/api/v1/dr-plans/{review}/approve/", {"note": "ok"}, ADMIN),
    ("post", "/api/v1/dr-plans/{approved}/reviews/", {"changes": "no change"}, ADMIN),
    ("post", "/api/v1/dr-plans/{approved}/retire/", None, ADMIN),
    ("get", "/api/v1/dr-plan-versions/", None, READ),
    ("get", "/api/v1/dr-plan-versions/{version}/", None, READ),
    ("get", "/api/v1/dr-plan-steps/?plan={approved}", None, READ),
    ("post", "/api/v1/dr-plan-steps/", {"plan": "{draft}", "title": "Call the vendor"}, ADMIN),
    ("patch", "/api/v1/dr-plan-steps/{step}/", {"title": "Renamed"}, ADMIN),
    ("delete", "/api/v1/dr-plan-steps/{step}/", None, ADMIN),
    ("get", "/api/v1/dr-backups/", None, READ),
    (
        "post",
        "/api/v1/dr-backups/",
        {
            "system": "S3",
            "contents": "Uploads",
            "method": "replication",
            "frequency_minutes": 1,
            "retention_days": 30,
            "location": "eu-west-1",
        },
        ADMIN,
    ),
    ("patch", "/api/v1/dr-backups/{backup}/", {"last_restore_minutes": 12}, ADMIN),
    ("get", "/api/v1/dr-drills/", None, READ),
    ("post", "/api/v1/dr-drills/", {"plan": "{approved}", "scenario": "Region down", "scheduled_for": WHEN}, RUN),
    ("post", "/api/v1/dr-drills/{drill}/start/", None, RUN),
    ("post", "/api/v1/dr-drills/{running}/finish/", {"data_loss_minutes": 2}, RUN),
    ("post", "/api/v1/dr-drills/{drill}/cancel/", None, RUN),
    ("get", "/api/v1/dr-drill-steps/{dstep}/", None, READ),
    ("post", "/api/v1/dr-drill-steps/{dstep}/start/", None, RUN),
    ("post", "/api/v1/dr-drill-steps/{dstep}/finish/", {"notes": "ok"}, RUN),
    ("get", "/api/v1/dr-call-tree-levels/?plan={approved}", None, READ),
    ("get", "/api/v1/dr-call-tree-levels/{level}/", None, READ),
    ("post", "/api/v1/dr-call-tree-levels/", {"plan": "{approved}", "people": ["{person}"]}, ADMIN),
    ("patch", "/api/v1/dr-call-tree-levels/{level}/", {"escalate_after_minutes": 5}, ADMIN),
    ("delete", "/api/v1/dr-call-tree-levels/{level}/", None, ADMIN),
    ("get", "/api/v1/dr-vendors/", None, READ),
    ("get", "/api/v1/dr-vendors/{vendor}/", None, READ),
    ("patch", "/api/v1/dr-vendors/{vendor}/", {"sla": "4 h"}, ADMIN),
    ("delete", "/api/v1/dr-vendors/{vendor}/", None, ADMIN),
    # A drill's findings filed as action items through the post-mortems API.
    ("post", "/api/v1/action-items/", {"title": "x", "source_type": "dr_plans.drill", "source_id": "{done}"}, RUN),
]


def _fill(value, world):
    if isinstance(value, str):
        return value.format(**world)
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


def _try_all(clients, matrix, world, check, **options) -> list[str]:
    """Each request of MATRIX by each role, each in a savepoint rolled back after it.

    Every request then meets the same world, and one fixture serves the whole matrix
    (a fixture per request made this file take minutes). Failures are collected, not
    stopped at, so one run lists them all.
    """
    failures = []
    for method, path, data, allowed in matrix:
        for role in ROLES:
            with transaction.atomic():
                response = getattr(clients[role], method)(_fill(path, world), _fill(data, world), **options)
                try:
                    check(role, allowed, response)
                except AssertionError as exc:
                    failures.append(f"{role} {method.upper()} {path}: {exc}")
                transaction.set_rollback(True)
    return failures


def test_api_role_matrix(api_clients, world):
    failures = _try_all(api_clients, API_MATRIX, world, assert_api_outcome, format="json")
    assert not failures, "\n".join(failures)


WEB_MATRIX = [
    ("get", "/dr-plans/", None, READ),
    ("get", "/dr-plans/{approved}/", None, READ),
    ("get", "/dr-plans/{approved}/versions/1/", None, READ),
    ("get", "/dr-plans/{approved}/diff/", None, READ),
    ("get", "/dr-plans/{approved}/export.md", None, READ),
    ("get", "/dr-plans/backups/", None, READ),
    ("get", "/dr-plans/new/", None, ADMIN),
    (
        "post",
        "/dr-plans/new/",
        {"name": "Web plan", "rto_minutes": 60, "rpo_minutes": 5, "review_every_days": 90},
        ADMIN,
    ),
    ("get", "/dr-plans/{draft}/edit/", None, ADMIN),
    ("post", "/dr-plans/{draft}/steps/new/", {"title": "Step", "expected_minutes": 5}, ADMIN),
    ("post", "/dr-plans/{draft}/move/submit/", None, ADMIN),
    ("post", "/dr-plans/{review}/approve/", {"note": ""}, ADMIN),
    ("post", "/dr-plans/{approved}/review/", {"changes": "no change"}, ADMIN),
    ("get", "/dr-plans/backups/new/", None, ADMIN),
    ("get", "/dr-plans/{approved}/call-tree/new/", None, ADMIN),
    ("get", "/dr-plans/{approved}/vendors/new/", None, ADMIN),
    ("get", "/dr-plans/{approved}/drills/new/", None, RUN),
    ("post", "/dr-plans/{approved}/drills/new/", {"scenario": "Region down", "scheduled_for": "2030-01-01T10:00"}, RUN),
    ("get", "/dr-plans/drills/{drill}/", None, READ),
    ("post", "/dr-plans/drills/{drill}/start/", None, RUN),
    ("post", "/dr-plans/drills/{running}/steps/{dstep}/finish/", {"notes": ""}, RUN),
    ("post", "/dr-plans/drills/{running}/finish/", {"data_loss_minutes": 1}, RUN),
    ("get", "/dr-plans/drills/{running}/report/", None, READ),
    ("get", "/dr-plans/drills/{done}/report/", None, READ),
    (
        "post",
        "/dr-plans/drills/{done}/action-items/",
        {"title": "Lower the DNS TTL", "kind": "mitigate", "priority": "high"},
        RUN,
    ),
    ("get", "/dr-plans/incidents/{incident}/checklist/", None, READ),
    ("post", "/dr-plans/incidents/{incident}/checklist/attach/", {"plan": "{approved}"}, RUN),
]


def test_web_role_matrix(web_clients, world):
    matrix = [(method, path, data or {}, allowed) for method, path, data, allowed in WEB_MATRIX]
    failures = _try_all(web_clients, matrix, world, assert_web_outcome)
    assert not failures, "\n".join(failures)
