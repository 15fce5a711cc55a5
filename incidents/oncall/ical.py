"""iCalendar feeds of on-call shifts: one per schedule, one per person.

Calendar apps subscribe without logging in, so the URL carries the credential: the
schedule's random `ical_token`, or for a person a token signed with SECRET_KEY (salt SALT)
that carries the version of their feed (incidents.models.PersonalFeed). Rotating a
schedule's token, or bumping a person's version, revokes that one feed alone (the actions
are in incidents.oncall.services); rotating SECRET_KEY revokes every personal feed. An
inactive user's feed is gone (404). Who may see which URL: vigil.privacy.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from incidents.models import PersonalFeed, Schedule
from vigil.people import display_name

from .schedule import Shift, load_plans, merge_by_user, shifts_of

SALT = "vigil.oncall.ical"
PAST = timedelta(days=30)
AHEAD = timedelta(days=90)


def feed_version(user) -> int:
    return PersonalFeed.objects.filter(user_id=user.pk).values_list("version", flat=True).first() or 0


def user_token(user) -> str:
    """Version 0 signs the bare user id, as tokens did before feeds had versions: those links still work
    until their person's first rotation."""
    version = feed_version(user)
    return signing.dumps(user.pk if version == 0 else [user.pk, version], salt=SALT)


def user_from_token(token: str):
    """The active user TOKEN was signed for, or None for a bad or tampered token, or one whose feed was
    rotated since (its version is not the person's current one)."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if isinstance(data, int) and not isinstance(data, bool):
        pk, version = data, 0
    elif isinstance(data, list) and len(data) == 2 and all(type(v) is int for v in data):
        pk, version = data
    else:
        return None
    user = get_user_model().objects.filter(pk=pk, is_active=True).first()
    if user is None or feed_version(user) != version:
        return None
    return user


def schedule_feed_url(schedule: Schedule) -> str:
    return settings.VIGIL_BASE_URL + reverse("oncall:schedule_feed", args=[schedule.pk, schedule.ical_token])


def user_feed_url(user) -> str:
    return settings.VIGIL_BASE_URL + reverse("oncall:user_feed", args=[user_token(user)])


def feed_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or timezone.now()
    return now - PAST, now + AHEAD


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(schedule: Schedule, shift: Shift, summary: str, now: datetime) -> Event:
    host = urlsplit(settings.VIGIL_BASE_URL).hostname or "vigil"
    event = Event()
    # Stable for one shift of one person, so a refresh updates rather than duplicates.
    event.add("uid", f"oncall-{schedule.pk}-{shift.user.pk}-{_stamp(shift.start)}@{host}")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", shift.start.astimezone(UTC))
    event.add("dtend", shift.end.astimezone(UTC))
    event.add("summary", summary)
    event.add("description", f"{shift.source_label}. Schedule time zone: {schedule.time_zone}.")
    event.add("transp", "TRANSPARENT")
    return event


def _calendar(name: str, events: list[Event]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Vigil//On-call//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()


def _name(user) -> str:
    return display_name(user)


def schedule_calendar(schedule: Schedule, now: datetime | None = None) -> bytes:
    """Everyone's shifts on SCHEDULE, 30 days back to 90 ahead."""
    now = now or timezone.now()
    start, end = feed_window(now)
    plan = load_plans([schedule], start, end)[schedule.pk]
    events = [
        _event(schedule, s, f"On call: {schedule.name} — {_name(s.user)}", now)
        for s in merge_by_user(plan.final_shifts(start, end))
    ]
    return _calendar(f"On call: {schedule.name}", events)


def user_calendar(user, now: datetime | None = None) -> bytes:
    """USER's shifts on every schedule, 30 days back to 90 ahead."""
    now = now or timezone.now()
    start, end = feed_window(now)
    plans = load_plans(Schedule.objects.all(), start, end).values()
    events = [
        _event(schedule, shift, f"On call: {schedule.name}", now)
        for schedule, shift in shifts_of(user, plans, start, end)
    ]
    return _calendar(f"On call: {_name(user)}", events)
