"""Escalation: page level after level until someone acknowledges; stale tasks exit harmlessly."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents import escalation, paging, services
from incidents.models import EscalationLevel, EscalationPolicy, Incident, IncidentEvent, Page
from tests.conftest import make_user
from vigil.audit import Actor
from vigil.roles import Role

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


@pytest.fixture
def people(roles):
    return {name: make_user(name, Role.RESPONDER) for name in ("alice", "bob", "carol")}


@pytest.fixture
def policy(people):
    policy = EscalationPolicy.objects.create(name="Platform", repeat=1)
    first = EscalationLevel.objects.create(policy=policy, position=0, timeout_minutes=5)
    first.users.add(people["alice"])
    second = EscalationLevel.objects.create(policy=policy, position=1, timeout_minutes=10)
    second.users.add(people["bob"])
    return policy


def paged(incident) -> list[str]:
    return [p.user.username for p in Page.objects.filter(incident=incident).order_by("created_at", "id")]


def declare(policy, people, django_capture_on_commit_callbacks):
    # The first step's task is queued on commit; here the test runs the steps itself.
    with django_capture_on_commit_callbacks(execute=False):
        incident, _ = services.do_declare(
            Actor(user=people["carol"]), title="DB down", severity="sev1", escalation_policy=policy
        )
    return incident


def test_it_pages_level_after_level_until_acknowledged(policy, people, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False):
        incident = declare(policy, people, django_capture_on_commit_callbacks)
        assert escalation.run_due() == 1
        assert paged(incident) == ["alice"]
    with time_machine.travel(T0 + timedelta(minutes=4, seconds=59), tick=False):
        assert escalation.run_due() == 0
        assert paged(incident) == ["alice"]
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        assert escalation.run_due() == 1
        assert paged(incident) == ["alice", "bob"]
    with time_machine.travel(T0 + timedelta(minutes=7), tick=False):
        services.do_acknowledge(Actor(user=people["bob"]), Incident.objects.get(pk=incident.pk))
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        assert escalation.run_due() == 0
    assert paged(incident) == ["alice", "bob"]
    assert Page.objects.get(incident=incident, user=people["bob"]).status == Page.Status.ACKNOWLEDGED
    incident.refresh_from_db()
    assert incident.time_to_acknowledge == timedelta(minutes=7)


def test_it_repeats_then_says_nobody_acknowledged(policy, people, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False) as clock:
        incident = declare(policy, people, django_capture_on_commit_callbacks)
        for _ in range(6):
            escalation.run_due()
            clock.shift(timedelta(minutes=10))
    assert paged(incident) == ["alice", "bob", "alice", "bob"]
    incident.refresh_from_db()
    assert incident.escalation_id is None
    assert incident.events.filter(kind=IncidentEvent.Kind.ESCALATED, message__contains="nobody acknowledged").exists()


def test_a_stale_or_duplicate_task_pages_nobody(policy, people, django_capture_on_commit_callbacks):
    incident = declare(policy, people, django_capture_on_commit_callbacks)
    old_id = str(incident.escalation_id)
    assert escalation.run_queued_step(incident.pk, old_id, 0)
    assert not escalation.run_queued_step(incident.pk, old_id, 0)  # the same task delivered twice
    services.do_acknowledge(Actor(user=people["alice"]), incident)
    assert not escalation.run_queued_step(incident.pk, old_id, 1)  # acknowledged meanwhile
    assert paged(incident) == ["alice"]


def test_editing_the_policy_does_not_change_a_page_in_progress(policy, people, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False) as clock:
        incident = declare(policy, people, django_capture_on_commit_callbacks)
        escalation.run_due()
        second = policy.levels.get(position=1)
        second.users.set([people["carol"]])
        clock.shift(timedelta(minutes=5))
        escalation.run_due()
    assert paged(incident) == ["alice", "bob"]


def test_escalate_now_pages_the_next_level_at_once(web_clients, policy, people, django_capture_on_commit_callbacks):
    incident = declare(policy, people, django_capture_on_commit_callbacks)
    escalation.run_due()
    with django_capture_on_commit_callbacks(execute=False):
        response = web_clients["responder"].post(f"/incidents/{incident.pk}/escalate/")
    assert response.status_code == 302
    assert paged(incident) == ["alice", "bob"]


def test_each_page_carries_the_ack_link_and_the_bridge(policy, people, django_capture_on_commit_callbacks, settings):
    settings.VIGIL_BRIDGE_URL_TEMPLATE = "https://meet.jit.si/vigil-incident-{id}-{slug}"  # none by default
    incident = declare(policy, people, django_capture_on_commit_callbacks)
    escalation.run_due()
    page = Page.objects.get(incident=incident)
    message = page.message
    # The link is a credential: the page stores its place, and it is put in as each message is sent.
    assert "/incidents/ack/" not in message and paging.ACK_LINK in message
    assert "/incidents/ack/" in paging.render_ack_link(message, page)
    assert f"https://meet.jit.si/vigil-incident-{incident.pk}-db-down" in message


@pytest.mark.celery_worker
def test_a_real_worker_runs_the_first_step(celery_worker, policy, people):
    incident, _ = services.do_declare(Actor(user=people["carol"]), title="Real worker", escalation_policy=policy)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not Page.objects.filter(incident=incident).exists():
        time.sleep(0.1)
    assert paged(incident) == ["alice"]
    # A second delivery of the same step (as after a worker restart) pages nobody again.
    from incidents.tasks import escalate

    escalate.delay(incident.pk, str(Incident.objects.get(pk=incident.pk).escalation_id), 0)
    time.sleep(1.5)
    assert paged(incident) == ["alice"]
