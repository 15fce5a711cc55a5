"""iCalendar feeds: per schedule (its random token) and per person (a signed token), no login."""

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import signing
from django.test import Client
from icalendar import Calendar

from incidents.oncall import ical

from .conftest import make_override, make_rotation, make_schedule, utc

PARIS = ZoneInfo("Europe/Paris")
NOW = utc(2026, 10, 20, 12)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def paris(ann, bob):
    schedule = make_schedule("Payments", tz="Europe/Paris")
    make_rotation(schedule, [ann, bob], starts_at=datetime(2026, 9, 1, 9, tzinfo=PARIS), unit="days")
    return schedule


def events(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return [(e["SUMMARY"], e.decoded("DTSTART"), e.decoded("DTEND"), str(e["UID"])) for e in calendar.walk("VEVENT")]


def path(url: str) -> str:
    return urlsplit(url).path


def test_the_schedule_feed_carries_every_shift_in_utc_across_the_change(paris, ann, bob):
    found = events(Client().get(path(ical.schedule_feed_url(paris))))
    # 30 days back to 90 ahead, one shift a day.
    assert 119 <= len(found) <= 121
    assert all(summary.startswith("On call: Payments") for summary, *_ in found)
    assert len({uid for *_, uid in found}) == len(found)
    starts = {start for _, start, _, _ in found}
    assert utc(2026, 10, 24, 7) in starts  # 09:00 CEST
    assert utc(2026, 10, 25, 8) in starts  # 09:00 CET, the day clocks went back
    assert all(start.utcoffset().total_seconds() == 0 for start in starts)
    over_the_change = next(e for e in found if e[1] == utc(2026, 10, 24, 7))
    assert over_the_change[2] == utc(2026, 10, 25, 8)  # a 25-hour shift
    assert over_the_change[0] == "On call: Payments — bob"  # day 53 since September 1st: bob's


def test_the_schedule_feed_needs_its_token(paris):
    client = Client()
    assert client.get(f"/oncall/schedules/{paris.pk}/{paris.ical_token}.ics").status_code == 200
    assert client.get(f"/oncall/schedules/{paris.pk}/not-the-token.ics").status_code == 404
    assert client.get(f"/oncall/schedules/{paris.pk + 1}/{paris.ical_token}.ics").status_code == 404
    other = make_schedule("Other")
    assert client.get(f"/oncall/schedules/{other.pk}/{paris.ical_token}.ics").status_code == 404


def test_a_persons_feed_has_their_shifts_on_every_schedule(paris, ann, bob):
    other = make_schedule("Database")
    make_override(other, ann, utc(2026, 11, 3, 22), utc(2026, 11, 4, 6), reason="DB migration")
    make_override(other, bob, utc(2026, 11, 5, 22), utc(2026, 11, 6, 6))
    found = events(Client().get(path(ical.user_feed_url(ann))))
    summaries = {summary for summary, *_ in found}
    assert summaries == {"On call: Payments", "On call: Database"}
    assert ("On call: Database", utc(2026, 11, 3, 22), utc(2026, 11, 4, 6)) in [e[:3] for e in found]
    assert 55 <= sum(1 for e in found if e[0] == "On call: Payments") <= 65  # every other day
    bobs = events(Client().get(path(ical.user_feed_url(bob))))
    assert not {e[1] for e in found} & {e[1] for e in bobs if e[0] == "On call: Payments"}


def test_a_tampered_or_foreign_token_is_a_404(paris, ann, bob):
    token = ical.user_token(ann)
    client = Client()
    assert client.get(f"/oncall/feeds/{token}.ics").status_code == 200
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/oncall/feeds/{tampered}.ics").status_code == 404
    forged = signing.dumps(bob.pk, salt="another.salt")
    assert client.get(f"/oncall/feeds/{forged}.ics").status_code == 404
    not_an_id = signing.dumps("bob", salt=ical.SALT)
    assert client.get(f"/oncall/feeds/{not_an_id}.ics").status_code == 404
    assert client.get("/oncall/feeds/garbage.ics").status_code == 404


def test_a_person_who_left_has_no_feed(paris, ann):
    url = path(ical.user_feed_url(ann))
    ann.is_active = False
    ann.save()
    assert Client().get(url).status_code == 404


def test_feed_urls_are_absolute_from_the_base_url(paris, ann, settings):
    settings.VIGIL_BASE_URL = "https://vigil.example.com"
    assert ical.schedule_feed_url(paris).startswith(f"https://vigil.example.com/oncall/schedules/{paris.pk}/")
    assert ical.user_feed_url(ann).startswith("https://vigil.example.com/oncall/feeds/")
