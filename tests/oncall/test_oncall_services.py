"""The on-call actions: overrides, swap requests (accepted once, by the right person), schedules."""

import threading
from datetime import time

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from incidents.models import EscalationLevel, EscalationPolicy, Override, Schedule, SwapRequest, Team
from incidents.oncall import services
from incidents.oncall.schedule import on_call_users
from tests.conftest import need
from vigil.audit import Actor
from vigil.models import AuditEntry

from .conftest import make_override, make_rotation, make_schedule, utc

NOW = utc(2026, 6, 3, 12)  # a Wednesday; ann's week runs Monday 1st to Monday 8th, 09:00


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def schedule(ann, bob):
    schedule = make_schedule()
    make_rotation(schedule, [ann, bob], starts_at=utc(2026, 6, 1, 9))
    return schedule


def as_(user) -> Actor:
    return Actor(user=user, via="web")


# --- Overrides --------------------------------------------------------------------------


def test_a_responder_covers_a_night_for_themselves(schedule, bob):
    override = services.do_add_override(
        as_(bob), schedule, user=bob, starts_at=utc(2026, 6, 4, 20), ends_at=utc(2026, 6, 5, 8), reason="Tuesday"
    )
    assert on_call_users(schedule, utc(2026, 6, 4, 21)) == [bob]
    assert override.created_by == bob
    assert AuditEntry.objects.filter(action="oncall.override.add", target_id=str(override.pk)).exists()


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (utc(2026, 6, 5), utc(2026, 6, 4), "ends_at"),
        (utc(2026, 6, 5), utc(2026, 6, 5), "ends_at"),
        (utc(2026, 6, 1), utc(2026, 6, 2), "ends_at"),  # over already
        (utc(1900, 1, 1), utc(2026, 6, 5), "starts_at"),
    ],
)
def test_a_bad_period_is_refused_on_its_field_and_stores_nothing(schedule, bob, start, end, field):
    with pytest.raises(ValidationError) as caught:
        services.do_add_override(as_(bob), schedule, user=bob, starts_at=start, ends_at=end)
    assert field in caught.value.message_dict
    assert Override.objects.count() == 0


def test_a_responder_cannot_put_someone_else_on_call_but_an_admin_can(schedule, ann, bob, admin_user):
    with pytest.raises(PermissionDenied):
        services.do_add_override(as_(bob), schedule, user=ann, starts_at=utc(2026, 6, 4), ends_at=utc(2026, 6, 5))
    services.do_add_override(as_(admin_user), schedule, user=bob, starts_at=utc(2026, 6, 4), ends_at=utc(2026, 6, 5))
    assert on_call_users(schedule, utc(2026, 6, 4, 12)) == [bob]


def test_an_inactive_user_cannot_cover(schedule, bob, admin_user):
    bob.is_active = False
    bob.save()
    with pytest.raises(ValidationError) as caught:
        services.do_add_override(
            as_(admin_user), schedule, user=bob, starts_at=utc(2026, 6, 4), ends_at=utc(2026, 6, 5)
        )
    assert "user" in caught.value.message_dict


def test_who_may_remove_an_override(schedule, ann, bob, cat, admin_user):
    override = make_override(schedule, bob, utc(2026, 6, 4), utc(2026, 6, 5), created_by=admin_user)
    with pytest.raises(PermissionDenied):
        services.do_delete_override(as_(cat), override)
    services.do_delete_override(as_(bob), override)  # the person covering
    assert not Override.objects.exists()

    past = make_override(schedule, bob, utc(2026, 6, 1), utc(2026, 6, 2), created_by=bob)
    with pytest.raises(services.ActionError, match="over"):
        services.do_delete_override(as_(bob), past)
    services.do_delete_override(as_(admin_user), past)
    assert not Override.objects.exists()


# --- Swap requests ------------------------------------------------------------------------


TONIGHT = (utc(2026, 6, 4, 18), utc(2026, 6, 5, 8))


def ask(requester, covering, start=TONIGHT[0], end=TONIGHT[1], schedule=None):
    schedule = schedule or Schedule.objects.get()
    return services.do_request_swap(as_(requester), schedule, covering_user=covering, starts_at=start, ends_at=end)


