"""Helpers for the on-call tests: schedules built in a line, people who take turns."""

from datetime import UTC, datetime

import pytest

from incidents.models import Override, Rotation, RotationMember, Schedule
from tests.conftest import make_user
from vigil.roles import Role


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_schedule(name="Platform", tz="UTC", **fields) -> Schedule:
    return Schedule.objects.create(name=name, time_zone=tz, **fields)


def make_rotation(schedule, members, *, starts_at, length=1, unit="weeks", **fields) -> Rotation:
    rotation = Rotation.objects.create(
        schedule=schedule, starts_at=starts_at, shift_length=length, shift_unit=unit, **fields
    )
    RotationMember.objects.bulk_create(
        RotationMember(rotation=rotation, user=user, position=i) for i, user in enumerate(members)
    )
    return rotation


def make_override(schedule, user, starts_at, ends_at, **fields) -> Override:
    return Override.objects.create(schedule=schedule, user=user, starts_at=starts_at, ends_at=ends_at, **fields)


@pytest.fixture
def ann(roles):
    return make_user("ann", Role.RESPONDER)


@pytest.fixture
def bob(roles):
    return make_user("bob", Role.RESPONDER)


@pytest.fixture
def cat(roles):
    return make_user("cat", Role.RESPONDER)
