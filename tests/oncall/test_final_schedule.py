"""The final schedule: priority layers, overrides winning, and `on_call_users` for the escalation engine."""

from datetime import time, timedelta

import pytest
from django.contrib.auth import get_user_model

from incidents.oncall.schedule import load_plan, on_call_users, outlook, shifts_between

from .conftest import make_override, make_rotation, make_schedule, utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def dan(roles):
    from tests.conftest import make_user

    return make_user("dan", None)


def who(shifts):
    return [(s.start, s.end, s.user.username) for s in shifts]


def test_a_higher_priority_layer_wins_where_it_covers(ann, bob):
    schedule = make_schedule()
    make_rotation(schedule, [bob], starts_at=utc(2026, 1, 1), unit="days", name="24/7")
    make_rotation(
        schedule, [ann], starts_at=utc(2026, 1, 1), unit="days", priority=10, active_from=time(9), active_until=time(17)
    )
    assert on_call_users(schedule, utc(2026, 6, 1, 10)) == [ann]
    assert on_call_users(schedule, utc(2026, 6, 1, 20)) == [bob]
    assert who(shifts_between(schedule, utc(2026, 6, 1), utc(2026, 6, 2))) == [
        (utc(2026, 6, 1), utc(2026, 6, 1, 9), "bob"),
        (utc(2026, 6, 1, 9), utc(2026, 6, 1, 17), "ann"),
        (utc(2026, 6, 1, 17), utc(2026, 6, 2), "bob"),
    ]


def test_on_equal_priority_the_older_rotation_wins(ann, bob):
    schedule = make_schedule()
    make_rotation(schedule, [bob], starts_at=utc(2026, 1, 1))
    make_rotation(schedule, [ann], starts_at=utc(2026, 1, 1))
    assert on_call_users(schedule, utc(2026, 6, 1)) == [bob]


def test_a_layer_that_has_not_started_lets_the_lower_one_show(ann, bob):
    schedule = make_schedule()
    make_rotation(schedule, [bob], starts_at=utc(2026, 1, 1))
    make_rotation(schedule, [ann], starts_at=utc(2026, 7, 1), priority=5)
    assert on_call_users(schedule, utc(2026, 6, 30, 23)) == [bob]
    assert on_call_users(schedule, utc(2026, 7, 1)) == [ann]


def test_an_override_wins_over_every_rotation(ann, bob, cat):
    schedule = make_schedule()
    make_rotation(schedule, [ann], starts_at=utc(2026, 1, 1), priority=100)
    make_override(schedule, cat, utc(2026, 6, 2, 18), utc(2026, 6, 3, 6), reason="Tuesday night")
    assert on_call_users(schedule, utc(2026, 6, 2, 17, 59)) == [ann]
    assert on_call_users(schedule, utc(2026, 6, 2, 18)) == [cat]
    assert on_call_users(schedule, utc(2026, 6, 3, 5, 59)) == [cat]
    assert on_call_users(schedule, utc(2026, 6, 3, 6)) == [ann]
    assert who(shifts_between(schedule, utc(2026, 6, 2), utc(2026, 6, 4))) == [
        (utc(2026, 6, 2), utc(2026, 6, 2, 18), "ann"),
        (utc(2026, 6, 2, 18), utc(2026, 6, 3, 6), "cat"),
        (utc(2026, 6, 3, 6), utc(2026, 6, 4), "ann"),
    ]


def test_of_overlapping_overrides_the_newest_wins(ann, bob, cat):
    schedule = make_schedule()
    make_override(schedule, bob, utc(2026, 6, 1, 10), utc(2026, 6, 1, 14), created_at=utc(2026, 5, 1))
    make_override(schedule, cat, utc(2026, 6, 1, 12), utc(2026, 6, 1, 13), created_at=utc(2026, 5, 2))
    assert who(shifts_between(schedule, utc(2026, 6, 1), utc(2026, 6, 2))) == [
        (utc(2026, 6, 1, 10), utc(2026, 6, 1, 12), "bob"),
        (utc(2026, 6, 1, 12), utc(2026, 6, 1, 13), "cat"),
        (utc(2026, 6, 1, 13), utc(2026, 6, 1, 14), "bob"),
    ]
    assert on_call_users(schedule, utc(2026, 6, 1, 12, 30)) == [cat]


def test_an_override_fills_a_gap_and_nobody_covers_the_rest(ann):
    schedule = make_schedule()
    make_override(schedule, ann, utc(2026, 6, 1, 10), utc(2026, 6, 1, 11))
    assert on_call_users(schedule, utc(2026, 6, 1, 9)) == []
    assert on_call_users(schedule, utc(2026, 6, 1, 10)) == [ann]


def test_inactive_people_are_skipped(ann, bob, cat):
    schedule = make_schedule()
    make_rotation(schedule, [ann, bob, cat], starts_at=utc(2026, 1, 5), unit="days")
    make_override(schedule, cat, utc(2026, 1, 5), utc(2026, 1, 6))
    get_user_model().objects.filter(pk__in=[bob.pk, cat.pk]).update(is_active=False)
    # bob and cat left: ann covers every day, and cat's override is ignored.
    assert {u.username for d in range(4) for u in on_call_users(schedule, utc(2026, 1, 5 + d, 12))} == {"ann"}


def test_on_call_users_needs_an_aware_datetime(ann):
    schedule = make_schedule()
    with pytest.raises(ValueError, match="aware"):
        on_call_users(schedule, utc(2026, 1, 1).replace(tzinfo=None))


def test_on_call_users_answers_in_a_constant_number_of_queries(ann, bob, cat, dan, django_assert_max_num_queries):
    schedule = make_schedule()
    make_rotation(schedule, [ann, bob], starts_at=utc(2026, 1, 1), unit="days")
    with django_assert_max_num_queries(3):
        assert on_call_users(schedule, utc(2026, 3, 2, 12)) == [ann]

    # Many more layers, members and overrides: still three queries (rotations, members, overrides).
    for i in range(12):
        make_rotation(
            schedule, [ann, bob, cat, dan], starts_at=utc(2026, 1, 1), unit="hours", length=i + 1, priority=-i
        )
    for day in range(1, 29):
        make_override(schedule, [bob, cat, dan][day % 3], utc(2026, 2, day, 1), utc(2026, 2, day, 2))
    with django_assert_max_num_queries(3):
        assert on_call_users(schedule, utc(2026, 3, 2, 12)) == [ann]
    with django_assert_max_num_queries(3):
        assert on_call_users(schedule, utc(2026, 2, 5, 1, 30)) == [dan]


def test_the_outlook_names_who_is_on_until_when_and_the_next_three(ann, bob, cat):
    schedule = make_schedule()
    make_rotation(schedule, [ann, bob, cat], starts_at=utc(2026, 1, 5, 9))
    now = utc(2026, 1, 7, 15)
    view = outlook(load_plan(schedule, now, now + timedelta(days=120)), now)
    assert view.current.user == ann
    assert view.until == utc(2026, 1, 12, 9)
    assert [(s.start, s.user.username) for s in view.upcoming] == [
        (utc(2026, 1, 12, 9), "bob"),
        (utc(2026, 1, 19, 9), "cat"),
        (utc(2026, 1, 26, 9), "ann"),
    ]


def test_one_person_always_on_call_has_no_handoff_to_show(ann):
    schedule = make_schedule()
    make_rotation(schedule, [ann], starts_at=utc(2026, 1, 5, 9), unit="days")
    now = utc(2026, 1, 7, 15)
    view = outlook(load_plan(schedule, now, now + timedelta(days=120)), now)
    assert view.current.user == ann and view.until is None and view.upcoming == []
