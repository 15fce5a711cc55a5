"""The monitor state machine: confirmation, recovery, flapping, maintenance, heartbeats."""

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.models import Monitor
from monitoring.state import apply, flap_ratio, needs_retry, next_probe_at

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
State = Monitor.State


def monitor(**fields) -> Monitor:
    fields.setdefault("failure_threshold", 2)
    fields.setdefault("recovery_threshold", 2)
    fields.setdefault("target", "https://example.com/")
    return Monitor(pk=1, name="web", **fields)


def feed(m: Monitor, outcomes: str, **kwargs):
    """Feed outcomes written as characters (u up, d degraded, x down); returns the transitions."""
    names = {"u": "up", "d": "degraded", "x": "down"}
    made = []
    for i, char in enumerate(outcomes):
        transition = apply(m, names[char], "boom" if char == "x" else "", T0 + timedelta(seconds=i), **kwargs)
        if transition:
            made.append((transition.from_state, transition.to_state))
    return made


def test_first_good_check_moves_pending_to_up():
    m = monitor()
    assert feed(m, "u") == [("pending", "up")]


def test_a_failure_is_confirmed_before_down():
    m = monitor(state=State.UP)
    assert feed(m, "x") == []
    assert m.state == State.UP and needs_retry(m, "down")
    assert feed(m, "x") == [("up", "down")]
    assert m.state_reason == "boom" and m.last_failure_reason == "boom"
    assert not needs_retry(m, "down")


def test_a_single_blip_never_goes_down():
    m = monitor(state=State.UP)
    assert feed(m, "xuxuxu") == []
    assert m.state == State.UP


def test_recovery_needs_m_successes():
    m = monitor(state=State.UP)
    feed(m, "xx")
    assert feed(m, "u") == []
    assert m.state == State.DOWN
    assert feed(m, "u") == [("down", "up")]


def test_degraded_is_not_down_and_recovers_at_once():
    m = monitor(state=State.UP)
    assert feed(m, "du") == [("up", "degraded"), ("degraded", "up")]


def test_threshold_of_one_goes_down_at_once():
    m = monitor(state=State.UP, failure_threshold=1)
    assert feed(m, "x") == [("up", "down")]


def test_flapping_is_detected_and_damps_the_thresholds():
    m = monitor(state=State.UP)
    # Alternating pairs: each pair of failures would be a down, then two successes an up.
    transitions = feed(m, "xxuu" * 5)
    assert m.flapping
    downs_while_flapping = feed(m, "xxuu" * 3)
    assert downs_while_flapping == []  # needs 6 failures in a row now
    assert len(transitions) < 10
    # It settles: a long run of successes ends flapping.
    feed(m, "u" * 20)
    assert not m.flapping
    assert flap_ratio("u" * 20) == 0.0
    assert flap_ratio("xuxu") == 1.0


def test_maintenance_shows_and_suppresses_then_next_outcome_decides():
    m = monitor(state=State.UP)
    assert feed(m, "xx", in_maintenance=True) == [("up", "maintenance")]
    assert m.state == State.MAINTENANCE
    # Window over, the target is still failing: two failures already counted, one more confirms.
    assert feed(m, "x") == [("maintenance", "down")]


def test_maintenance_end_with_a_good_check_goes_up():
    m = monitor(state=State.MAINTENANCE)
    assert feed(m, "u") == [("maintenance", "up")]


def test_paused_monitor_ignores_outcomes():
    m = monitor(state=State.PAUSED)
    assert feed(m, "xxx") == []
    assert m.consecutive_failures == 0


def test_heartbeats_need_no_confirmation():
    m = monitor(kind=Monitor.Kind.HEARTBEAT, target="", state=State.UP)
    assert feed(m, "x") == [("up", "down")]
    assert feed(m, "u") == [("down", "up")]


@pytest.mark.parametrize(
    ("due", "now", "expected"),
    [
        (T0, T0 + timedelta(seconds=1), T0 + timedelta(seconds=60)),  # on cadence from the due time
        (T0, T0 + timedelta(seconds=150), T0 + timedelta(seconds=180)),  # missed beats are skipped
        (None, T0, T0 + timedelta(seconds=60)),
    ],
)
def test_next_check_keeps_the_cadence(due, now, expected):
    m = monitor(state=State.UP, interval_seconds=60)
    assert next_probe_at(m, "up", due, now) == expected


def test_unconfirmed_failure_is_retried_quickly():
    m = monitor(state=State.UP, interval_seconds=60, retry_interval_seconds=3)
    feed(m, "x")
    # Counted from when the failed check was due, not from when its probe gave up...
    assert next_probe_at(m, "down", T0, T0 + timedelta(seconds=1)) == T0 + timedelta(seconds=3)
    # ...so a probe that took its whole timeout to fail is retried at once.
    assert next_probe_at(m, "down", T0, T0 + timedelta(seconds=10)) == T0 + timedelta(seconds=10)
    assert next_probe_at(m, "down", None, T0) == T0 + timedelta(seconds=3)
