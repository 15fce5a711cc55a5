"""On-call schedules: rotations of people, overrides, and swap requests."""

import zoneinfo
from datetime import UTC, datetime, timedelta
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .alerts import new_token


@cache
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(name: str) -> None:
    # Checked against the list, not by opening it: ZoneInfo("Europe") raises IsADirectoryError.
    if name not in known_time_zones():
        raise ValidationError(f"{name!r} is not a known time zone (e.g. Europe/Paris).")


# On-call times outside these years are typing mistakes; refusing them also keeps the
# schedule arithmetic (incidents.oncall.schedule) clear of datetime's limits.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def check_period(starts_at, ends_at, start_field: str = "starts_at", end_field: str = "ends_at") -> None:
    """Both ends in a sensible range, the end after the start. Raises ValidationError by field."""
    errors = {}
    for name, value in ((start_field, starts_at), (end_field, ends_at)):
        if value is not None and not EARLIEST <= value < LATEST:
            errors[name] = f"Must be between {EARLIEST.year} and {LATEST.year}."
    if not errors and starts_at is not None and ends_at is not None and ends_at <= starts_at:
        errors[end_field] = "Must be after the start."
    if errors:
        raise ValidationError(errors)


# Days of the week as ISO numbers (Monday 1 ... Sunday 7) and as the bits of Rotation.days.
WEEKDAYS = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}
ALL_DAYS = 0b1111111


def days_mask(weekdays) -> int:
    """The Rotation.days bits of ISO WEEKDAYS (1-7)."""
    return sum({1 << (int(d) - 1) for d in weekdays})


def mask_days(mask: int) -> list[int]:
    """The ISO weekdays (1-7) in the Rotation.days bits MASK, Monday first."""
    return [d for d in WEEKDAYS if mask & (1 << (d - 1))]


class Schedule(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    team = models.ForeignKey(
        "incidents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="schedules"
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # The secret in the iCalendar feed URL, so calendar apps can subscribe without a login.
    ical_token = models.CharField(max_length=64, unique=True, editable=False, default=new_token)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("oncall:schedule", args=[self.pk])

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Rotation(models.Model):
    """People take turns, each for one shift, from `starts_at` on.

    Shifts in days or weeks hand off at the same wall-clock time in the schedule's
    zone, across daylight-saving changes; shifts in hours are fixed lengths of time.
    A schedule's rotations are layers: where two cover the same moment, the higher
    `priority` wins.

    `days` limits the rotation to days of the week (bit d-1 for ISO weekday d). A day
    is the local date on which the daily window opens: Fri with 18:00-06:00 covers
    Friday 18:00 to Saturday 06:00 and not the early hours of Friday. Without a window,
    a day is the whole local date. Hand-offs still happen on the other days: the days
    only cut time out, as the window does.
    """

    class Unit(models.TextChoices):
        HOURS = "hours", "Hours"
        DAYS = "days", "Days"
        WEEKS = "weeks", "Weeks"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="rotations")
    name = models.CharField(max_length=100, default="Primary")
    starts_at = models.DateTimeField(help_text="The first hand-off.")
    shift_length = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    shift_unit = models.CharField(max_length=5, choices=Unit.choices, default=Unit.WEEKS)
    priority = models.IntegerField(default=0)
    # Optional daily coverage window in the schedule's zone (e.g. 09:00-17:00); empty is all day.
    active_from = models.TimeField(null=True, blank=True)
    active_until = models.TimeField(null=True, blank=True)
    days = models.PositiveSmallIntegerField(
        default=ALL_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(ALL_DAYS)],
        help_text="Days of the week the daily window opens on: bit 0 Monday ... bit 6 Sunday.",
    )

    class Meta:
        ordering = ["schedule", "-priority", "id"]

    def __str__(self) -> str:
        return f"{self.schedule}: {self.name}"

    @property
    def weekdays(self) -> list[int]:
        """The ISO weekdays (1-7) the rotation covers."""
        return mask_days(self.days)

    @property
    def days_label(self) -> str:
        """ "every day", "Mon-Fri" or "Mon, Wed, Sat"."""
        days = self.weekdays
        if len(days) == 7:
            return "every day"
        if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            return f"{WEEKDAYS[days[0]]}-{WEEKDAYS[days[-1]]}"
        return ", ".join(WEEKDAYS[d] for d in days)

    def covers_weekday(self, weekday: int) -> bool:
        return bool(self.days & (1 << (weekday - 1)))

    # The longest shift of each unit: a year.
    MAX_LENGTH = {Unit.HOURS: 24 * 366, Unit.DAYS: 366, Unit.WEEKS: 53}

    def clean(self) -> None:
        errors = {}
        if self.starts_at is not None and not EARLIEST <= self.starts_at < LATEST:
            errors["starts_at"] = f"Must be between {EARLIEST.year} and {LATEST.year}."
        longest = self.MAX_LENGTH.get(self.shift_unit)
        if longest and self.shift_length and self.shift_length > longest:
            errors["shift_length"] = f"At most {longest} {self.shift_unit} (a year)."
        if self.active_from is not None and self.active_from == self.active_until:
            errors["active_until"] = "Must differ from the start (leave both empty for all day)."
        if not 1 <= (self.days or 0) <= ALL_DAYS:
            errors["days"] = "Pick at least one day of the week."
        if errors:
            raise ValidationError(errors)


class RotationMember(models.Model):
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["rotation", "position", "id"]

    def __str__(self) -> str:
        return f"{self.rotation}: {self.user}"


class Override(models.Model):
    """Someone covers a stretch of a schedule ("I'll cover Tuesday night")."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="override_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} covers {self.schedule} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    def clean(self) -> None:
        check_period(self.starts_at, self.ends_at)


class SwapRequest(models.Model):
    """One person asks another to take a stretch of their shifts; accepting makes an override."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="swap_requests")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    covering_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    message = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    override = models.OneToOneField(Override, null=True, blank=True, on_delete=models.SET_NULL, related_name="swap")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="swap_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.requester} → {self.covering_user} ({self.get_status_display()})"

    def clean(self) -> None:
        check_period(self.starts_at, self.ends_at)


class PersonalFeed(models.Model):
    """The version of a person's own iCalendar feed link (incidents.oncall.ical.user_token signs it in).

    Rotating bumps the version: that person's old link stops working and nobody else's changes. A
    person without a row is at version 0, which is what links made before this model existed carry.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_feed")
    version = models.PositiveIntegerField(default=0)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user} (version {self.version})"