def test_a_swap_accepted_makes_the_override_and_changes_who_is_on_call(schedule, ann, bob):
    swap = ask(ann, bob)
    assert on_call_users(schedule, utc(2026, 6, 4, 20)) == [ann]  # asking changes nothing

    swap = services.do_accept_swap(as_(bob), swap)

    assert swap.status == SwapRequest.Status.ACCEPTED and swap.decided_at == NOW
    override = Override.objects.get()
    assert swap.override == override
    assert (override.user, override.starts_at, override.ends_at) == (bob, utc(2026, 6, 4, 18), utc(2026, 6, 5, 8))
    assert "Swap with ann" in override.reason
    assert on_call_users(schedule, utc(2026, 6, 4, 20)) == [bob]
    assert on_call_users(schedule, utc(2026, 6, 5, 8)) == [ann]
    assert list(
        AuditEntry.objects.filter(action__startswith="oncall.swap").order_by("id").values_list("action", flat=True)
    ) == [
        "oncall.swap.request",
        "oncall.swap.accept",
    ]


@pytest.mark.parametrize("who", ["ann", "cat"])
def test_only_the_covering_user_may_accept_or_decline(schedule, ann, bob, cat, who):
    swap = ask(ann, bob)
    other = {"ann": ann, "cat": cat}[who]
    with pytest.raises(PermissionDenied):
        services.do_accept_swap(as_(other), swap)
    with pytest.raises(PermissionDenied):
        services.do_decline_swap(as_(other), swap)
    swap.refresh_from_db()
    assert swap.status == SwapRequest.Status.PENDING
    assert not Override.objects.exists()


def test_only_the_requester_may_cancel(schedule, ann, bob):
    swap = ask(ann, bob)
    with pytest.raises(PermissionDenied):
        services.do_cancel_swap(as_(bob), swap)
    assert services.do_cancel_swap(as_(ann), swap).status == SwapRequest.Status.CANCELLED


def test_a_double_click_accepts_once(schedule, ann, bob):
    swap = ask(ann, bob)
    stale = SwapRequest.objects.get(pk=swap.pk)  # the second click's copy, still pending
    services.do_accept_swap(as_(bob), swap)
    with pytest.raises(services.ActionError, match="already accepted"):
        services.do_accept_swap(as_(bob), stale)
    assert Override.objects.count() == 1


def test_a_declined_or_expired_request_cannot_be_accepted(schedule, ann, bob):
    declined = ask(ann, bob)
    services.do_decline_swap(as_(bob), declined)
    with pytest.raises(services.ActionError, match="already declined"):
        services.do_accept_swap(as_(bob), declined)

    expiring = ask(ann, bob, start=utc(2026, 6, 3, 13), end=utc(2026, 6, 3, 14))
    with time_machine.travel(utc(2026, 6, 3, 14), tick=False), pytest.raises(services.ActionError, match="expired"):
        services.do_accept_swap(as_(bob), expiring)
    assert not Override.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_make_one_override(ann, bob):
    need("PostgreSQL", connection.vendor == "postgresql", "this race is tested on PostgreSQL (set DATABASE_URL)")
    schedule = make_schedule()
    make_rotation(schedule, [ann, bob], starts_at=utc(2026, 6, 1, 9))
    swap = ask(ann, bob, schedule=schedule)
    barrier = threading.Barrier(4)
    outcomes = []

    def accept():
        barrier.wait()
        try:
            services.do_accept_swap(as_(bob), SwapRequest.objects.get(pk=swap.pk))
            outcomes.append("accepted")
        except services.ActionError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["accepted", "refused", "refused", "refused"]
    assert Override.objects.count() == 1


@pytest.mark.parametrize(
    ("requester", "start", "end", "field", "message"),
    [
        ("bob", utc(2026, 6, 4, 18), utc(2026, 6, 5, 8), "starts_at", "not on call"),  # ann's week, not bob's
        ("ann", utc(2026, 6, 8), utc(2026, 6, 8, 12), "starts_at", "bob on call"),  # runs into bob's week
        ("ann", utc(2026, 6, 2), utc(2026, 6, 3), "ends_at", "future"),
        ("ann", utc(2026, 6, 4), utc(2026, 9, 30), "ends_at", "at most"),
    ],
)
def test_a_swap_asks_only_for_the_requesters_own_future_shifts(
    schedule, ann, bob, cat, requester, start, end, field, message
):
    people = {"ann": ann, "bob": bob}
    with pytest.raises(ValidationError) as caught:
        ask(people[requester], cat, start=start, end=end)
    assert message in " ".join(caught.value.message_dict[field])
    assert not SwapRequest.objects.exists()


