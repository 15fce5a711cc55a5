"""A drill's timing: per-step durations, achieved recovery time against the RTO, and the verdict."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from dr_plans import services
from dr_plans.models import Drill

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def at(minutes: float):
    return time_machine.travel(T0 + timedelta(minutes=minutes), tick=False)


@pytest.fixture
def drill(admin_actor, plan, responder):
    return services.do_schedule_drill(
        admin_actor, plan, scenario="Primary database lost", scheduled_for=T0, participants=[responder]
    )


def run_drill(actor, drill, finishes, data_loss=3):
    """Start at T0, finish each step at the given minute, end the drill at the last one."""
    with at(0):
        services.do_start_drill(actor, drill)
    for step, minute in zip(drill.steps.all(), finishes, strict=True):
        with at(minute):
            services.do_finish_step(actor, step, notes=f"done at {minute}")
    with at(finishes[-1]):
        return services.do_finish_drill(
            actor, drill, data_loss_minutes=data_loss, findings="Replica lag alert missing."
        )


def test_starting_copies_the_approved_steps_and_the_targets(admin_actor, drill, plan):
    with at(0):
        services.do_start_drill(admin_actor, drill)
    drill.refresh_from_db()
    assert drill.version == plan.latest_version()
    assert (drill.target_rto_minutes, drill.target_rpo_minutes) == (30, 5)
    assert [s.title for s in drill.steps.all()] == [s["title"] for s in drill.version.steps]
    assert drill.started_at == T0


def test_step_times_chain_and_the_recovery_time_is_start_to_finish(admin_actor, drill):
    drill = run_drill(admin_actor, drill, finishes=[4, 16.5, 25])
    steps = list(drill.steps.all())
    assert [s.duration for s in steps] == [timedelta(minutes=4), timedelta(minutes=12.5), timedelta(minutes=8.5)]
    assert [s.over_expected for s in steps] == [False, True, False]
    assert drill.recovery_time == timedelta(minutes=25)
    assert drill.recovery_minutes == 25
    assert drill.rto_met and drill.rpo_met and drill.passed
    assert drill.status == Drill.Status.COMPLETED


def test_a_step_started_explicitly_is_timed_from_its_start(admin_actor, drill):
    with at(0):
        services.do_start_drill(admin_actor, drill)
    first = drill.steps.first()
    with at(2):
        services.do_start_step(admin_actor, first)
    with at(7):
        step = services.do_finish_step(admin_actor, first)
    assert step.duration == timedelta(minutes=5)


def test_missing_the_rto_fails_the_drill(admin_actor, drill):
    drill = run_drill(admin_actor, drill, finishes=[10, 25, 31])
    assert drill.recovery_minutes == 31
    assert drill.rto_met is False and drill.passed is False


def test_losing_more_data_than_the_rpo_fails_the_drill(admin_actor, drill):
    drill = run_drill(admin_actor, drill, finishes=[1, 2, 3], data_loss=6)
    assert drill.rto_met and drill.rpo_met is False and drill.passed is False


def test_a_step_left_undone_fails_the_drill(admin_actor, drill):
    with at(0):
        services.do_start_drill(admin_actor, drill)
    with at(5):
        finished = services.do_finish_drill(admin_actor, drill, data_loss_minutes=0)
    assert finished.rto_met and not finished.passed


def test_a_recurring_drill_schedules_its_next_run(admin_actor, plan):
    drill = services.do_schedule_drill(
        admin_actor, plan, scenario="Region down", scheduled_for=T0, repeat_every_days=90
    )
    run_drill(admin_actor, drill, finishes=[1, 2, 3])
    following = Drill.objects.exclude(pk=drill.pk).get()
    assert following.status == Drill.Status.SCHEDULED
    assert following.scheduled_for == T0 + timedelta(days=90)


def test_a_drill_of_a_plan_never_approved_does_not_start(admin_actor):
    from .conftest import make_plan

    draft = make_plan(admin_actor, name="Draft only", approve=False)
    drill = services.do_schedule_drill(admin_actor, draft, scenario="x", scheduled_for=T0)
    with pytest.raises(services.ActionError, match="no approved version"):
        services.do_start_drill(admin_actor, drill)


def test_the_report_shows_the_recovery_time_against_the_rto_and_the_chart(admin_actor, drill, plan, web_clients):
    run_drill(admin_actor, drill, finishes=[4, 16.5, 25])
    report = web_clients["viewer"].get(f"/dr-plans/drills/{drill.pk}/report/").content.decode()
    assert "0:25:00" in report and "against an RTO of 30 min" in report and "Pass" in report
    page = web_clients["viewer"].get(f"/dr-plans/{plan.pk}/").content.decode()
    assert "<svg" in page and "1 drills against an RTO of 30 min: 1 within it" in page
