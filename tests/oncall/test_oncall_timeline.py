"""A schedule's timeline: each layer, the overrides, and a final row that says who is on call exactly as
the paging path (incidents.oncall.schedule) does, with the gaps in red, in the viewer's days and zone."""

import itertools
import re
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from incidents.oncall import timeline
from incidents.oncall.schedule import load_plan
from tests.conftest import api_client_for, make_user
from vigil.roles import Role

from .conftest import make_override, make_rotation, make_schedule, utc

NOW = utc(2026, 6, 3, 12)  # a Wednesday


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dan(roles):
    return make_user("dan", Role.RESPONDER)


@pytest.fixture
def eve(roles):
    return make_user("eve", Role.RESPONDER)


@pytest.fixture
def layered(ann, bob, cat, dan, eve):
    """A weekly layer (ann, bob) from Monday Jun 1 09:00 UTC, under a business-hours layer (cat, dan: one day
    each, 09:00-17:00 Paris, i.e. 07:00-15:00 UTC), and eve's override on Thursday night. Before the first
    hand-off, Monday 00:00-07:00 UTC, nobody is on call."""
    schedule = make_schedule("Platform", tz="Europe/Paris")
    weekly = make_rotation(schedule, [ann, bob], starts_at=utc(2026, 6, 1, 9), name="Weekly")
    business = make_rotation(
        schedule,
        [cat, dan],
        starts_at=utc(2026, 6, 1, 7),
        unit="days",
        name="Business hours",
        priority=10,
        active_from=time(9),
        active_until=time(17),
    )
    make_override(schedule, eve, utc(2026, 6, 4, 16), utc(2026, 6, 5, 4), reason="Thursday night")
    return schedule, weekly, business


def client_for(user, tz: str | None = None) -> Client:
    client = Client()
    client.force_login(user)
    if tz:
        client.cookies["tz"] = tz
    return client


BLOCK = re.compile(
    r'<li class="tl-block (?P<cls>[^"]*)" style="left:(?P<left>[\d.]+)%;width:(?P<width>[\d.]+)%" '
    r'data-testid="tl-block" data-start="(?P<start>[^"]+)" data-end="(?P<end>[^"]+)"(?: data-user="(?P<user>\d+)")?'
    r'.*?<span class="tl-name">(?P<name>[^<]*)</span>',
    re.S,
)


def rows(html: str) -> dict[str, list[list[dict]]]:
    """The timeline's rows by kind ("layer", "overrides", "final"), each a list of its blocks."""
    found: dict[str, list] = {}
    for match in re.finditer(r'<div class="tl-row tl-(\w+)" data-testid="tl-\1"[^>]*>(.*?)</ol>', html, re.S):
        blocks = [m.groupdict() for m in BLOCK.finditer(match.group(2))]
        for b in blocks:
            b["start"], b["end"] = datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"])
        found.setdefault(match.group(1), []).append(blocks)
    return found


def ticks(html: str) -> list[tuple[str, bool]]:
    """The day axis as read: ("Wed 3 today", True)."""
    found = re.findall(r'data-testid="tl-day"( data-today)?[^>]*>(.*?)</span>', html, re.S)
    return [(" ".join(re.sub(r"<[^>]+>", " ", text).split()), bool(today)) for today, text in found]


def block_at(blocks, moment):
    [block] = [b for b in blocks if b["start"] <= moment < b["end"]]
    return block


MOMENTS = [
    utc(2026, 6, 1, 3),  # before any hand-off: nobody
    utc(2026, 6, 1, 8),  # business hours, before the weekly layer starts: cat
    utc(2026, 6, 2, 10),  # business hours, day two: dan
    utc(2026, 6, 2, 20),  # evening: the weekly layer shows through: ann
    utc(2026, 6, 4, 20),  # eve's override
    utc(2026, 6, 5, 10),  # business hours again: cat
    utc(2026, 6, 9, 3),  # the second week's night: bob
    utc(2026, 6, 17, 23, 30),  # the last evening drawn: ann's third week
]


def test_the_final_row_says_who_is_on_call_as_the_schedule_itself_does(layered, viewer):
    schedule, *_ = layered
    page = client_for(viewer).get(f"/oncall/schedules/{schedule.pk}/")
    assert page.status_code == 200
    [final] = rows(page.content.decode())["final"]
    plan = load_plan(schedule, utc(2026, 6, 1), utc(2026, 6, 18))
    expected = {
        MOMENTS[0]: None,
        MOMENTS[1]: "cat",
        MOMENTS[2]: "dan",
        MOMENTS[3]: "ann",
        MOMENTS[4]: "eve",
        MOMENTS[5]: "cat",
        MOMENTS[6]: "bob",
        MOMENTS[7]: "ann",
    }
    for moment, name in expected.items():
        block, users = block_at(final, moment), plan.users_at(moment)
        assert [u.username for u in users] == ([name] if name else []), moment  # the schedule's own answer
        if name is None:
            assert "tl-gap" in block["cls"] and block["name"] == "Nobody on call" and block["user"] is None
        else:
            assert block["user"] == str(users[0].pk) and block["name"] == name, moment
    # The final row covers the whole window, from the viewer's Monday midnight (two days back) to
    # the midnight fifteen days ahead, hand-off to hand-off with no overlap.
    assert final[0]["start"] == utc(2026, 6, 1) and final[-1]["end"] == utc(2026, 6, 18)
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(final))
    assert sum(float(b["width"]) for b in final) == pytest.approx(100, abs=0.01)