def test_nobody_swaps_with_themselves(schedule, ann):
    with pytest.raises(ValidationError) as caught:
        ask(ann, ann)
    assert "covering_user" in caught.value.message_dict


# --- Schedules and rotations ------------------------------------------------------------


def test_an_unknown_time_zone_is_refused(admin_user):
    for name in ("Mars/Olympus", "Europe", "../etc/passwd", ""):
        with pytest.raises(ValidationError) as caught:
            services.do_create_schedule(as_(admin_user), name=f"S {name}", time_zone=name)
        assert "time_zone" in caught.value.message_dict
    assert not Schedule.objects.exists()


def test_rotations_are_created_with_members_in_order(admin_user, ann, bob, cat):
    schedule = services.do_create_schedule(as_(admin_user), name="DB", time_zone="Europe/Paris")
    rotation = services.do_create_rotation(
        as_(admin_user), schedule, members=[cat, ann, bob], starts_at=utc(2026, 6, 1), shift_unit="days"
    )
    assert [m.user for m in rotation.members.all()] == [cat, ann, bob]
    services.do_update_rotation(as_(admin_user), rotation, members=[bob], shift_length=2)
    rotation.refresh_from_db()
    assert [m.user for m in rotation.members.all()] == [bob] and rotation.shift_length == 2
    assert AuditEntry.objects.filter(action__startswith="oncall.rotation").count() == 2


def test_a_rotation_longer_than_a_year_or_an_empty_window_is_refused(admin_user):
    schedule = services.do_create_schedule(as_(admin_user), name="DB")
    for fields, field in [
        ({"shift_length": 400, "shift_unit": "days"}, "shift_length"),
        ({"active_from": time(9), "active_until": time(9)}, "active_until"),
        ({"starts_at": utc(2300, 1, 1)}, "starts_at"),
    ]:
        with pytest.raises(ValidationError) as caught:
            services.do_create_rotation(as_(admin_user), schedule, **{"starts_at": utc(2026, 6, 1), **fields})
        assert field in caught.value.message_dict
    assert not schedule.rotations.exists()


def test_a_schedule_an_escalation_pages_is_not_deleted(admin_user, schedule):
    level = EscalationLevel.objects.create(policy=EscalationPolicy.objects.create(name="Payments"))
    level.schedules.add(schedule)
    with pytest.raises(services.ActionError, match="Payments"):
        services.do_delete_schedule(as_(admin_user), schedule)
    level.schedules.clear()
    services.do_delete_schedule(as_(admin_user), schedule)
    assert not Schedule.objects.exists()


# --- Teams ------------------------------------------------------------------------------


def test_a_team_is_made_with_its_members_and_audited(ann, bob):
    team = services.do_create_team(Actor(via="import"), name=" Payments ", members=[ann, bob])

    assert team.name == "Payments"
    assert set(team.members.all()) == {ann, bob}
    entry = AuditEntry.objects.get(action="team.create")
    assert (entry.via, entry.target_label, entry.details["members"]) == ("import", "Payments", [ann.pk, bob.pk])


def test_a_team_of_the_same_name_is_joined_its_members_added_nobody_taken_out(ann, bob, cat):
    first = services.do_create_team(Actor(via="web"), name="Payments", members=[ann])

    joined = services.do_create_team(Actor(via="import"), name="Payments", members=[ann, bob, cat])

    assert joined.pk == first.pk and Team.objects.count() == 1
    assert set(joined.members.all()) == {ann, bob, cat}
    assert AuditEntry.objects.get(action="team.join").details["added"] == [bob.pk, cat.pk]


def test_a_team_needs_a_name(db):
    with pytest.raises(ValidationError) as caught:
        services.do_create_team(Actor(via="web"), name="  ")

    assert "name" in caught.value.message_dict
    assert not Team.objects.exists()
