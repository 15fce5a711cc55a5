"""In Chromium: a schedule's timeline shows who is on call, and an admin who edits a layer in the dashboard
(adds a person, reorders, changes the window) sees the final row change, first in a preview, then saved.
On a phone the timeline scrolls sideways inside its panel and the page keeps its width."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Rotation
from incidents.oncall.schedule import on_call_users
from tests.browser.conftest import login
from tests.conftest import make_user
from tests.oncall.conftest import make_rotation, make_schedule
from vigil.roles import Role

pytestmark = pytest.mark.browser

# The person in the final row at a moment, read from the page as a responder would see it: the block
# whose from/to (its <time> elements) cover the moment, and the name written in it.
ON_CALL_AT = """([row, iso]) => {
  const at = Date.parse(iso);
  for (const li of document.querySelectorAll(`[data-testid=tl-${row}] [data-testid=tl-block]`)) {
    if (Date.parse(li.dataset.start) <= at && at < Date.parse(li.dataset.end))
      return li.querySelector(".tl-name").textContent.trim();
  }
  return null;
}"""


@pytest.fixture
def people(roles):
    return {name: make_user(name, Role.RESPONDER) for name in ("ann", "bob", "cat", "dan")}


@pytest.fixture
def schedule(people):
    """Primary (ann, bob; weekly, from yesterday this hour) over Backup (dan, around the clock from an hour
    before that; before it, nobody)."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    schedule = make_schedule("Payments", tz="UTC")
    make_rotation(schedule, [people["dan"]], starts_at=now - timedelta(days=1, hours=1), name="Backup", priority=0)
    primary = [people["ann"], people["bob"]]
    make_rotation(schedule, primary, starts_at=now - timedelta(days=1), name="Primary", priority=1)
    return schedule


def on_call_at(page, moment, row="final"):
    return page.evaluate(ON_CALL_AT, [row, moment.isoformat()])


def test_editing_a_layer_changes_who_is_on_call_in_the_final_row(page, live_server, admin_user, people, schedule):
    now = timezone.now()
    login(page, live_server, admin_user)
    page.goto(f"{live_server.url}{schedule.get_absolute_url()}")
    timeline = page.get_by_role("region", name="Timeline of Payments (scrolls sideways)")
    expect(timeline).to_be_visible()
    assert on_call_at(page, now) == "ann"
    expect(timeline.locator("[data-testid=tl-day][data-today]")).to_contain_text("today")

    page.locator("[data-testid=layer]", has_text="Primary").get_by_role("link", name="Edit Primary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit layer Primary")
    # Add cat in the first empty row, and put her first.
    rows = page.locator("[data-testid=member-row]")
    rows.nth(2).get_by_label("Person in row 3").select_option(label="cat")
    rows.nth(2).get_by_label("Order of row 3").fill("0")
    page.get_by_role("button", name="Preview on the timeline").click()
    expect(page.get_by_role("heading", name="Preview: not saved yet")).to_be_visible()
    assert on_call_at(page, now) == "cat"
    assert on_call_users(schedule, now) == [people["ann"]]  # a preview saves nothing

    # Cover only a two-hour window that starts in two hours: now, Backup's dan shows through.
    start = (now + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    until = start + timedelta(hours=2)
    page.get_by_label("Covers from").fill(start.strftime("%H:%M"))
    page.get_by_label("Covers until").fill(until.strftime("%H:%M"))
    if until.time() < start.time():
        page.get_by_label("Runs past midnight").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save layer").click()

    expect(page.locator(".msg.success")).to_contain_text("Layer Primary saved")
    expect(page.get_by_role("heading", level=1)).to_have_text("Payments")
    assert on_call_at(page, now) == "dan"
    assert on_call_at(page, start + timedelta(minutes=30)) == "cat"
    assert on_call_at(page, start + timedelta(minutes=30), row="overrides") is None
    assert on_call_users(schedule, now) == [people["dan"]]
    assert on_call_users(schedule, start + timedelta(minutes=30)) == [people["cat"]]
    rotation = Rotation.objects.get(name="Primary")
    assert [m.user.username for m in rotation.members.order_by("position")] == ["cat", "ann", "bob"]
    assert page.js_errors == []


def test_a_refused_layer_shows_the_error_beside_the_people_and_keeps_the_stored_one(
    page, live_server, admin_user, people, schedule
):
    login(page, live_server, admin_user)
    rotation = Rotation.objects.get(name="Primary")
    page.goto(f"{live_server.url}/oncall/rotations/{rotation.pk}/edit/")
    page.get_by_label("Person in row 3").select_option(label="ann")
    page.get_by_role("button", name="Save layer").click()
    errors = page.locator("[data-testid=members] [data-testid=members-errors]")
    expect(errors).to_have_text("ann listed twice: each person takes one turn per round.")
    assert page.url.endswith(f"/oncall/rotations/{rotation.pk}/edit/")  # the form's own page, not an action URL
    assert [m.user.username for m in rotation.members.order_by("position")] == ["ann", "bob"]
    assert page.js_errors == []


def test_on_a_phone_the_timeline_scrolls_sideways_without_widening_the_page(phone_page, live_server, people, schedule):
    page = phone_page
    now = timezone.now()
    login(page, live_server, people["bob"])
    page.goto(f"{live_server.url}{schedule.get_absolute_url()}")
    timeline = page.get_by_role("region", name="Timeline of Payments (scrolls sideways)")
    timeline.scroll_into_view_if_needed()
    expect(timeline).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = timeline.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert timeline.evaluate("el => el.scrollWidth > el.clientWidth")  # the two weeks are there, sideways
    # Scrolled to next week, the row names stay in view and the final row still says who is on call.
    timeline.evaluate("el => { el.scrollLeft = el.scrollWidth / 2; }")
    label = timeline.locator("[data-testid=tl-final] .tl-label")
    expect(label).to_have_text("On call")
    assert label.bounding_box()["x"] >= box["x"] - 1
    assert on_call_at(page, now) == "ann"
    assert on_call_at(page, now + timedelta(days=6, hours=1)) == "bob"  # weekly turns from yesterday
    # A gap is red: before Backup began, yesterday, nobody was on call.
    gap = timeline.locator("[data-testid=tl-final] .tl-gap").first
    expect(gap).to_contain_text("Nobody on call")
    color = gap.evaluate("el => getComputedStyle(el).borderLeftColor")
    bad = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--bad').trim()")
    assert bad == "#c5221f" and color == "rgb(197, 34, 31)"
    # A responder adds overrides here, but edits no layer.
    expect(page.get_by_role("button", name="Add override")).to_be_visible()
    expect(page.get_by_role("link", name="Edit Primary")).to_have_count(0)
    assert page.js_errors == []
