"""Reviews fall due on a cadence; owners are reminded before and when overdue, once each."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from dr_plans import services, signals
from dr_plans.models import DRPlan, ReviewReminder
from vigil.audit import Actor

from .conftest import make_plan

APPROVED = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def reviewed_plan(admin_actor):
    with time_machine.travel(APPROVED, tick=False):
        return make_plan(admin_actor, review_every_days=90)


@pytest.fixture
def heard():
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    signals.review_due.connect(receiver)
    yield calls
    signals.review_due.disconnect(receiver)


def test_the_next_review_is_due_a_cadence_after_approval(reviewed_plan):
    assert reviewed_plan.review_due_at == APPROVED + timedelta(days=90)
    assert reviewed_plan.review_state(APPROVED + timedelta(days=10), remind_days=14) == DRPlan.ReviewState.OK
    assert reviewed_plan.review_state(APPROVED + timedelta(days=80), remind_days=14) == DRPlan.ReviewState.DUE
    assert reviewed_plan.review_state(APPROVED + timedelta(days=90), remind_days=14) == DRPlan.ReviewState.OVERDUE


def test_reminders_go_out_once_before_the_due_date_and_once_when_overdue(
    reviewed_plan, heard, django_capture_on_commit_callbacks, settings
):
    settings.VIGIL_DR_REVIEW_REMIND_DAYS = 14
    for day, expected in ((60, 0), (77, 1), (78, 0), (91, 1), (120, 0)):
        when = time_machine.travel(APPROVED + timedelta(days=day), tick=False)
        with when, django_capture_on_commit_callbacks(execute=True):
            assert services.send_review_reminders() == expected, day
    assert [call["overdue"] for call in heard] == [False, True]
    assert all(call["plan"] == reviewed_plan for call in heard)
    assert heard[0]["due_at"] == APPROVED + timedelta(days=90)
    assert ReviewReminder.objects.filter(plan=reviewed_plan).count() == 2


def test_a_review_moves_the_due_date_and_records_who_and_what(reviewed_plan, viewer, admin_actor):
    when = APPROVED + timedelta(days=95)
    with time_machine.travel(when, tick=False):
        review = services.do_record_review(admin_actor, reviewed_plan, "Updated the vendor's phone number")
    reviewed_plan.refresh_from_db()
    assert review.reviewed_by_label == "alice-admin"
    assert reviewed_plan.review_due_at == when + timedelta(days=90)
    assert reviewed_plan.review_state(when + timedelta(days=1), remind_days=14) == DRPlan.ReviewState.OK
    with pytest.raises(services.PermissionDenied):
        services.do_record_review(Actor(user=viewer, via="web"), reviewed_plan, "no change")


def test_the_owner_reviews_their_own_plan(admin_actor, responder):
    plan = make_plan(admin_actor, owner=responder)
    services.do_record_review(Actor(user=responder, via="web"), plan, "no change")
    assert plan.reviews.count() == 1


def test_the_dashboard_lists_overdue_plans(reviewed_plan, web_clients):
    with time_machine.travel(APPROVED + timedelta(days=100), tick=False):
        body = web_clients["viewer"].get("/dr-plans/").content.decode()
    assert "Reviews overdue" in body and reviewed_plan.name in body


def test_the_beat_task_sends_the_reminders(reviewed_plan, heard, django_capture_on_commit_callbacks):
    from dr_plans.tasks import remind_reviews

    when = time_machine.travel(APPROVED + timedelta(days=100), tick=False)
    with when, django_capture_on_commit_callbacks(execute=True):
        assert remind_reviews() == 1
    assert heard[0]["overdue"] is True