def test_the_only_gap_is_drawn_in_red_and_named(layered, viewer):
    schedule, *_ = layered
    html = client_for(viewer).get(f"/oncall/schedules/{schedule.pk}/").content.decode()
    [final] = rows(html)["final"]
    gaps = [b for b in final if "tl-gap" in b["cls"]]
    assert [(g["start"], g["end"]) for g in gaps] == [(utc(2026, 6, 1), utc(2026, 6, 1, 7))]
    assert "red: nobody on call" in html


def test_each_layer_has_its_row_in_priority_order_with_the_overrides_under_them(layered, viewer):
    schedule, weekly, business = layered
    html = client_for(viewer).get(f"/oncall/schedules/{schedule.pk}/").content.decode()
    order = re.findall(r'data-testid="tl-(layer|overrides|final)"(?: data-rotation="(\d+)")?', html)
    assert order == [("layer", str(business.pk)), ("layer", str(weekly.pk)), ("overrides", ""), ("final", "")]
    found = rows(html)
    business_row, weekly_row = found["layer"]
    # Business hours only within 07:00-15:00 UTC (09:00-17:00 in Paris), one person a day, turn about.
    assert {(b["start"].astimezone(UTC).hour, b["end"].astimezone(UTC).hour) for b in business_row} == {(7, 15)}
    assert [b["name"] for b in business_row[:4]] == ["cat", "dan", "cat", "dan"]
    assert [b["name"] for b in weekly_row] == ["ann", "bob", "ann"]
    [override] = found["overrides"][0]
    assert (override["name"], override["start"], override["end"]) == ("eve", utc(2026, 6, 4, 16), utc(2026, 6, 5, 4))


def test_every_block_says_who_from_when_to_when_in_words(layered, viewer):
    schedule, *_ = layered
    html = client_for(viewer, tz="America/New_York").get(f"/oncall/schedules/{schedule.pk}/").content.decode()
    overrides = re.search(r'data-testid="tl-overrides".*?</ol>', html, re.S).group(0)
    block = re.search(r'<li class="tl-block.*?</li>', overrides, re.S).group(0)
    # What a screen reader reads (the aria-hidden start time and initials are for the eye only).
    words = re.sub(r'<span[^>]*aria-hidden="true">.*?</span>|<[^>]+>', " ", block)
    # Thursday 16:00 UTC to Friday 04:00 UTC, read in New York (EDT, UTC-4).
    assert " ".join(words.split()) == "eve from Thu Jun 4, 12:00 to Fri Jun 5, 00:00 EDT (Override: Thursday night)"
    assert 'title="eve, Thu Jun 4, 12:00 to Fri Jun 5, 00:00 EDT · Override: Thursday night"' in block


def test_days_and_today_are_the_viewers(layered, viewer):
    schedule, *_ = layered
    late = utc(2026, 6, 3, 23)  # Wednesday evening in New York, already Thursday morning in Tokyo
    with time_machine.travel(late, tick=False):
        tokyo = client_for(viewer, tz="Asia/Tokyo").get(f"/oncall/schedules/{schedule.pk}/").content.decode()
        new_york = client_for(viewer, tz="America/New_York").get(f"/oncall/schedules/{schedule.pk}/").content.decode()
    assert [text for text, today in ticks(tokyo) if today] == ["Thu 4 today"]
    assert [text for text, today in ticks(new_york) if today] == ["Wed 3 today"]
    days = ticks(new_york)
    assert days[0] == ("Mon 1 Jun", False) and len(days) == 17  # two days back, today, fourteen ahead
    [final] = rows(tokyo)["final"]
    assert final[0]["start"] == datetime(2026, 6, 2, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_a_day_with_a_clock_change_is_drawn_an_hour_longer(db):
    """Positions follow real time: 2026-10-25 has 25 hours in Paris, so its column is wider."""
    schedule = make_schedule("Paris", tz="Europe/Paris")
    paris = ZoneInfo("Europe/Paris")
    drawn = timeline.build(load_plan(schedule, utc(2026, 10, 20)), utc(2026, 10, 24, 12), paris)
    widths = {d.start.astimezone(paris).day: d.width for d in drawn.days}
    assert widths[25] == pytest.approx(widths[24] * 25 / 24)
    assert [d.today for d in drawn.days].index(True) == 2


def test_names_are_the_same_on_the_timeline_the_pages_and_the_api(layered, ann, viewer):
    ann.first_name, ann.last_name = "Ann", "Lee"
    ann.save()
    schedule, *_ = layered
    with time_machine.travel(utc(2026, 6, 2, 20), tick=False):  # ann's evening
        html = client_for(viewer).get(f"/oncall/schedules/{schedule.pk}/").content.decode()
        api = api_client_for(viewer).get(f"/api/v1/schedules/{schedule.pk}/shifts/").json()
        now = api_client_for(viewer).get("/api/v1/oncall/").json()
    [api_name] = {s["user"]["name"] for s in api if s["user"]["username"] == "ann"}
    assert api_name == "Ann Lee" and now["schedules"][0]["users"][0]["name"] == "Ann Lee"
    found = rows(html)
    assert {b["name"] for b in found["final"][0] if b["user"] == str(ann.pk)} == {api_name}
    assert {b["name"] for b in found["layer"][1] if b["user"] == str(ann.pk)} == {api_name}
    on_now = re.search(r'data-testid="on-call-now">(.*?)</p>', html, re.S).group(1)
    assert "Ann Lee" in on_now
    layers = re.search(r'id="layers">(.*?)</section>', html, re.S).group(1)
    assert "Ann Lee → bob" in layers
    assert "Ann Lee" in re.search(r'data-testid="shifts">(.*?)</ol>', html, re.S).group(1)
